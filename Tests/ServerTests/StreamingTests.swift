import Engine
import Foundation
import HummingbirdTesting
import Testing

@Suite struct StreamingTests {
    @Test("a streamed completion: one text_completion event per piece, a finish event, then [DONE]")
    func completionStream() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["prompt": "one two three", "max_tokens": 2, "stream": true])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = try sseJSONEvents(response.body)
            #expect(events.count == 3)
            let id = try #require(events.first?["id"] as? String)
            #expect(id.hasPrefix("cmpl-"))
            var text = ""
            for (index, event) in events.enumerated() {
                #expect(event["id"] as? String == id)
                #expect(event["object"] as? String == "text_completion")
                #expect(event["model"] as? String == "mock-model")
                #expect(event["usage"] == nil)
                let choice = try #require((event["choices"] as? [[String: Any]])?.first)
                text += choice["text"] as? String ?? ""
                #expect(choice["logprobs"] is NSNull)
                if index < events.count - 1 {
                    #expect(choice["finish_reason"] is NSNull)
                } else {
                    #expect(choice["finish_reason"] as? String == "length")
                    #expect(choice["text"] as? String == "")
                }
            }
            #expect(text == "one two")
        }
    }

    @Test("stream_options.include_usage: usage null in every event, then one with empty choices and the usage")
    func completionStreamWithUsage() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post(
                "/v1/completions", ["prompt": "a b", "max_tokens": 5, "stream": true, "stream_options": ["include_usage": true]])
            let events = try sseJSONEvents(response.body)
            #expect(events.count == 4)
            for event in events.dropLast() { #expect(event["usage"] is NSNull) }
            let last = try #require(events.last)
            #expect((last["choices"] as? [Any])?.isEmpty == true)
            #expect(last["usage"] as? [String: Int] == ["prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6])
            let finish = try #require((events[2]["choices"] as? [[String: Any]])?.first)
            #expect(finish["finish_reason"] as? String == "stop")
        }
    }

    @Test("a streamed chat: role first, then content deltas, then finish_reason, usage and [DONE]")
    func chatStream() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post(
                "/v1/chat/completions",
                ["messages": [["role": "user", "content": "x y"]], "max_tokens": 3, "stream": true, "stream_options": ["include_usage": true]])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = try sseJSONEvents(response.body)
            // role, 3 pieces, finish, usage
            #expect(events.count == 6)
            let id = try #require(events.first?["id"] as? String)
            #expect(id.hasPrefix("chatcmpl-"))
            for event in events {
                #expect(event["object"] as? String == "chat.completion.chunk")
                #expect(event["id"] as? String == id)
            }
            let deltas = events.prefix(5).compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
            #expect(deltas.count == 5)
            #expect(deltas[0]["role"] as? String == "assistant")
            #expect(deltas[1...3].allSatisfy { $0["role"] == nil })
            #expect(deltas[1...3].compactMap { $0["content"] as? String }.joined() == "user: x y")
            #expect(deltas[4].isEmpty)
            let finish = try #require((events[4]["choices"] as? [[String: Any]])?.first)
            #expect(finish["finish_reason"] as? String == "length")
            #expect(events[5]["usage"] as? [String: Int] != nil)
            #expect((events[5]["choices"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("a failure after the stream began ends it with an error event, then [DONE]")
    func failureMidStream() async throws {
        let backend = MockBackend()
        backend.script = .fail(afterTokens: 2, "KV page lost")
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["prompt": "a b c d", "max_tokens": 10, "stream": true])
            #expect(response.status == .ok)
            let events = try sseJSONEvents(response.body)
            #expect(events.count == 3)
            let error = try #require(events.last?["error"] as? [String: Any])
            #expect(Set(error.keys) == ["message", "type", "param", "code"])
            #expect((error["message"] as? String)?.contains("KV page lost") == true)
            // A normal request works right after.
            backend.script = .echo
            #expect(try await client.post("/v1/completions", ["prompt": "a", "stream": true]).status == .ok)
        }
    }

    @Test("the streamed text equals the whole response's")
    func streamMatchesWhole() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let request: [String: Any] = ["prompt": "the quick brown fox jumps", "max_tokens": 4, "stop": "own f"]
            let whole = try JSON.object(try await client.post("/v1/completions", request).body)
            let wholeText = (whole["choices"] as? [[String: Any]])?.first?["text"] as? String
            var streamed = request
            streamed["stream"] = true
            let events = try sseJSONEvents(try await client.post("/v1/completions", streamed).body)
            let streamedText = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }.joined()
            #expect(wholeText == "the quick br")
            #expect(streamedText == wholeText)
        }
    }
}
