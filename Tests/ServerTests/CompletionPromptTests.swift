import Engine
import Foundation
import HummingbirdTesting
import Testing

/// `/v1/completions` prompts as token ids, `echo`, and `stop_token_ids` (issue 16).
@Suite struct CompletionPromptTests {
    static func text(_ response: TestResponse) throws -> String? {
        let body = try JSON.object(response.body)
        return (body["choices"] as? [[String: Any]])?.first?["text"] as? String
    }

    @Test("a prompt of token ids, or an array of one such prompt, is completed as its text would be")
    func tokenPrompts() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let ids = backend.tokenize("one two")
            #expect(try Self.text(try await client.post("/v1/completions", ["prompt": ids, "max_tokens": 5])) == "one two")
            #expect(backend.submissions.last?.prompt == ids)
            #expect(try Self.text(try await client.post("/v1/completions", ["prompt": [ids], "max_tokens": 5])) == "one two")
            #expect(backend.submissions.last?.prompt == ids)
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": [ids, ids]]), .badRequest, code: "unsupported_value", param: "prompt")
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": [1, 999]]), .badRequest, param: "prompt")
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": [Int]()]), .badRequest, param: "prompt")
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": [1, "a"]]), .badRequest, param: "prompt")
        }
    }

    @Test("echo puts the prompt's text before the completion, plain and streamed, for text and token prompts")
    func echo() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            #expect(try Self.text(try await client.post("/v1/completions", ["prompt": "a b", "echo": true])) == "a ba b")
            let ids = backend.tokenize("c d")
            #expect(try Self.text(try await client.post("/v1/completions", ["prompt": ids, "echo": true])) == "c dc d")
            #expect(try Self.text(try await client.post("/v1/completions", ["prompt": "a b", "echo": false])) == "a b")
            let events = try sseJSONEvents(try await client.post("/v1/completions", ["prompt": "a b", "echo": true, "stream": true]).body)
            let texts = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }
            #expect(texts.first == "a b" && texts.joined() == "a ba b", "\(texts)")
        }
    }

    @Test("stop_token_ids reach the engine; ids outside the vocabulary are a 400 naming the field")
    func stopTokenIDs() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["prompt": "a", "stop_token_ids": [3, 4]])
            #expect(response.status == .ok)
            #expect(backend.submissions.last?.parameters.stopTokens == [3, 4])
            let chat = try await client.post("/v1/chat/completions", ["messages": [["role": "user", "content": "a"]], "stop_token_ids": [7]])
            #expect(chat.status == .ok && backend.submissions.last?.parameters.stopTokens == [7])
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "a", "stop_token_ids": [258]]), .badRequest, param: "stop_token_ids")
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "a", "stop_token_ids": "x"]), .badRequest, param: "stop_token_ids")
        }
    }
}
