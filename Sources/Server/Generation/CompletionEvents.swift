import Engine

/// The events of one submitted completion, read by one task at a time (the route handler, then the
/// response body writer), timed for the latency metrics.
final class CompletionEvents: @unchecked Sendable {
    // @unchecked: `iterator` and the timestamps are touched only by the single reader, which hands
    // over from the handler to the body writer strictly in sequence.
    private var iterator: AsyncStream<CompletionEvent>.Iterator
    private let metrics: ServerMetrics
    private let tokens: TokenRecord
    private let submitted = ContinuousClock.now
    private var firstText: ContinuousClock.Instant?
    private var ended = false

    init(_ handle: CompletionHandle, metrics: ServerMetrics, tokens: TokenRecord) {
        self.iterator = handle.events.makeAsyncIterator()
        self.metrics = metrics
        self.tokens = tokens
    }

    /// The next event. A stream that ends without `finished` or `failed` reads as `failed`; nothing
    /// is read after the end.
    func next() async -> CompletionEvent {
        guard !ended else { return .failed("the completion has already ended") }
        guard let event = await iterator.next() else {
            ended = true
            return .failed("the engine ended the completion without a result")
        }
        switch event {
        case .text(let text):
            if firstText == nil, !text.isEmpty { firstText = .now }
        case .finished(_, let usage):
            ended = true
            let now = ContinuousClock.now
            tokens.record(prompt: usage.promptTokens, completion: usage.completionTokens)
            metrics.recordCompletion(
                usage, timeToFirstToken: firstText.map { $0 - submitted }, decodeTime: firstText.map { now - $0 })
        case .failed:
            ended = true
        case .logprobs:
            break
        }
        return event
    }

    /// The next event that is not empty text.
    func nextNonEmpty() async -> CompletionEvent {
        while true {
            let event = await next()
            if case .text(let text) = event, text.isEmpty { continue }
            return event
        }
    }
}
