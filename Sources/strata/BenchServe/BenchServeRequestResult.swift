/// What one request measured. Times are from just before the request was sent.
struct RequestResult: Equatable, Sendable {
    /// Why it failed, as counted in the report (`"500"`, `"transport"`, `"stream_error"`,
    /// `"no_output"`, `"timeout"`); nil when it succeeded.
    var failure: String?
    /// A message for the failure (the server's error text, the transport error).
    var message: String?
    /// Time to the first non-empty text.
    var timeToFirstToken: Duration?
    /// Each gap between consecutive non-empty text chunks.
    var interTokenLatencies: [Duration] = []
    /// Time to the end of the stream.
    var latency: Duration = .zero
    /// From the server's `usage` when it reports it, else the non-empty text chunks.
    var outputTokens = 0
    var promptTokens: Int?

    /// (latency - TTFT) / (tokens - 1): the mean time per output token after the first;
    /// nil with fewer than two tokens.
    var timePerOutputToken: Duration? {
        guard let ttft = timeToFirstToken, outputTokens > 1 else { return nil }
        return (latency - ttft) / (outputTokens - 1)
    }

    static func failed(_ failure: String, message: String?, latency: Duration) -> RequestResult {
        RequestResult(failure: failure, message: message, latency: latency)
    }
}
