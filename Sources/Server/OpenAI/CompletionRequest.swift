/// The body of `POST /v1/completions`.
struct CompletionRequest: Decodable {
    /// Optional here: a missing model means the one served.
    var model: String?
    var prompt: String
    var maxTokens: Int?
    var sampling: SamplingFields

    enum CodingKeys: String, CodingKey {
        case model, prompt, logprobs, echo
        case maxTokens = "max_tokens"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        maxTokens = try container.decodeIntegerIfPresent(Int.self, forKey: .maxTokens)
        sampling = try SamplingFields(from: decoder)
        prompt = try Self.decodePrompt(container)
        if let logprobs = try container.decodeIntegerIfPresent(Int.self, forKey: .logprobs), logprobs > 0 {
            throw OpenAIError.unsupported("logprobs", "logprobs are not supported by this server.")
        }
        if try container.decodeIfPresent(Bool.self, forKey: .echo) == true {
            throw OpenAIError.unsupported("echo", "echo is not supported by this server.")
        }
    }

    /// `prompt`: a string, or an array holding one string.
    private static func decodePrompt(_ container: KeyedDecodingContainer<CodingKeys>) throws -> String {
        guard container.contains(.prompt) else { throw OpenAIError.missing("prompt") }
        if let text = try? container.decode(String.self, forKey: .prompt) { return text }
        if let texts = try? container.decode([String].self, forKey: .prompt) {
            guard texts.count == 1 else {
                throw OpenAIError.unsupported("prompt", "'prompt' holds \(texts.count) strings; this server completes one prompt per request.")
            }
            return texts[0]
        }
        throw OpenAIError.invalidType("prompt", expected: "a string or an array of one string")
    }
}
