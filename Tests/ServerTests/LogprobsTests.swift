import Engine
import Foundation
import HummingbirdTesting
import Testing

/// `logprobs` in OpenAI's shapes on both endpoints, plain and streamed (issue 16).
@Suite struct LogprobsTests {
    static func choice(_ response: TestResponse) throws -> [String: Any] {
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try #require((try JSON.object(response.body)["choices"] as? [[String: Any]])?.first)
    }

    @Test("chat: logprobs.content per token with token, logprob, bytes and top_logprobs; null without")
    func chat() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let messages = [["role": "user", "content": "alpha beta"]]
            var choice = try Self.choice(try await client.post("/v1/chat/completions", ["messages": messages, "logprobs": true, "top_logprobs": 2]))
            #expect(backend.submissions.last?.parameters.sampling.logprobs == 2)
            let logprobs = try #require(choice["logprobs"] as? [String: Any])
            #expect(logprobs["refusal"] is NSNull)
            let content = try #require(logprobs["content"] as? [[String: Any]])
            // The mock's words: "user:", "alpha", "beta" (its chat prompt is "user: alpha beta").
            #expect(content.map { $0["token"] as? String } == ["u", "a", "b"])
            #expect(content[1]["logprob"] as? Double == -0.5 && content[1]["bytes"] as? [Int] == [97])
            let top = try #require(content[1]["top_logprobs"] as? [[String: Any]])
            #expect(top.count == 2 && top[1]["token"] as? String == "b" && top[1]["logprob"] as? Double == -1.5 && top[1]["bytes"] as? [Int] == [98])

            choice = try Self.choice(try await client.post("/v1/chat/completions", ["messages": messages, "logprobs": true]))
            let bare = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
            #expect(bare.count == 3 && (bare[0]["top_logprobs"] as? [Any])?.isEmpty == true)
            #expect(backend.submissions.last?.parameters.sampling.logprobs == 0)

            choice = try Self.choice(try await client.post("/v1/chat/completions", ["messages": messages, "logprobs": false]))
            #expect(choice["logprobs"] is NSNull && backend.submissions.last?.parameters.sampling.logprobs == nil)
        }
    }

    @Test("chat streamed: each chunk carries the logprobs of its own text")
    func chatStreamed() async throws {
        try await withServer(MockBackend()) { client in
            let body: [String: Any] = ["messages": [["role": "user", "content": "alpha beta"]], "logprobs": true, "top_logprobs": 1, "stream": true]
            let events = try sseJSONEvents(try await client.post("/v1/chat/completions", body).body)
            var text = "", tokens: [String] = []
            for event in events {
                guard let choice = (event["choices"] as? [[String: Any]])?.first else { continue }
                let content = ((choice["delta"] as? [String: Any])?["content"] as? String) ?? ""
                let entries = ((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]]) ?? []
                // Every token's text starts inside its own chunk's text.
                for entry in entries { #expect(content.contains(entry["token"] as? String ?? "?"), "\(content) \(entry)") }
                text += content
                tokens += entries.compactMap { $0["token"] as? String }
            }
            #expect(text == "user: alpha beta" && tokens == ["u", "a", "b"])
        }
    }

    @Test("completions: tokens, token_logprobs, top_logprobs and text_offset, plain and streamed")
    func completions() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let choice = try Self.choice(try await client.post("/v1/completions", ["prompt": "ab cd", "logprobs": 2]))
            let logprobs = try #require(choice["logprobs"] as? [String: Any])
            #expect(logprobs["tokens"] as? [String] == ["a", "c"])
            #expect(logprobs["token_logprobs"] as? [Double] == [-0.5, -0.5])
            #expect(logprobs["top_logprobs"] as? [[String: Double]] == [["a": -0.5, "b": -1.5], ["c": -0.5, "d": -1.5]])
            #expect(logprobs["text_offset"] as? [Int] == [0, 1])

            let events = try sseJSONEvents(try await client.post("/v1/completions", ["prompt": "ab cd", "logprobs": 0, "stream": true]).body)
            let streamed = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any] }
            #expect(streamed.flatMap { $0["tokens"] as? [String] ?? [] } == ["a", "c"])
            #expect(streamed.allSatisfy { ($0["top_logprobs"] as? [[String: Double]])?.allSatisfy(\.isEmpty) == true })
        }
    }

    @Test("bad logprobs requests are 400s naming the field")
    func refusals() async throws {
        try await withServer(MockBackend()) { client in
            let messages = [["role": "user", "content": "a"]]
            try expectOpenAIError(try await client.post("/v1/chat/completions", ["messages": messages, "top_logprobs": 2]), .badRequest, param: "top_logprobs")
            try expectOpenAIError(try await client.post("/v1/chat/completions", ["messages": messages, "logprobs": true, "top_logprobs": 21]),
                                  .badRequest, param: "top_logprobs")
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "a", "logprobs": 21]), .badRequest, param: "logprobs")
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "a", "logprobs": -1]), .badRequest, param: "logprobs")
            try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "a", "logprobs": 1, "echo": true]),
                                  .badRequest, code: "unsupported_value", param: "echo")
        }
    }
}
