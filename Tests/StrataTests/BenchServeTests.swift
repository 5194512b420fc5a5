import ArgumentParser
import Testing
@testable import strata

/// `strata bench serve`'s pure core: the event-stream parser, chunk shapes, the per-request
/// timing, the summary statistics and argument handling. The HTTP loop is a thin shell over
/// these.
@Suite struct BenchServeTests {
    // MARK: server-sent events

    static let completionStream = """
        data: {"id":"cmpl-1","object":"text_completion","choices":[{"text":" Once","index":0,"finish_reason":null}]}

        data: {"id":"cmpl-1","object":"text_completion","choices":[{"text":" upon","index":0,"finish_reason":null}]}

        data: {"id":"cmpl-1","object":"text_completion","choices":[{"text":"","index":0,"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}

        data: [DONE]


        """

    static func parseAll(_ text: String, splitEvery step: Int) -> [ServerSentEvent] {
        let bytes = Array(text.utf8)
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        var i = 0
        while i < bytes.count {
            events += parser.feed(bytes[i..<min(i + step, bytes.count)])
            i += step
        }
        return events + parser.finish()
    }

    /// Every way of cutting the stream into buffers gives the same events.
    @Test(arguments: [1, 2, 3, 7, 64, 100_000])
    func eventsSurviveAnyBufferBoundary(_ step: Int) {
        let events = Self.parseAll(Self.completionStream, splitEvery: step)
        #expect(events.count == 4)
        #expect(events.last == ServerSentEvent(event: nil, data: "[DONE]"))
        #expect(events.map { StreamPayload($0) } == [
            .chunk(text: " Once", usage: nil), .chunk(text: " upon", usage: nil),
            .chunk(text: "", usage: StreamUsage(promptTokens: 5, completionTokens: 2)), .done,
        ])
    }

    @Test func lineEndingsCommentsAndMultilineData() {
        let text = ": keep-alive\r\ndata: a\r\ndata:b\r\n\r\nevent: error\rdata: {\"error\":\"boom\"}\r\rid: 7\nretry: 10\ndata: x\n\n"
        for step in [1, 2, 5, 1000] {
            #expect(Self.parseAll(text, splitEvery: step) == [
                ServerSentEvent(event: nil, data: "a\nb"),
                ServerSentEvent(event: "error", data: "{\"error\":\"boom\"}"),
                ServerSentEvent(event: nil, data: "x"),
            ])
        }
        // A CR at the end of one buffer and its LF at the start of the next are one line end.
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: a\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\n\r\n".utf8)) == [ServerSentEvent(event: nil, data: "a")])
    }

    /// UTF-8 split across buffers is reassembled, not replaced.
    @Test func multibyteTextSplitAcrossBuffers() {
        let text = "data: {\"choices\":[{\"text\":\"héllo 日本 😀\"}]}\n\n"
        let events = Self.parseAll(text, splitEvery: 1)
        #expect(events.map { StreamPayload($0) } == [.chunk(text: "héllo 日本 😀", usage: nil)])
    }

    /// A stream that ends without the final blank line still yields its last event.
    @Test func unterminatedLastEvent() {
        #expect(Self.parseAll("data: [DONE]", splitEvery: 4) == [ServerSentEvent(event: nil, data: "[DONE]")])
        #expect(Self.parseAll("data: [DONE]\n", splitEvery: 4) == [ServerSentEvent(event: nil, data: "[DONE]")])
        #expect(Self.parseAll("", splitEvery: 4).isEmpty)
    }

    // MARK: chunk shapes

    @Test func chatChunks() {
        func payload(_ json: String) -> StreamPayload { StreamPayload(ServerSentEvent(event: nil, data: json)) }
        #expect(payload(#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#)
                == .chunk(text: "", usage: nil))
        #expect(payload(#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#) == .chunk(text: "Hi", usage: nil))
        #expect(payload(#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#) == .chunk(text: "", usage: nil))
        // OpenAI's stream_options.include_usage: a last chunk with no choices.
        #expect(payload(#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}"#)
                == .chunk(text: "", usage: StreamUsage(promptTokens: 9, completionTokens: 4)))
        #expect(payload(" [DONE] ") == .done)
    }

    @Test func errorEvents() {
        func payload(_ json: String, event: String? = nil) -> StreamPayload { StreamPayload(ServerSentEvent(event: event, data: json)) }
        #expect(payload(#"{"error":{"message":"context full","type":"server_error","code":500}}"#) == .error("context full"))
        #expect(payload(#"{"error":"overloaded"}"#) == .error("overloaded"))
        #expect(payload(#"{"detail":"x"}"#, event: "error") == .error(#"{"detail":"x"}"#))
        guard case .error = payload("not json") else {
            Issue.record("garbage must be an error")
            return
        }
        #expect(StreamPayload.errorMessage(inJSON: #"{"error":{"message":"Invalid API key","type":"authentication_error"}}"#) == "Invalid API key")
        #expect(StreamPayload.errorMessage(inJSON: "<html>502</html>") == nil)
    }

    // MARK: per-request timing

    @Test func accumulatorTimesTokens() {
        var a = StreamAccumulator()
        a.receive(.chunk(text: "", usage: nil), at: .milliseconds(5))  // role-only chunk: not a token
        a.receive(.chunk(text: "A", usage: nil), at: .milliseconds(100))
        a.receive(.chunk(text: "B", usage: nil), at: .milliseconds(130))
        a.receive(.chunk(text: "C", usage: nil), at: .milliseconds(170))
        a.receive(.done, at: .milliseconds(171))
        let r = a.finish(latency: .milliseconds(180))
        #expect(r.failure == nil)
        #expect(r.timeToFirstToken == .milliseconds(100))
        #expect(r.interTokenLatencies == [.milliseconds(30), .milliseconds(40)])
        #expect(r.outputTokens == 3)
        #expect(r.latency == .milliseconds(180))
        #expect(r.timePerOutputToken == .milliseconds(40))  // (180 - 100) / (3 - 1)
    }

    /// The server's usage, when given, is the token count (chunks may carry several tokens).
    @Test func usageOverridesChunkCount() {
        var a = StreamAccumulator()
        a.receive(.chunk(text: "AB", usage: nil), at: .milliseconds(10))
        a.receive(.chunk(text: "", usage: StreamUsage(promptTokens: 7, completionTokens: 5)), at: .milliseconds(20))
        let r = a.finish(latency: .milliseconds(50))
        #expect(r.outputTokens == 5 && r.promptTokens == 7)
        #expect(r.timePerOutputToken == .microseconds(10_000))  // (50 - 10) / 4
    }

    @Test func failuresInTheStream() {
        var a = StreamAccumulator()
        a.receive(.chunk(text: "A", usage: nil), at: .milliseconds(10))
        a.receive(.error("out of memory"), at: .milliseconds(20))
        #expect(a.finish(latency: .milliseconds(20)).failure == "stream_error")
        #expect(a.finish(latency: .milliseconds(20)).message == "out of memory")

        var empty = StreamAccumulator()
        empty.receive(.done, at: .milliseconds(1))
        let r = empty.finish(latency: .milliseconds(2))
        #expect(r.failure == "no_output" && r.timeToFirstToken == nil && r.timePerOutputToken == nil)

        var single = StreamAccumulator()
        single.receive(.chunk(text: "A", usage: nil), at: .milliseconds(10))
        #expect(single.finish(latency: .milliseconds(10)).timePerOutputToken == nil)
    }

    // MARK: statistics

    @Test func summaryPercentiles() {
        // 1...100 ms: mean 50.5, p50 50, p90 90, p99 99 (HdrHistogram reports the highest value
        // equivalent to the percentile's bucket, within 0.1% at three significant digits).
        let s = LatencySummary((1...100).map { Duration.milliseconds($0) })
        #expect(s.count == 100)
        #expect(s.mean == 50.5)
        #expect(abs(s.p50 - 50) <= 0.05 && abs(s.p90 - 90) <= 0.09 && abs(s.p99 - 99) <= 0.1)
        #expect(s.p50 <= s.p90 && s.p90 <= s.p99)

        let one = LatencySummary([.microseconds(1234)])
        #expect(one.mean == 1.234 && one.p50 == 1.234 && one.p99 == 1.234)
        #expect(LatencySummary([]) == LatencySummary(count: 0, mean: 0, p50: 0, p90: 0, p99: 0))
    }

    @Test func microsecondsClampAndTruncate() {
        #expect(LatencySummary.microseconds(.nanoseconds(1999)) == 1)
        #expect(LatencySummary.microseconds(.seconds(2) + .microseconds(5)) == 2_000_005)
        #expect(LatencySummary.microseconds(.seconds(-1)) == 0)
        #expect(LatencySummary.microseconds(.seconds(10_000)) == LatencySummary.maximumMicroseconds)
    }

    static func result(ttft: Int, tokens: Int, gap: Int) -> RequestResult {
        var r = RequestResult()
        r.timeToFirstToken = .milliseconds(ttft)
        r.interTokenLatencies = Array(repeating: .milliseconds(gap), count: tokens - 1)
        r.outputTokens = tokens
        r.latency = .milliseconds(ttft + gap * (tokens - 1))
        return r
    }

    @Test func reportAggregates() {
        let results = [
            Self.result(ttft: 100, tokens: 11, gap: 10),  // latency 200
            Self.result(ttft: 200, tokens: 11, gap: 20),  // latency 400
            RequestResult.failed("500", message: "boom", latency: .milliseconds(5)),
            RequestResult.failed("500", message: "again", latency: .milliseconds(5)),
            RequestResult.failed("transport", message: "connection refused", latency: .milliseconds(1)),
        ]
        let report = BenchServeReport(results: results, duration: .seconds(2), requested: 6, timedOut: true,
                                      url: "http://h/v1/completions", chat: false, concurrency: 2)
        #expect(report.sent == 5 && report.completed == 2 && report.failed == 3)
        #expect(report.failures == ["500": 2, "transport": 1])
        #expect(report.failureMessages == ["500": "boom", "transport": "connection refused"])
        #expect(report.failureList == "500: 2, transport: 1")
        #expect(report.requestThroughput == 1)
        #expect(report.outputTokens == 22 && report.outputThroughput == 11)
        #expect(report.ttft.mean == 150 && report.ttft.count == 2)
        #expect(report.tpot.mean == 15)  // 10 ms and 20 ms per token after the first
        #expect(report.itl.count == 20 && report.itl.mean == 15 && abs(report.itl.p50 - 10) < 0.01 && report.itl.p99 == 20)
        #expect(report.e2e.mean == 300)
        #expect(report.promptTokens == nil)

        let json = report.json()
        for field in [#""completed": 2"#, #""failures": {"500": 2, "transport": 1}"#, #""timed_out": true"#,
                      #""request_throughput": 1.00"#, #""output_throughput": 11.00"#,
                      #""ttft_ms": {"count": 2, "mean": 150.00"#, #""endpoint": "completions""#] {
            #expect(json.contains(field), "\(field) missing in \(json)")
        }
        #expect(json.hasPrefix("{") && json.hasSuffix("}") && !json.contains("\n"))
        let table = report.table()
        for field in ["2 ok, 3 failed, 5 of 6 sent (timed out)", "500: 2, transport: 1", "1.00 req/s", "11.00 tok/s", "TTFT", "ITL"] {
            #expect(table.contains(field), "\(field) missing in \(table)")
        }
    }

    @Test func jsonEscaping() {
        #expect("a\"b\\c\nd\u{1}é".jsonEscaped() == "a\\\"b\\\\c\\nd\\u0001é")
    }

    // MARK: arguments and requests

    @Test func endpoints() throws {
        #expect(try BenchServeRequest.endpoint(base: "http://127.0.0.1:8080", chat: false) == "http://127.0.0.1:8080/v1/completions")
        #expect(try BenchServeRequest.endpoint(base: "http://h:1/v1/", chat: true) == "http://h:1/v1/chat/completions")
        #expect(try BenchServeRequest.endpoint(base: "https://api.example.com/v1", chat: false) == "https://api.example.com/v1/completions")
        for bad in ["localhost:8080", "ftp://h", "http://", "http:/h", ""] {
            #expect(throws: ValidationError.self) { try BenchServeRequest.endpoint(base: bad, chat: false) }
        }
    }

    @Test func argumentValidation() throws {
        let ok = try BenchServeCommand.parse(["--url", "http://h:1", "-c", "4", "-n", "10", "--prompt-tokens", "32",
                                              "--max-tokens", "16", "--chat", "--json", "--api-key", "k", "--model", "m"])
        #expect(ok.concurrency == 4 && ok.requests == 10 && ok.promptTokens == 32 && ok.maxTokens == 16)
        #expect(ok.chat && ok.json && ok.apiKey == "k" && ok.model == "m" && ok.timeout == 600)
        for bad in [["--url", "h"], ["--url", "http://h", "-c", "0"], ["--url", "http://h", "-n", "0"],
                    ["--url", "http://h", "--prompt-tokens", "0"], ["--url", "http://h", "--max-tokens", "-1"],
                    ["--url", "http://h", "--timeout", "0"], ["--url", "http://h", "--model", ""], []] {
            #expect(throws: (any Error).self, "\(bad)") { try BenchServeCommand.parse(bad) }
        }
    }

    /// `bench` is a group whose default is the model benchmark, so its old flags still work.
    @Test func benchGroupDefaultsToTheModelBenchmark() throws {
        let model = try Strata.parseAsRoot(["bench", "-p", "128", "-n", "64"])
        let bench = try #require(model as? BenchCommand)
        #expect(bench.promptTokens == 128 && bench.generatedTokens == 64)
        #expect(try Strata.parseAsRoot(["bench", "model", "-p", "8"]) is BenchCommand)
        #expect(try Strata.parseAsRoot(["bench", "serve", "--url", "http://h"]) is BenchServeCommand)
    }

    @Test func syntheticPrompts() {
        #expect(BenchServeRequest.words.count % 7 != 0)
        let p = BenchServeRequest.syntheticPrompt(tokens: 100, variant: 0)
        #expect(p.split(separator: " ").count == 100)
        #expect(BenchServeRequest.syntheticPrompt(tokens: 100, variant: 0) == p)
        let firstWords = Set((0..<BenchServeRequest.words.count).map {
            BenchServeRequest.syntheticPrompt(tokens: 3, variant: $0).split(separator: " ")[0]
        })
        #expect(firstWords.count == BenchServeRequest.words.count)
    }

    @Test func requestBodies() {
        let plan = BenchServeRequest(endpoint: "http://h/v1/completions", model: "m\"x", apiKey: "secret", chat: false,
                                     promptTokens: 3, maxTokens: 16)
        #expect(plan.body(variant: 0) == #"{"model": "m\"x", "prompt": "the for on", "max_tokens": 16, "temperature": 0, "ignore_eos": true, "stream": true, "stream_options": {"include_usage": true}}"#)
        var chat = plan
        chat.chat = true
        chat.model = nil
        #expect(chat.body(variant: 0).hasPrefix(#"{"messages": [{"role": "user", "content": "the for on"}], "max_tokens": 16"#))
        #expect(plan.headers.contains { $0 == ("Authorization", "Bearer secret") })
    }
}
