import Engine
import Foundation
import HummingbirdTesting
import Testing

/// `/tokenize` and `/detokenize` in llama-server's shapes (issue 16).
@Suite struct TokenizeTests {
    @Test("/tokenize: ids without BOS by default, BOS with add_special, pieces as text or bytes")
    func tokenize() async throws {
        try await withServer(MockBackend()) { client in
            var body = try JSON.object(try await client.post("/tokenize", ["content": "hi"]).body)
            #expect(body["tokens"] as? [Int] == [106, 107])
            body = try JSON.object(try await client.post("/tokenize", ["content": "hi", "add_special": true]).body)
            #expect(body["tokens"] as? [Int] == [1, 106, 107])
            body = try JSON.object(try await client.post("/tokenize", ["content": "é", "with_pieces": true, "add_special": true]).body)
            let pieces = try #require(body["tokens"] as? [[String: Any]])
            // BOS has no bytes (an empty text); each byte of "é" alone is not UTF-8, so it comes as bytes.
            #expect(pieces.count == 3 && pieces[0]["id"] as? Int == 1 && pieces[0]["piece"] as? String == "")
            #expect(pieces[1]["id"] as? Int == 0xC3 + 2 && pieces[1]["piece"] as? [Int] == [0xC3])
            #expect(pieces[2]["piece"] as? [Int] == [0xA9])
        }
    }

    @Test("/detokenize: the text of the ids; ids outside the vocabulary and missing fields are 400s")
    func detokenize() async throws {
        try await withServer(MockBackend()) { client in
            let body = try JSON.object(try await client.post("/detokenize", ["tokens": [1, 106, 107]]).body)
            #expect(body["content"] as? String == "hi")
            try expectOpenAIError(try await client.post("/detokenize", ["tokens": [5, 258]]), .badRequest, param: "tokens")
            try expectOpenAIError(try await client.post("/detokenize", ["tokens": [-1]]), .badRequest, param: "tokens")
            try expectOpenAIError(try await client.post("/detokenize", ["tokens": "hi"]), .badRequest, param: "tokens")
            try expectOpenAIError(try await client.post("/detokenize", [:]), .badRequest, param: "tokens")
            try expectOpenAIError(try await client.post("/tokenize", ["text": "hi"]), .badRequest, param: "content")
        }
    }

    @Test("/tokenize and /detokenize need the API key when one is set")
    func apiKey() async throws {
        try await withServer(MockBackend(), configure: { $0.apiKey = "secret" }) { client in
            try expectOpenAIError(try await client.post("/tokenize", ["content": "hi"]), .unauthorized)
            let response = try await client.post("/tokenize", ["content": "hi"], headers: [.authorization: "Bearer secret"])
            #expect(response.status == .ok)
        }
    }

    @Test("logit_bias reaches the engine as token ids; bad keys and values are 400s naming it")
    func logitBias() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["prompt": "a", "logit_bias": ["5": -100, "7": 2.5]])
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(backend.submissions.last?.parameters.sampling.logitBias == [5: -100, 7: 2.5])
            let chat = try await client.post("/v1/chat/completions", ["messages": [["role": "user", "content": "a"]], "logit_bias": ["9": 1]])
            #expect(chat.status == .ok && backend.submissions.last?.parameters.sampling.logitBias == [9: 1])
            for bad: [String: Any] in [["x": 1], ["-3": 1], ["1.5": 1], ["5": 101], ["5": -100.5]] {
                try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "a", "logit_bias": bad]), .badRequest, param: "logit_bias")
            }
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "a", "logit_bias": ["5": "x"]]), .badRequest, param: "logit_bias[5]")
        }
    }
}
