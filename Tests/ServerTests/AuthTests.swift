import Foundation
import HummingbirdTesting
import Testing

@Suite struct AuthTests {
    @Test("with an API key, /v1 needs Authorization: Bearer <key>; health and metrics stay open")
    func apiKey() async throws {
        let backend = MockBackend()
        try await withServer(backend, configure: { $0.apiKey = "sk-test" }) { client in
            for path in ["/v1/models", "/v1/models/mock-model"] {
                try expectOpenAIError(try await client.get(path), .unauthorized, code: "invalid_api_key")
            }
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "hi"]), .unauthorized, code: "invalid_api_key")
            let wrong = try await client.post("/v1/chat/completions", ["messages": [["role": "user", "content": "x"]]], headers: [.authorization: "Bearer sk-nope"])
            let error = try expectOpenAIError(wrong, .unauthorized, code: "invalid_api_key")
            #expect(error["type"] as? String == "invalid_request_error")
            try expectOpenAIError(try await client.get("/v1/models", headers: [.authorization: "Basic sk-test"]), .unauthorized)
            #expect(backend.submissions.isEmpty)

            #expect(try await client.get("/v1/models", headers: [.authorization: "Bearer sk-test"]).status == .ok)
            #expect(try await client.post("/v1/completions", ["prompt": "hi"], headers: [.authorization: "Bearer sk-test"]).status == .ok)
            #expect(try await client.get("/health").status == .ok)
            #expect(try await client.get("/metrics").status == .ok)
        }
    }

    @Test("without an API key, no header is needed")
    func open() async throws {
        try await withServer(MockBackend()) { client in
            let response = try await client.get("/v1/models")
            #expect(response.status == .ok)
        }
    }
}
