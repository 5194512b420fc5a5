import Engine
import Foundation
import Hummingbird
import HummingbirdTesting
import Memory
import Server
import StrataRuntime
import Testing
import TestSupport

/// `POST /v1/embeddings` with the real all-MiniLM-L6-v2 behind an `EmbeddingService`.
@Suite struct EmbeddingsTests {
    /// A service over MiniLM that accepts at most 4 inputs per request; stopped after `body`.
    static func withService(_ body: (EmbeddingService) async throws -> Void) async throws {
        let service = try EmbeddingService(model: TestModels.minilm(), pool: ThreadPool(threads: 2), maxBatchTokens: 512,
                                           capacity: 8, maxInputsPerRequest: 4, budget: MemoryBudget(limitBytes: 1 << 30))
        do {
            try await body(service)
        } catch {
            await service.shutdown()
            throw error
        }
        await service.shutdown()
    }

    static func vectors(_ body: [String: Any]) throws -> [[Float]] {
        let data = try #require(body["data"] as? [[String: Any]])
        return try data.enumerated().map { index, item in
            #expect(item["object"] as? String == "embedding")
            #expect(item["index"] as? Int == index)
            return try #require(item["embedding"] as? [Double]).map(Float.init)
        }
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test func textsGiveUnitVectorsInOrderWithUsage() async throws {
        try await Self.withService { service in
            try await withEmbeddingServer(service) { client in
                let texts = ["A man is playing a guitar.", "Someone plays an acoustic guitar.", "The stock market fell."]
                let response = try await client.post("/v1/embeddings", ["model": "minilm", "input": texts])
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let body = try JSON.object(response.body)
                #expect(body["object"] as? String == "list")
                #expect(body["model"] as? String == "minilm")
                let vectors = try Self.vectors(body)
                #expect(vectors.count == 3 && vectors.allSatisfy { $0.count == 384 })
                for v in vectors { #expect(abs(v.reduce(0) { $0 + Double($1) * Double($1) } - 1) < 1e-4) }
                let usage = try #require(body["usage"] as? [String: Any])
                let tokens = texts.reduce(0) { $0 + service.tokenize($1).count }
                #expect(usage["prompt_tokens"] as? Int == tokens && usage["total_tokens"] as? Int == tokens)
                // Each alone gives the same vector as in the batch.
                for (i, text) in texts.enumerated() {
                    let single = try await Self.vectors(JSON.object(client.post("/v1/embeddings", ["input": text]).body))[0]
                    #expect(Self.maxDifference(single, vectors[i]) < 1e-5)
                }
                // Paraphrases are closer than unrelated sentences.
                let dot = { (a: [Float], b: [Float]) in zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
                #expect(dot(vectors[0], vectors[1]) > dot(vectors[0], vectors[2]) + 0.2)
            }
        }
    }

    @Test func tokenIDsAndBase64MatchText() async throws {
        try await Self.withService { service in
            try await withEmbeddingServer(service) { client in
                let text = try await Self.vectors(JSON.object(client.post("/v1/embeddings", ["input": "hello world"]).body))[0]
                let ids = service.tokenize("hello world").map(Int.init)
                #expect(ids == [101, 7592, 2088, 102])
                let one = try await Self.vectors(JSON.object(client.post("/v1/embeddings", ["input": ids]).body))
                let many = try await Self.vectors(JSON.object(client.post("/v1/embeddings", ["input": [ids, ids]]).body))
                #expect(one.count == 1 && many.count == 2)
                #expect(Self.maxDifference(one[0], text) < 1e-6 && Self.maxDifference(many[1], text) < 1e-5)

                let response = try await client.post("/v1/embeddings", ["input": "hello world", "encoding_format": "base64"])
                let data = try #require(JSON.object(response.body)["data"] as? [[String: Any]])
                let base64 = try #require(data[0]["embedding"] as? String)
                let encoded = try #require(Data(base64Encoded: base64))
                #expect(encoded.count == 384 * 4)
                let floats = encoded.withUnsafeBytes { raw in
                    (0..<384).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                }
                #expect(Self.maxDifference(floats, text) < 1e-6)
            }
        }
    }

    @Test func overLongInputIsRefusedUnlessTruncated() async throws {
        try await Self.withService { service in
            try await withEmbeddingServer(service) { client in
                let long = String(repeating: "memory bandwidth ", count: 200)
                try expectOpenAIError(try await client.post("/v1/embeddings", ["input": long]), .badRequest,
                                      code: "context_length_exceeded", param: "input")
                let response = try await client.post("/v1/embeddings", ["input": [long, "short"], "truncate": true])
                #expect(response.status == .ok)
                let usage = try #require(JSON.object(response.body)["usage"] as? [String: Any])
                #expect(usage["prompt_tokens"] as? Int == 256 + 3)
                let ids = [Int](repeating: 2000, count: 300)
                try expectOpenAIError(try await client.post("/v1/embeddings", ["input": ids]), .badRequest, code: "context_length_exceeded")
            }
        }
    }

    @Test func badInputGets400() async throws {
        try await Self.withService { service in
            try await withEmbeddingServer(service) { client in
                let cases: [([String: Any], String?, String?)] = [
                    ([:], "missing_required_parameter", "input"),
                    (["input": [String]()], "invalid_value", "input"),
                    (["input": ["a", 1]], "invalid_type", "input[1]"),
                    (["input": [1, "a"]], "invalid_type", "input[1]"),
                    (["input": [[101, 102], "a"]], "invalid_type", "input[1]"),
                    (["input": ["a", ["b"]]], nil, nil),
                    (["input": ["a": "b"]], "invalid_type", "input"),
                    (["input": 3.5], "invalid_type", "input"),
                    (["input": NSNull()], nil, nil),
                    (["input": ["a", "b", "c", "d", "e"]], "invalid_value", "input"),
                    (["input": [101, 99_999_999, 102]], "invalid_value", "input"),
                    (["input": [101, -5, 102]], "invalid_value", nil),
                    (["input": [[Int]]()], "invalid_value", "input"),
                    (["input": [[Int]()]], "invalid_value", "input"),
                    (["input": "a", "encoding_format": "int8"], "invalid_value", "encoding_format"),
                    (["input": "a", "dimensions": 128], "unsupported_value", "dimensions"),
                    (["input": "a", "truncate": "yes"], "invalid_type", "truncate"),
                ]
                for (body, code, param) in cases {
                    let response = try await client.post("/v1/embeddings", body)
                    let error = try expectOpenAIError(response, .badRequest, code: code, param: param)
                    _ = error
                }
                try expectOpenAIError(try await client.post("/v1/embeddings", ["input": "a", "model": "gpt-4"]), .notFound, code: "model_not_found")
                let garbage = try await client.execute(uri: "/v1/embeddings", method: .post, headers: JSON.headers, body: ByteBuffer(string: "{\"input\": "))
                try expectOpenAIError(garbage, .badRequest, code: "invalid_json")
                // Still serving.
                #expect(try await client.post("/v1/embeddings", ["input": "still here"]).status == .ok)
            }
        }
    }

    @Test func completionEndpointsRefuseAnEmbeddingModelAndModelsListsIt() async throws {
        try await Self.withService { service in
            try await withEmbeddingServer(service) { client in
                try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "hi"]), .badRequest, code: "model_not_supported")
                try expectOpenAIError(try await client.post("/v1/chat/completions", ["messages": [["role": "user", "content": "hi"]]]),
                                      .badRequest, code: "model_not_supported")
                let models = try JSON.object(try await client.get("/v1/models").body)
                let data = try #require(models["data"] as? [[String: Any]])
                #expect(data.map { $0["id"] as? String } == ["minilm"])
                #expect(try await client.get("/health").status == .ok)
                #expect(String(buffer: try await client.get("/metrics").body).contains("strata"))
            }
        }
    }

