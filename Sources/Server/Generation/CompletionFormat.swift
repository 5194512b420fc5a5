import Engine

/// How one endpoint shapes a completion: the whole response, or the events of a stream.
/// `/v1/completions` and `/v1/chat/completions` differ only here.
protocol CompletionFormat: Sendable {
    associatedtype Whole: Encodable
    associatedtype Chunk: Encodable

    var identity: CompletionIdentity { get }
    /// The response when not streaming; `logprobs` nil when the request asked for none.
    func response(text: String, logprobs: [ShownLogprob]?, finishReason: String, usage: CompletionUsage) -> Whole
    /// The event before any text (chat's `role`), if the format has one.
    func openingChunk() -> Chunk?
    /// One piece of generated text, with its tokens' log-probabilities when asked for.
    func textChunk(_ text: String, logprobs: [ShownLogprob]?) -> Chunk
    /// The event that carries `finish_reason`.
    func finishChunk(_ finishReason: String) -> Chunk
    /// The last event when `stream_options.include_usage`: empty choices and the usage.
    func usageChunk(_ usage: CompletionUsage) -> Chunk
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

    func response(text: String, logprobs: [ShownLogprob]?, finishReason: String, usage: CompletionUsage) -> CompletionResponse {
        make([.init(text: echo + text, finishReason: Nullable(finishReason), logprobs: Nullable(logprobs.map(CompletionLogprobs.init)))],
             usage: Nullable(Usage(usage)))
    }

    func openingChunk() -> CompletionResponse? { echo.isEmpty ? nil : textChunk(echo, logprobs: nil) }

    func textChunk(_ text: String, logprobs: [ShownLogprob]?) -> CompletionResponse {
        make([.init(text: text, finishReason: .null, logprobs: Nullable(logprobs.map(CompletionLogprobs.init)))], usage: streamUsage)
    }

    func finishChunk(_ finishReason: String) -> CompletionResponse {
        make([.init(text: "", finishReason: Nullable(finishReason))], usage: streamUsage)
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

    func response(text: String, logprobs: [ShownLogprob]?, finishReason: String, usage: CompletionUsage) -> ChatCompletionResponse {
        ChatCompletionResponse(
            id: identity.id, created: identity.created, model: identity.model,
            choices: [.init(message: .init(content: text), logprobs: Nullable(logprobs.map(ChatLogprobs.init)), finishReason: finishReason)],
            usage: Usage(usage))
    }

    func openingChunk() -> ChatCompletionChunk? {
        make([.init(delta: .init(role: "assistant", content: ""), finishReason: .null)], usage: streamUsage)
    }

    func textChunk(_ text: String, logprobs: [ShownLogprob]?) -> ChatCompletionChunk {
        make([.init(delta: .init(content: text), logprobs: Nullable(logprobs.map(ChatLogprobs.init)), finishReason: .null)], usage: streamUsage)
    }

    func finishChunk(_ finishReason: String) -> ChatCompletionChunk {
        make([.init(delta: .init(), finishReason: Nullable(finishReason))], usage: streamUsage)
    }

    func usageChunk(_ usage: CompletionUsage) -> ChatCompletionChunk {
        make([], usage: Nullable(Usage(usage)))
    }

    private var streamUsage: Nullable<Usage>? { identity.includeUsage ? .null : nil }

    private func make(_ choices: [ChatCompletionChunk.Choice], usage: Nullable<Usage>?) -> ChatCompletionChunk {
        ChatCompletionChunk(id: identity.id, created: identity.created, model: identity.model, choices: choices, usage: usage)
    }
}
