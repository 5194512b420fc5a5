import Engine

/// The body of `POST /v1/completions`.
struct CompletionRequest: Decodable {
    /// A prompt as text, or as token ids (OpenAI accepts both).
    enum Prompt: Equatable {
        case text(String)
        case tokens([TokenID])
    }

    /// Optional here: a missing model means the one served.
    var model: String?
    var prompt: Prompt
    var maxTokens: Int?
    /// Whether the response's text starts with the prompt's.
    var echo: Bool
    /// `logprobs`: how many alternatives per token (0...20); nil for none.
    var logprobs: Int?
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
        echo = try container.decodeIfPresent(Bool.self, forKey: .echo) ?? false
        logprobs = try container.decodeIntegerIfPresent(Int.self, forKey: .logprobs)
        if let logprobs, !(0...SamplingParameters.maxTopLogprobs).contains(logprobs) {
            throw OpenAIError.invalidValue("logprobs", "'logprobs' = \(logprobs) is out of range (allowed: 0 to \(SamplingParameters.maxTopLogprobs)).")
        }
        if echo, logprobs != nil {
            throw OpenAIError.unsupported("echo", "'echo' with 'logprobs' is not supported yet: the prompt's log-probabilities are not computed.")
        }
    }

    /// `prompt`: a string, an array of token ids, or an array holding one of those.
    private static func decodePrompt(_ container: KeyedDecodingContainer<CodingKeys>) throws -> Prompt {
        guard container.contains(.prompt) else { throw OpenAIError.missing("prompt") }
        if let text = try? container.decode(String.self, forKey: .prompt) { return .text(text) }
        if let tokens = try? container.decode([TokenID].self, forKey: .prompt), !tokens.isEmpty { return .tokens(tokens) }
        let prompts: [Prompt]
        if let texts = try? container.decode([String].self, forKey: .prompt) {
            prompts = texts.map { .text($0) }
        } else if let lists = try? container.decode([[TokenID]].self, forKey: .prompt), !lists.contains(where: \.isEmpty) {
            prompts = lists.map { .tokens($0) }
        } else {
            throw OpenAIError.invalidType("prompt", expected: "a string, an array of token ids, or an array of one of those")
        }
        guard prompts.count == 1 else {
            throw OpenAIError.unsupported("prompt", "'prompt' holds \(prompts.count) prompts; this server completes one prompt per request.")
        }
        return prompts[0]
    }
}