    @Test func embeddingsEndpointRefusesACompletionModel() async throws {
        try await withServer(MockBackend()) { client in
            try expectOpenAIError(try await client.post("/v1/embeddings", ["input": "hi"]), .badRequest, code: "model_not_supported")
        }
    }

    @Test func concurrentRequestsShareBatchesAndAllComplete() async throws {
        try await Self.withService { service in
            try await withEmbeddingServer(service) { client in
                // As many requests as the queue holds: every one is accepted and answered.
                let texts = (0..<8).map { "Sentence number \($0) is about topic \($0 % 3)." }
                let batched = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
                    for (i, text) in texts.enumerated() {
                        group.addTask { (i, try await Self.vectors(JSON.object(client.post("/v1/embeddings", ["input": ["x", text]]).body))[1]) }
                    }
                    var out = [[Float]](repeating: [], count: texts.count)
                    for try await (i, v) in group { out[i] = v }
                    return out
                }
                for (i, text) in texts.enumerated() {
                    let single = try await Self.vectors(JSON.object(client.post("/v1/embeddings", ["input": text]).body))[0]
                    #expect(Self.maxDifference(single, batched[i]) < 1e-5)
                }
                #expect(service.snapshot().completedRequests == 16)
            }
        }
    }

    @Test func moreRequestsThanTheQueueHoldsGet429OrTheirVectors() async throws {
        try await Self.withService { service in
            try await withEmbeddingServer(service) { client in
                let expected = try await Self.vectors(JSON.object(client.post("/v1/embeddings", ["input": "overload"]).body))[0]
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<40 {
                        group.addTask {
                            let response = try await client.post("/v1/embeddings", ["input": ["overload", "overload", "overload", "overload"]])
                            if response.status == .ok {
                                let vectors = try Self.vectors(JSON.object(response.body))
                                #expect(vectors.count == 4 && Self.maxDifference(vectors[3], expected) < 1e-5)
                            } else {
                                try expectOpenAIError(response, .tooManyRequests, code: "rate_limit_exceeded")
                                #expect(response.headers[.retryAfter] != nil)
                            }
                            return response.status
                        }
                    }
                    var statuses: [HTTPResponse.Status] = []
                    for try await status in group { statuses.append(status) }
                    return statuses
                }
                #expect(statuses.contains(.ok))
                #expect(service.snapshot().completedRequests == 1 + statuses.filter { $0 == .ok }.count)
            }
        }
    }
}
