import AsyncHTTPClient
import Engine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A client that goes away cancels its completion, over a real loopback socket: while the
/// completion is queued, while it generates a whole response, and in the middle of a stream.
@Suite(.timeLimit(.minutes(1))) struct DisconnectTests {
    private static func completionRequest(stream: Bool) -> TestClient.Request {
        let body = JSON.body(["prompt": "a b c d e f", "max_tokens": 100, "stream": stream])
        return TestClient.Request("/v1/completions", method: .post, headers: JSON.headers, body: body)
    }

    @Test("closing the connection mid-stream cancels the completion", arguments: [false, true])
    func midStream(closeBothDirections: Bool) async throws {
        let backend = MockBackend()
        backend.script = .hang(afterTokens: 3)
        try await withServer(backend, .live) { client in
            let raw = TestClient(host: "127.0.0.1", port: try #require(client.port))
            raw.connect()
            try await raw.executeAndDontWaitForResponse(Self.completionRequest(stream: true))
            await backend.waitUntilHanging()
            if closeBothDirections {
                try await raw.shutdown()
            } else {
                try await raw.close()
            }
            await backend.waitForCancellation()
            #expect(backend.cancellations == 1)
            // The server goes on serving.
            backend.script = .echo
            #expect(try await client.post("/v1/completions", ["prompt": "a b"]).status == .ok)
        }
    }

    @Test("closing the connection while the completion is queued or generating cancels it", arguments: [false, true])
    func beforeAnyOutput(stream: Bool) async throws {
        let backend = MockBackend()
        backend.script = .hang(afterTokens: 0)
        try await withServer(backend, .live) { client in
            let raw = TestClient(host: "127.0.0.1", port: try #require(client.port))
            raw.connect()
            try await raw.executeAndDontWaitForResponse(Self.completionRequest(stream: stream))
            await backend.waitUntilHanging()
            try await raw.shutdown()
            await backend.waitForCancellation()
            #expect(backend.cancellations == 1)
        }
    }

    @Test("an HTTP client that reads the first event and then goes away cancels the stream")
    func httpClientGoesAway() async throws {
        let backend = MockBackend()
        backend.script = .hang(afterTokens: 2)
        try await withServer(backend, .live) { client in
            let port = try #require(client.port)
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(JSON.body(["messages": [["role": "user", "content": "a b c"]], "stream": true]))
            var received = ""
            do {
                let response = try await httpClient.execute(request, timeout: .seconds(30))
                #expect(response.status == .ok)
                #expect(response.headers["Content-Type"] == ["text/event-stream"])
                var body = response.body.makeAsyncIterator()
                while !received.contains("\n\n"), let chunk = try await body.next() {
                    received += String(buffer: chunk)
                }
            } catch {
                // An error fails the test; an HTTPClient released without shutdown() traps the process.
                try? await httpClient.shutdown()
                throw error
            }
            #expect(received.hasPrefix("data: {"))
            #expect(received.contains("chat.completion.chunk"))
            // Shutting the client down cancels its request and closes the connection.
            try await httpClient.shutdown()
            await backend.waitForCancellation()
            #expect(backend.cancellations == 1)
        }
    }

    @Test("a completion that runs to the end is not cancelled, over a real socket")
    func noSpuriousCancel() async throws {
        let backend = MockBackend()
        try await withServer(backend, .live) { client in
            let response = try await client.post("/v1/completions", ["prompt": "a b c", "stream": true])
            #expect(response.status == .ok)
            #expect(sseEvents(response.body).last == "[DONE]")
            #expect(response.headers[.connection] == "close")
        }
        #expect(backend.cancellations == 0)
    }

    @Test("a body without a declared length over the limit is a 413")
    func chunkedBodyTooLarge() async throws {
        let backend = MockBackend()
        try await withServer(backend, .live, configure: { $0.maxBodyBytes = 1024 }) { client in
            let port = try #require(client.port)
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/completions")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                let prompt = String(repeating: "word ", count: 400)
                let parts = [#"{"prompt": ""#, prompt, #""}"#].map { ByteBuffer(string: $0) }
                request.body = .stream(parts.async, length: .unknown)
                let response = try await httpClient.execute(request, timeout: .seconds(30))
                #expect(response.status.code == 413)
                let body = try await response.body.collect(upTo: 1 << 16)
                #expect(String(buffer: body).contains("request_too_large"))
            } catch {
                try await httpClient.shutdown()
                throw error
            }
            try await httpClient.shutdown()
            #expect(backend.submissions.isEmpty)
        }
    }
}

extension Array where Element: Sendable {
    /// The elements as an async sequence.
    fileprivate var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
