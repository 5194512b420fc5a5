import Engine

/// The body of `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable {
    /// Optional here: a missing model means the one served.
    var model: String?
    var messages: [ChatMessage]
    /// `max_completion_tokens`, or the older `max_tokens`.
    var maxTokens: Int?
    /// Which of the two names `maxTokens` came from, for error messages.
    var maxTokensParam = "max_tokens"
    var sampling: SamplingFields
    /// With `logprobs: true`: how many alternatives per token (`top_logprobs`, 0...20); nil for none.
    var logprobs: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, logprobs
        case topLogprobs = "top_logprobs"
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        messages = try container.decode([Message].self, forKey: .messages).map(\.chatMessage)
        if let tokens = try container.decodeIntegerIfPresent(Int.self, forKey: .maxCompletionTokens) {
            maxTokens = tokens
            maxTokensParam = "max_completion_tokens"
        } else {
            maxTokens = try container.decodeIntegerIfPresent(Int.self, forKey: .maxTokens)
        }
        sampling = try SamplingFields(from: decoder)
        let top = try container.decodeIntegerIfPresent(Int.self, forKey: .topLogprobs)
        if try container.decodeIfPresent(Bool.self, forKey: .logprobs) == true {
            logprobs = top ?? 0
        } else if top != nil {
            throw OpenAIError.invalidValue("top_logprobs", "'top_logprobs' needs 'logprobs' set to true.")
        }
        if let logprobs, !(0...SamplingParameters.maxTopLogprobs).contains(logprobs) {
            throw OpenAIError.invalidValue("top_logprobs", "'top_logprobs' = \(logprobs) is out of range (allowed: 0 to \(SamplingParameters.maxTopLogprobs)).")
        }
    }

    /// One message: `role`, and `content` as a string, an array of text parts, or null.
    private struct Message: Decodable {
        var chatMessage: ChatMessage

        enum CodingKeys: String, CodingKey {
            case role, content, name
            case toolCalls = "tool_calls"
            case toolCallID = "tool_call_id"
        }

        private struct Part: Decodable {
            var type: String
            var text: String?
        }

        /// `{id, type: "function", function: {name, arguments}}`; `arguments` is a JSON text.
        private struct Call: Decodable {
            struct Function: Decodable {
                var name: String
                var arguments: String
            }
            var id: String?
            var type: String?
            var function: Function
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let role = try container.decode(String.self, forKey: .role)
            let contentPath = OpenAIError.path(container.codingPath + [CodingKeys.content])
            let content: String
            if try !container.contains(.content) || container.decodeNil(forKey: .content) {
                content = ""
            } else if let text = try? container.decode(String.self, forKey: .content) {
                content = text
            } else if let parts = try? container.decode([Part].self, forKey: .content) {
                content = try parts.map { part throws(OpenAIError) in
                    guard part.type == "text", let text = part.text else {
                        throw .unsupported(contentPath, "Content parts of type '\(part.type)' are not supported: only 'text'.")
                    }
                    return text
                }.joined()
            } else {
                throw OpenAIError.invalidType(contentPath, expected: "a string or an array of text parts")
            }
            let calls = try container.decodeIfPresent([Call].self, forKey: .toolCalls) ?? []
            chatMessage = ChatMessage(
                role: role, content: content,
                toolCalls: calls.enumerated().map { i, call in
                    ToolCall(id: call.id ?? "call_\(i)", name: call.function.name, arguments: call.function.arguments)
                },
                toolCallID: try container.decodeIfPresent(String.self, forKey: .toolCallID),
                name: try container.decodeIfPresent(String.self, forKey: .name))
        }
    }
}
