import Engine

/// The body of a `/v1/chat/completions` response:
/// `{id, object: "chat.completion", created, model, choices: [{index, message: {role, content}, finish_reason}], usage}`.
struct ChatCompletionResponse: Encodable {
    struct Message: Encodable {
        var role = "assistant"
        /// Null when the reply is only tool calls.
        var content: Nullable<String>
        var toolCalls: [ToolCallJSON]?

        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls"
        }
    }

    struct Choice: Encodable {
        var index = 0
        var message: Message
        var logprobs = Nullable<ChatLogprobs>.null
        var finishReason: String

        enum CodingKeys: String, CodingKey {
            case index, message, logprobs
            case finishReason = "finish_reason"
        }
    }

    var id: String
    var object = "chat.completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage
}

/// One event of a streamed chat completion:
/// `{id, object: "chat.completion.chunk", created, model, choices: [{index, delta: {role?, content?}, finish_reason}]}`.
struct ChatCompletionChunk: Encodable {
    /// `role` in the first chunk, `content` in the following ones, nothing in the last.
    struct Delta: Encodable {
        var role: String?
        var content: String?
        var toolCalls: [ToolCallJSON]?

        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls"
        }
    }

    struct Choice: Encodable {
        var index = 0
        var delta: Delta
        var logprobs = Nullable<ChatLogprobs>.null
        var finishReason: Nullable<String>

        enum CodingKeys: String, CodingKey {
            case index, delta, logprobs
            case finishReason = "finish_reason"
        }
    }

    var id: String
    var object = "chat.completion.chunk"
    var created: Int
    var model: String
    var choices: [Choice]
    /// Absent unless `stream_options.include_usage`; then null except in the last chunk.
    var usage: Nullable<Usage>?
}

/// One tool call in a message or a stream delta: `{index?, id, type: "function", function: {name, arguments}}`
/// (`index` only in deltas; `arguments` a JSON text).
struct ToolCallJSON: Encodable {
    struct Function: Encodable {
        var name: String
        var arguments: String
    }

    var index: Int?
    var id: String
    var type = "function"
    var function: Function

    init(_ call: ToolCall, index: Int? = nil) {
        self.index = index
        self.id = call.id
        self.function = Function(name: call.name, arguments: call.arguments)
    }
}
