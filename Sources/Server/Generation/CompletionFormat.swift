import Engine

/// How one endpoint shapes a completion: the whole response, or the events of a stream.
/// `/v1/completions` and `/v1/chat/completions` differ only here.
protocol CompletionFormat: Sendable {
    associatedtype Whole: Encodable
    associatedtype Chunk: Encodable

    var identity: CompletionIdentity { get }
    /// The response when not streaming, its choices in order.
    func response(choices: [ChoiceResult], usage: CompletionUsage) -> Whole
    /// The event before any text of a choice (chat's `role`), if the format has one.
    func openingChunk(choice: Int) -> Chunk?
    /// One piece of a choice's generated text, with its tokens' log-probabilities when asked for.
    func textChunk(_ text: String, logprobs: [ShownLogprob]?, choice: Int) -> Chunk
    /// The event that carries a choice's `finish_reason`.
    func finishChunk(_ finishReason: String, choice: Int) -> Chunk
    /// The last event when `stream_options.include_usage`: empty choices and the usage.
    func usageChunk(_ usage: CompletionUsage) -> Chunk
    /// How replies are read for tool calls; nil when the request has no tools to call.
    var toolReplies: ToolReplies? { get }
    /// The event that carries a choice's tool calls (only formats with `toolReplies` send it).
    func toolCallsChunk(_ calls: [ToolCall], choice: Int) -> Chunk
}

/// One finished choice of a whole (not streamed) response.
struct ChoiceResult: Sendable {
    var text: String
    /// nil when the request asked for none.
    var logprobs: [ShownLogprob]?
    var finishReason: String
    /// The tools the reply calls (chat with `tools`).
    var toolCalls: [ToolCall] = []
}

extension CompletionFormat {
    /// How replies are read for tool calls; nil when the request has no tools to call.
    var toolReplies: ToolReplies? { nil }

    /// The event that carries a choice's tool calls (only formats with `toolReplies` send it).
    func toolCallsChunk(_ calls: [ToolCall], choice: Int) -> Chunk {
        preconditionFailure("\(Self.self) has no tool calls")
    }
}

/// What identifies one response: its id, creation time, model, and whether stream chunks carry `usage`.
struct CompletionIdentity: Sendable {
    var id: String
    var created: Int
    var model: String
    var includeUsage: Bool

    /// - Parameter prefix: `cmpl` or `chatcmpl`.
    init(prefix: String, model: String, includeUsage: Bool) {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<3).map { _ in String(generator.next() as UInt64, radix: 36) }.joined()
        self.id = "\(prefix)-\(random.prefix(24))"
        self.created = unixTime()
        self.model = model
        self.includeUsage = includeUsage
    }
}

/// `text_completion` responses and events.
struct TextCompletionFormat: CompletionFormat {
    var identity: CompletionIdentity
    /// `echo`: the prompt's text, before the completion's (empty without echo).
    var echo = ""

    func response(choices: [ChoiceResult], usage: CompletionUsage) -> CompletionResponse {
        make(choices.enumerated().map { i, c in
            .init(index: i, text: echo + c.text, finishReason: Nullable(c.finishReason),
                  logprobs: Nullable(c.logprobs.map(CompletionLogprobs.init)))
        }, usage: Nullable(Usage(usage)))
    }

    func openingChunk(choice: Int) -> CompletionResponse? { echo.isEmpty ? nil : textChunk(echo, logprobs: nil, choice: choice) }

    func textChunk(_ text: String, logprobs: [ShownLogprob]?, choice: Int) -> CompletionResponse {
        make([.init(index: choice, text: text, finishReason: .null, logprobs: Nullable(logprobs.map(CompletionLogprobs.init)))],
             usage: streamUsage)
    }

    func finishChunk(_ finishReason: String, choice: Int) -> CompletionResponse {
        make([.init(index: choice, text: "", finishReason: Nullable(finishReason))], usage: streamUsage)
    }

    func usageChunk(_ usage: CompletionUsage) -> CompletionResponse {
        make([], usage: Nullable(Usage(usage)))
    }

    /// `usage: null` in every chunk but the last when usage was asked for; absent otherwise.
    private var streamUsage: Nullable<Usage>? { identity.includeUsage ? .null : nil }

    private func make(_ choices: [CompletionResponse.Choice], usage: Nullable<Usage>?) -> CompletionResponse {
        CompletionResponse(id: identity.id, created: identity.created, model: identity.model, choices: choices, usage: usage)
    }
}

/// `chat.completion` responses and `chat.completion.chunk` events.
struct ChatCompletionFormat: CompletionFormat {
    var identity: CompletionIdentity
    var toolReplies: ToolReplies?

    func response(choices: [ChoiceResult], usage: CompletionUsage) -> ChatCompletionResponse {
        ChatCompletionResponse(
            id: identity.id, created: identity.created, model: identity.model,
            choices: choices.enumerated().map { i, c in
                let calls = c.toolCalls.isEmpty ? nil : c.toolCalls.map { ToolCallJSON($0) }
                let content = Nullable(calls != nil && c.text.isEmpty ? nil : c.text)
                return .init(index: i, message: .init(content: content, toolCalls: calls), logprobs: Nullable(c.logprobs.map(ChatLogprobs.init)),
                             finishReason: c.finishReason)
            },
            usage: Usage(usage))
    }

    func toolCallsChunk(_ calls: [ToolCall], choice: Int) -> ChatCompletionChunk {
        let deltas = calls.enumerated().map { ToolCallJSON($1, index: $0) }
        return make([.init(index: choice, delta: .init(toolCalls: deltas), finishReason: .null)], usage: streamUsage)
    }

    func openingChunk(choice: Int) -> ChatCompletionChunk? {
        make([.init(index: choice, delta: .init(role: "assistant", content: ""), finishReason: .null)], usage: streamUsage)
    }

    func textChunk(_ text: String, logprobs: [ShownLogprob]?, choice: Int) -> ChatCompletionChunk {
        make([.init(index: choice, delta: .init(content: text), logprobs: Nullable(logprobs.map(ChatLogprobs.init)), finishReason: .null)],
             usage: streamUsage)
    }

    func finishChunk(_ finishReason: String, choice: Int) -> ChatCompletionChunk {
        make([.init(index: choice, delta: .init(), finishReason: Nullable(finishReason))], usage: streamUsage)
    }

    func usageChunk(_ usage: CompletionUsage) -> ChatCompletionChunk {
        make([], usage: Nullable(Usage(usage)))
    }

    private var streamUsage: Nullable<Usage>? { identity.includeUsage ? .null : nil }

    private func make(_ choices: [ChatCompletionChunk.Choice], usage: Nullable<Usage>?) -> ChatCompletionChunk {
        ChatCompletionChunk(id: identity.id, created: identity.created, model: identity.model, choices: choices, usage: usage)
    }
}
