/// Turns one response's events, with the times they arrived, into a `RequestResult`.
struct StreamAccumulator {
    private var result = RequestResult()
    private var lastTextAt: Duration?
    private var chunks = 0
    private var usage: StreamUsage?
    private var errorMessage: String?

    /// Records one event that arrived `at` after the request was sent.
    mutating func receive(_ payload: StreamPayload, at time: Duration) {
        switch payload {
        case .done:
            break
        case .error(let message):
            if errorMessage == nil { errorMessage = message }
        case .chunk(let text, let usage):
            if let usage { self.usage = usage }
            guard !text.isEmpty else { return }
            chunks += 1
            if let last = lastTextAt {
                result.interTokenLatencies.append(time - last)
            } else {
                result.timeToFirstToken = time
            }
            lastTextAt = time
        }
    }

    /// The result of a stream that ended `latency` after the request was sent.
    func finish(latency: Duration) -> RequestResult {
        var r = result
        r.latency = latency
        r.outputTokens = usage?.completionTokens ?? chunks
        r.promptTokens = usage?.promptTokens
        if let errorMessage {
            r.failure = "stream_error"
            r.message = errorMessage
        } else if r.timeToFirstToken == nil {
            r.failure = "no_output"
            r.message = "the stream carried no text"
        }
        return r
    }
}
