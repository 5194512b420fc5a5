import Histogram

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

/// Mean and percentiles of one latency, in milliseconds.
struct LatencySummary: Equatable, Sendable {
    var count = 0
    var mean = 0.0
    var p50 = 0.0
    var p90 = 0.0
    var p99 = 0.0

    /// Durations longer than this (an hour) count as this.
    static let maximumMicroseconds: UInt64 = 3_600_000_000

    /// The mean is exact; the percentiles come from an HdrHistogram at microsecond resolution
    /// with three significant digits (each within 0.1% of the recorded value).
    init(_ durations: [Duration]) {
        guard !durations.isEmpty else { return }
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: Self.maximumMicroseconds,
                                          numberOfSignificantValueDigits: .three)
        var sum = 0.0
        for d in durations {
            let us = Self.microseconds(d)
            sum += Double(us)
            _ = histogram.record(us)
        }
        count = durations.count
        mean = sum / Double(count) / 1000
        p50 = Double(histogram.valueAtPercentile(50)) / 1000
        p90 = Double(histogram.valueAtPercentile(90)) / 1000
        p99 = Double(histogram.valueAtPercentile(99)) / 1000
    }

    init(count: Int, mean: Double, p50: Double, p90: Double, p99: Double) {
        self.count = count
        self.mean = mean
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
    }

    /// Whole microseconds, clamped to 0...maximumMicroseconds.
    static func microseconds(_ d: Duration) -> UInt64 {
        let (seconds, attoseconds) = d.components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(maximumMicroseconds / 1_000_000) else { return maximumMicroseconds }
        return UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000)
    }
}

/// The whole run: throughput, latencies over the successful requests, failures by kind.
struct BenchServeReport: Equatable, Sendable {
    var url: String
    var chat: Bool
    var concurrency: Int
    /// Requests asked for, sent, succeeded.
    var requested: Int
    var sent: Int
    var completed: Int
    /// Failure kind to count (`"500"`, `"transport"`, ...).
    var failures: [String: Int]
    /// One message per failure kind, the first seen.
    var failureMessages: [String: String]
    var timedOut: Bool
    /// Wall time from the first request sent to the last one finished.
    var duration: Duration
    var outputTokens: Int
    /// Prompt tokens the server reported, summed (nil when it reported none).
    var promptTokens: Int?
    var ttft: LatencySummary
    var tpot: LatencySummary
    var itl: LatencySummary
    var e2e: LatencySummary

    var seconds: Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18 }
    /// Successful requests per second.
    var requestThroughput: Double { seconds > 0 ? Double(completed) / seconds : 0 }
    /// Output tokens of successful requests per second, all requests together.
    var outputThroughput: Double { seconds > 0 ? Double(outputTokens) / seconds : 0 }
    var failed: Int { failures.values.reduce(0, +) }

    init(results: [RequestResult], duration: Duration, requested: Int, timedOut: Bool, url: String, chat: Bool, concurrency: Int) {
        let ok = results.filter { $0.failure == nil }
        self.url = url
        self.chat = chat
        self.concurrency = concurrency
        self.requested = requested
        sent = results.count
        completed = ok.count
        var failures: [String: Int] = [:]
        var messages: [String: String] = [:]
        for r in results {
            guard let kind = r.failure else { continue }
            failures[kind, default: 0] += 1
            if messages[kind] == nil, let m = r.message { messages[kind] = m }
        }
        self.failures = failures
        failureMessages = messages
        self.timedOut = timedOut
        self.duration = duration
        outputTokens = ok.reduce(0) { $0 + $1.outputTokens }
        let prompts = ok.compactMap(\.promptTokens)
        promptTokens = prompts.isEmpty ? nil : prompts.reduce(0, +)
        ttft = LatencySummary(ok.compactMap(\.timeToFirstToken))
        tpot = LatencySummary(ok.compactMap(\.timePerOutputToken))
        itl = LatencySummary(ok.flatMap(\.interTokenLatencies))
        e2e = LatencySummary(ok.map(\.latency))
    }

    /// Failure kinds and counts, most frequent first: `"500: 2, transport: 1"`.
    var failureList: String {
        failures.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    /// The report as text for people.
    func table() -> String {
        func row(_ name: String, _ value: String) -> String {
            name.padding(to: 26) + value + "\n"
        }
        var out = "---------- serving benchmark ----------\n"
        out += row("endpoint", url)
        out += row("concurrency", "\(concurrency)")
        out += row("requests", "\(completed) ok, \(failed) failed, \(sent) of \(requested) sent" + (timedOut ? " (timed out)" : ""))
        if failed > 0 { out += row("failures", failureList) }
        for (kind, message) in failureMessages.sorted(by: { $0.key < $1.key }) {
            out += row("  \(kind)", String(message.prefix(120)))
        }
        out += row("duration", String(format2: seconds) + " s")
        out += row("request throughput", String(format2: requestThroughput) + " req/s")
        out += row("output tokens", "\(outputTokens)")
        out += row("output throughput", String(format2: outputThroughput) + " tok/s")
        if let promptTokens { out += row("prompt tokens", "\(promptTokens)") }
        out += "\n" + "latency (ms)".padding(to: 14) + ["mean", "p50", "p90", "p99"].map { $0.padding(to: 10, left: true) }.joined() + "\n"
        for (name, s) in [("TTFT", ttft), ("TPOT", tpot), ("ITL", itl), ("E2E", e2e)] {
            out += name.padding(to: 14) + [s.mean, s.p50, s.p90, s.p99].map { String(format2: $0).padding(to: 10, left: true) }.joined() + "\n"
        }
        return out
    }

    /// The report as one JSON object (durations in milliseconds).
    func json() -> String {
        func string(_ s: String) -> String { "\"" + s.jsonEscaped() + "\"" }
        func summary(_ s: LatencySummary) -> String {
            "{\"count\": \(s.count), \"mean\": \(String(format2: s.mean)), \"p50\": \(String(format2: s.p50)), "
                + "\"p90\": \(String(format2: s.p90)), \"p99\": \(String(format2: s.p99))}"
        }
        let failureFields = failures.sorted { $0.key < $1.key }.map { "\(string($0.key)): \($0.value)" }.joined(separator: ", ")
        let messageFields = failureMessages.sorted { $0.key < $1.key }.map { "\(string($0.key)): \(string($0.value))" }.joined(separator: ", ")
        var fields: [(String, String)] = [
            ("url", string(url)), ("endpoint", string(chat ? "chat" : "completions")), ("concurrency", "\(concurrency)"),
            ("requests", "\(requested)"), ("sent", "\(sent)"), ("completed", "\(completed)"), ("failed", "\(failed)"),
            ("failures", "{\(failureFields)}"), ("failure_messages", "{\(messageFields)}"), ("timed_out", timedOut ? "true" : "false"),
            ("duration_s", String(format2: seconds)), ("request_throughput", String(format2: requestThroughput)),
            ("output_tokens", "\(outputTokens)"), ("output_throughput", String(format2: outputThroughput)),
        ]
        if let promptTokens { fields.append(("prompt_tokens", "\(promptTokens)")) }
        fields += [("ttft_ms", summary(ttft)), ("tpot_ms", summary(tpot)), ("itl_ms", summary(itl)), ("e2e_ms", summary(e2e))]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}

extension String {
    /// Padded with spaces to `width` characters (on the left with `left`); never truncated.
    func padding(to width: Int, left: Bool = false) -> String {
        let pad = String(repeating: " ", count: Swift.max(0, width - count))
        return left ? pad + self : self + pad
    }

    /// Escaped for a JSON string literal.
    func jsonEscaped() -> String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
