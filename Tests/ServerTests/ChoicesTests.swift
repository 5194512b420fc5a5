import Engine
import Foundation
import HummingbirdTesting
import Testing

/// `n` > 1 on both endpoints (issue 16): one choice per completion, indexed, the prompt counted once.
@Suite struct ServerChoicesTests {
    @Test("n = 3: three indexed choices with their own text and finish reason; usage counts the prompt once")
    func plain() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            for (path, body) in [("/v1/completions", ["prompt": "a b c", "n": 3] as [String: Any]),
                                 ("/v1/chat/completions", ["messages": [["role": "user", "content": "a b"]], "n": 3])] {
                let response = try await client.post(path, body)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let json = try JSON.object(response.body)
                let choices = try #require(json["choices"] as? [[String: Any]])
                #expect(choices.map { $0["index"] as? Int } == [0, 1, 2])
                let texts = choices.map { ($0["text"] as? String) ?? (($0["message"] as? [String: Any])?["content"] as? String) ?? "?" }
                #expect(Set(texts).count == 3, "\(texts)")
                #expect(choices.allSatisfy { $0["finish_reason"] as? String == "stop" })
                #expect(backend.submissions.last?.parameters.choices == 3)
                let usage = try #require(json["usage"] as? [String: Any])
                let prompt = try #require(backend.submissions.last?.prompt.count)
                let words = texts[0].split(separator: " ").count
                #expect(usage["prompt_tokens"] as? Int == prompt && usage["completion_tokens"] as? Int == 3 * words, "\(usage)")
            }
        }
    }

    @Test("n = 2 streamed: chunks name their choice, each choice finishes, one usage chunk and [DONE] close the stream")
    func streamed() async throws {
        try await withServer(MockBackend()) { client in
            let body: [String: Any] = ["messages": [["role": "user", "content": "x y"]], "n": 2, "stream": true,
                                       "stream_options": ["include_usage": true]]
            let response = try await client.post("/v1/chat/completions", body)
            #expect(String(buffer: response.body).hasSuffix("data: [DONE]\n\n"))
            let events = try sseJSONEvents(response.body)
            var texts = ["", ""], roles = [0, 0], finishes = [0, 0]
            for event in events.dropLast() {
                for choice in try #require(event["choices"] as? [[String: Any]]) {
                    let i = try #require(choice["index"] as? Int)
                    let delta = choice["delta"] as? [String: Any] ?? [:]
                    if delta["role"] != nil { roles[i] += 1 }
                    texts[i] += delta["content"] as? String ?? ""
                    if choice["finish_reason"] is String { finishes[i] += 1 }
                }
            }
            #expect(roles == [1, 1] && finishes == [1, 1])
            #expect(texts == ["user: x y", "x y user:"], "\(texts)")
            let last = try #require(events.last)
            #expect((last["choices"] as? [Any])?.isEmpty == true)
            #expect((last["usage"] as? [String: Any])?["completion_tokens"] as? Int == 6)
        }
    }

    @Test("one failing choice fails the whole request, and the others are cancelled")
    func failure() async throws {
        let backend = MockBackend()
        backend.script = .fail(afterTokens: 1, "boom")
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["prompt": "a b c", "n": 2])
            #expect(response.status == .serviceUnavailable)
            #expect(String(buffer: response.body).contains("boom"))
        }
    }
}
