import Engine
import Foundation
import HummingbirdTesting
import Testing

@Suite struct ModelsAndHealthTests {
    @Test("GET /v1/models lists the one model in OpenAI's shape")
    func list() async throws {
        try await withServer(MockBackend(modelID: "org/tiny-llama")) { client in
            let response = try await client.get("/v1/models")
            #expect(response.status == .ok)
            let body = try JSON.object(response.body)
            #expect(body["object"] as? String == "list")
            let data = try #require(body["data"] as? [[String: Any]])
            #expect(data.count == 1)
            #expect(Set(data[0].keys) == ["id", "object", "created", "owned_by"])
            #expect(data[0]["id"] as? String == "org/tiny-llama")
            #expect(data[0]["object"] as? String == "model")
            #expect(data[0]["owned_by"] as? String == "strata")
            #expect(data[0]["created"] is Int)
        }
    }

    @Test("GET /v1/models/{id} returns the model, slashes and all, or 404")
    func byID() async throws {
        try await withServer(MockBackend(modelID: "org/tiny-llama")) { client in
            let found = try await client.get("/v1/models/org/tiny-llama")
            #expect(found.status == .ok)
            #expect(try JSON.object(found.body)["id"] as? String == "org/tiny-llama")
            try expectOpenAIError(try await client.get("/v1/models/gpt-4"), .notFound, code: "model_not_found")
        }
    }

    @Test("GET /health is 200 ok when ready")
    func healthy() async throws {
        try await withServer(MockBackend()) { client in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            #expect(try JSON.object(response.body) as? [String: String] == ["status": "ok"])
        }
    }

    @Test("GET /health is 503 with the state and Retry-After otherwise", arguments: [BackendHealth.loading, .saturated, .stopping])
    func unhealthy(_ health: BackendHealth) async throws {
        let backend = MockBackend()
        backend.health = health
        try await withServer(backend) { client in
            let response = try await client.get("/health")
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] != nil)
            #expect(try JSON.object(response.body) as? [String: String] == ["status": health.rawValue])
        }
    }
}
