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
