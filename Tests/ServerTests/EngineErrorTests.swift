import Engine
import Foundation
import HummingbirdTesting
import Testing

/// The engine's refusals and failures, as statuses a client can act on.
@Suite struct EngineErrorTests {
    @Test("a full queue is a 429 with Retry-After: 1")
    func queueFull() async throws {
        let backend = MockBackend()
        backend.script = .refuse(.queueFull(limit: 8))
        try await withServer(backend) { client in
            for stream in [false, true] {
                let response = try await client.post("/v1/completions", ["prompt": "hi", "stream": stream])
                let error = try expectOpenAIError(response, .tooManyRequests, code: "rate_limit_exceeded")
                #expect(error["type"] as? String == "rate_limit_exceeded")
                #expect(response.headers[.retryAfter] == "1")
            }
            backend.script = .echo
            #expect(try await client.post("/v1/completions", ["prompt": "hi"]).status == .ok)
        }
    }

    @Test("the engine's 400s: too long, bad sampling, bad prompt")
    func engineRefusals() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            backend.script = .refuse(.tooLong(promptTokens: 10, maxTokens: 300, capacity: 256))
            let tooLong = try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "hi"]), .badRequest, code: "context_length_exceeded")
            #expect((tooLong["message"] as? String)?.contains("256") == true)
            backend.script = .refuse(.sampling(.outOfRange(name: "top_p", value: "0", allowed: "(0, 1]")))
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "hi"]), .badRequest, param: "top_p")
            backend.script = .refuse(.invalidPrompt("token 99999 is outside the vocabulary"))
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "hi"]), .badRequest, param: "prompt")
        }
    }

    @Test("out of memory at submission is a 503 with Retry-After")
    func outOfMemory() async throws {
        let backend = MockBackend()
        backend.script = .refuse(.outOfMemory("needs 900 pages, the budget holds 512"))
        try await withServer(backend) { client in
            let response = try await client.post("/v1/chat/completions", ["messages": [["role": "user", "content": "x"]]])
            try expectOpenAIError(response, .serviceUnavailable, code: "service_unavailable")
            #expect(response.headers[.retryAfter] != nil)
        }
    }

    @Test("a failure before any text is a 503 with Retry-After, streamed or not", arguments: [false, true])
    func failureBeforeOutput(stream: Bool) async throws {
        let backend = MockBackend()
        backend.script = .fail(afterTokens: 0, "the engine is stopping")
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["prompt": "hi", "stream": stream])
            let error = try expectOpenAIError(response, .serviceUnavailable)
            #expect((error["message"] as? String)?.contains("the engine is stopping") == true)
            #expect(response.headers[.retryAfter] != nil)
            backend.script = .echo
            #expect(try await client.post("/v1/completions", ["prompt": "hi", "stream": stream]).status == .ok)
        }
    }

    @Test("a failure after some text, not streamed, is a 503")
    func failureAfterOutput() async throws {
        let backend = MockBackend()
        backend.script = .fail(afterTokens: 2, "KV page lost")
        try await withServer(backend) { client in
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "a b c", "max_tokens": 10]), .serviceUnavailable)
        }
    }

    @Test("a completion the server cancels (shutting down) is a 503")
    func cancelledByServer() async throws {
        let backend = MockBackend()
        backend.script = .cancelledByServer
        try await withServer(backend) { client in
            for stream in [false, true] {
                try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "hi", "stream": stream]), .serviceUnavailable)
            }
        }
    }

    @Test("while loading or stopping, completions are 503 and never submitted", arguments: [BackendHealth.loading, .stopping])
    func notReady(_ health: BackendHealth) async throws {
        let backend = MockBackend()
        backend.health = health
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["prompt": "hi"])
            try expectOpenAIError(response, .serviceUnavailable)
            #expect(response.headers[.retryAfter] != nil)
            #expect(backend.submissions.isEmpty)
        }
    }
}
