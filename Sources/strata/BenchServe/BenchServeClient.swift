import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The network side of `strata bench serve`, kept thin: send, stream, time. The event
/// stream is parsed by `ServerSentEventParser` and `StreamPayload`, timed by
/// `StreamAccumulator`, summarised by `BenchServeReport`.
enum BenchServeClient {
    /// Runs `requests` requests with `concurrency` in flight and reports. Stops sending at
    /// `timeout` after the start and cancels what is still running (those count as
    /// `"timeout"` failures).
    static func run(_ plan: BenchServeRequest, concurrency: Int, requests: Int, timeout: Duration) async throws -> BenchServeReport {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        configuration.timeout = .init(connect: .seconds(5))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

        let clock = ContinuousClock()
        let start = clock.now
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                                        + Int64(timeout.components.attoseconds / 1_000_000_000))
        let outcome = await withTaskGroup(of: [RequestResult]?.self) { group in
            group.addTask {
                await runAll(plan, client: client, concurrency: concurrency, requests: requests, deadline: deadline)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            // Whichever ends first: all requests done, or the timeout (then the rest are cancelled).
            var results: [RequestResult] = []
            var timedOut: Bool?
            while let finished = await group.next() {
                group.cancelAll()
                if let finished { results = finished }
                if timedOut == nil { timedOut = finished == nil }
            }
            return (results, timedOut ?? false)
        }
        let duration = clock.now - start
        try? await client.shutdown()
        return BenchServeReport(results: outcome.0, duration: duration, requested: requests, timedOut: outcome.1,
                                url: plan.endpoint, chat: plan.chat, concurrency: concurrency)
    }

    /// Keeps `concurrency` requests in flight until `requests` have been sent or the task is
    /// cancelled; returns every result, in completion order. Until one request gets an
    /// answer (any HTTP status), a transport failure (connection refused, DNS, TLS) stops
    /// further sending: the server is not there.
    private static func runAll(_ plan: BenchServeRequest, client: HTTPClient, concurrency: Int, requests: Int,
                               deadline: NIODeadline) async -> [RequestResult] {
        await withTaskGroup(of: RequestResult.self) { group in
            var sent = 0
            var results: [RequestResult] = []
            results.reserveCapacity(requests)
            while sent < min(concurrency, requests) {
                let variant = sent
                group.addTask { await perform(plan, variant: variant, client: client, deadline: deadline) }
                sent += 1
            }
            var reachable = false
            while let result = await group.next() {
                results.append(result)
                if result.failure != "transport" { reachable = true }
                // A server that cannot be reached at all gets no more requests.
                if sent < requests, !Task.isCancelled, reachable {
                    let variant = sent
                    group.addTask { await perform(plan, variant: variant, client: client, deadline: deadline) }
                    sent += 1
                }
            }
            return results
        }
    }

    /// One streaming request, timed from just before it is sent.
    private static func perform(_ plan: BenchServeRequest, variant: Int, client: HTTPClient, deadline: NIODeadline) async -> RequestResult {
        var request = HTTPClientRequest(url: plan.endpoint)
        request.method = .POST
        for (name, value) in plan.headers { request.headers.add(name: name, value: value) }
        // A fresh connection per request: servers that close kept-alive connections after a
        // few requests (llama-server's HTTP library does) would otherwise race the reuse and
        // show up as failures that are not the server's.
        request.headers.add(name: "Connection", value: "close")
        request.body = .bytes(ByteBuffer(string: plan.body(variant: variant)))

        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await client.execute(request, deadline: deadline)
            guard response.status == .ok else {
                let body = try? await response.body.collect(upTo: 1 << 16)
                let text = body.map { String(buffer: $0) } ?? ""
                return .failed("\(response.status.code)", message: BenchServeClient.errorMessage(in: text, status: response.status),
                               latency: clock.now - start)
            }
            var parser = ServerSentEventParser()
            var accumulator = StreamAccumulator()
            for try await buffer in response.body {
                let now = clock.now - start
                for event in parser.feed(buffer.readableBytesView) { accumulator.receive(StreamPayload(event), at: now) }
            }
            let end = clock.now - start
            for event in parser.finish() { accumulator.receive(StreamPayload(event), at: end) }
            return accumulator.finish(latency: end)
        } catch {
            let latency = clock.now - start
            if Task.isCancelled || NIODeadline.now() >= deadline {
                return .failed("timeout", message: "still running at --timeout", latency: latency)
            }
            return .failed("transport", message: "\(error)", latency: latency)
        }
    }

    /// The server's error message from an OpenAI error body, else the body or the status.
    static func errorMessage(in body: String, status: HTTPResponseStatus) -> String {
        if let message = StreamPayload.errorMessage(inJSON: body) { return message }
        let trimmed = body.trimmingASCIIWhitespace()
        return trimmed.isEmpty ? "HTTP \(status.code) \(status.reasonPhrase)" : String(trimmed.prefix(200))
    }
}
