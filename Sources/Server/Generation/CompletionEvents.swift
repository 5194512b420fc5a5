import Engine
import Synchronization

/// The events of one submitted completion's choices, merged in arrival order and read by one task
/// at a time (the route handler, then the response body writer), timed for the latency metrics.
final class CompletionEvents: @unchecked Sendable {
    // @unchecked: `iterator`, the timestamps and the tallies are touched only by the single reader,
    // which hands over from the handler to the body writer strictly in sequence.
    private var iterator: AsyncStream<(choice: Int, event: CompletionEvent?)>.Iterator
    private let metrics: ServerMetrics
    private let tokens: TokenRecord
    private let submitted = ContinuousClock.now
    private var firstText: ContinuousClock.Instant?
    /// Choices not ended yet, and whether any ended without `finished`.
    private var open: Int
    private var anyFailed = false
    private var usage = CompletionUsage(promptTokens: 0, completionTokens: 0)
    /// How many choices the completion has.
    let choices: Int

    init(_ handle: CompletionHandle, metrics: ServerMetrics, tokens: TokenRecord) {
        let (merged, continuation) = AsyncStream.makeStream(of: (choice: Int, event: CompletionEvent?).self)
        // One reader per choice; nil marks the end of a choice's stream. Each ends when the
        // backend finishes its stream (it always does: completed, failed or cancelled).
        let remaining = Remaining(handle.choices.count)
        for (i, stream) in handle.choices.enumerated() {
            Task {
                for await event in stream { continuation.yield((i, event)) }
                continuation.yield((i, nil))
                if remaining.endOne() { continuation.finish() }
            }
        }
        self.iterator = merged.makeAsyncIterator()
        self.metrics = metrics
        self.tokens = tokens
        self.choices = handle.choices.count
        self.open = handle.choices.count
    }

    /// Whether every choice has ended (its `finished` or `failed` read).
    var allEnded: Bool { open == 0 }

    /// The next event of any choice. A choice's stream that ends without `finished` or `failed`
    /// reads as `failed`. Once every choice has ended, reads `failed` for choice 0.
    func next() async -> (choice: Int, event: CompletionEvent) {
        while open > 0 {
            guard let (choice, event) = await iterator.next() else { break }
            guard let event else {
                // A stream's end after its last event was seen is not news.
                if ended.insert(choice).inserted {
                    return end(choice, .failed("the engine ended the completion without a result"))
                }
                continue
            }
            switch event {
            case .text(let text):
                if firstText == nil, !text.isEmpty { firstText = .now }
            case .finished, .failed:
                ended.insert(choice)
                return end(choice, event)
            case .logprobs:
                break
            }
            return (choice, event)
        }
        return (0, .failed("the completion has already ended"))
    }

    /// The next event that is not empty text.
    func nextNonEmpty() async -> (choice: Int, event: CompletionEvent) {
        while true {
            let next = await next()
            if case .text(let text) = next.event, text.isEmpty { continue }
            return next
        }
    }

    /// The usage of every choice together: the shared prompt once, all choices' completions.
    var totalUsage: CompletionUsage { usage }

    private var ended = Set<Int>()

    /// Tallies a choice's last event; when the last choice ends, records the whole completion.
    private func end(_ choice: Int, _ event: CompletionEvent) -> (choice: Int, event: CompletionEvent) {
        open -= 1
        switch event {
        case .finished(_, let u):
            usage.promptTokens = u.promptTokens
            usage.completionTokens += u.completionTokens
        default:
            anyFailed = true
        }
        if open == 0, !anyFailed {
            let now = ContinuousClock.now
            tokens.record(prompt: usage.promptTokens, completion: usage.completionTokens)
            metrics.recordCompletion(usage, timeToFirstToken: firstText.map { $0 - submitted }, decodeTime: firstText.map { now - $0 })
        }
        return (choice, event)
    }
}

/// Counts down the choices whose streams are still being read.
private final class Remaining: Sendable {
    private let count: Mutex<Int>
    init(_ count: Int) { self.count = Mutex(count) }
    /// True for the last one.
    func endOne() -> Bool { count.withLock { $0 -= 1; return $0 == 0 } }
}
