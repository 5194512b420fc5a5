import Engine
import Foundation
import HummingbirdTesting
import Testing

/// Tool calls on /v1/chat/completions (issue 16): tools shown to the model, replies read for
/// calls, plain and streamed; forced calls constrained by a grammar; tool turns round-trip.
@Suite struct ToolCallTests {
    static var weather: [String: Any] { ["type": "function", "function": [
        "name": "get_weather", "description": "Weather in a city",
        "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]]] }
    static let call = #"{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}"#

    @Test("a reply that calls a tool comes back as tool_calls with finish_reason tool_calls and null content")
    func plain() async throws {
        let backend = MockBackend(contextLength: 4096)
        backend.script = .reply(Self.call)
        try await withServer(backend) { client in
            let body: [String: Any] = ["messages": [["role": "user", "content": "weather?"]], "max_tokens": 64, "tools": [Self.weather]]
            let response = try await client.post("/v1/chat/completions", body)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let choice = try #require((try JSON.object(response.body)["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["content"] is NSNull)
            let calls = try #require(message["tool_calls"] as? [[String: Any]])
            let function = try #require(calls.first?["function"] as? [String: Any])
            #expect(calls.count == 1 && (calls[0]["id"] as? String)?.hasPrefix("call_") == true && calls[0]["type"] as? String == "function")
            #expect(function["name"] as? String == "get_weather" && function["arguments"] as? String == #"{"city":"Paris"}"#)
            #expect(backend.lastTools.map(\.name) == ["get_weather"])
            #expect(backend.submissions.last?.parameters.grammar == nil, "auto: the model decides")
        }
    }

    @Test("streamed: text before a call streams, the call comes as a tool_calls delta, then finish_reason tool_calls")
    func streamed() async throws {
        let backend = MockBackend(contextLength: 4096)
        backend.script = .reply("Let me check. " + Self.call)
        try await withServer(backend) { client in
            let body: [String: Any] = ["messages": [["role": "user", "content": "weather?"]], "max_tokens": 64, "tools": [Self.weather], "stream": true]
            let events = try sseJSONEvents(try await client.post("/v1/chat/completions", body).body)
            var text = "", calls: [[String: Any]] = [], finish: String?
            for event in events {
                guard let choice = (event["choices"] as? [[String: Any]])?.first else { continue }
                let delta = choice["delta"] as? [String: Any] ?? [:]
                text += delta["content"] as? String ?? ""
                calls += delta["tool_calls"] as? [[String: Any]] ?? []
                finish = choice["finish_reason"] as? String ?? finish
            }
            #expect(text == "Let me check. ", "\(text)")
            #expect(calls.count == 1 && calls[0]["index"] as? Int == 0)
            #expect((calls.first?["function"] as? [String: Any])?["arguments"] as? String == #"{"city":"Paris"}"#)
            #expect(finish == "tool_calls")
        }
    }

    @Test("a reply without a call is plain text; tool_choice none hides the tools")
    func noCall() async throws {
        let backend = MockBackend(contextLength: 4096)
        backend.script = .reply("It is sunny {maybe}")
        try await withServer(backend) { client in
            for choice in ["auto", "none"] {
                let body: [String: Any] = ["messages": [["role": "user", "content": "weather?"]], "max_tokens": 64, "tools": [Self.weather], "tool_choice": choice]
                let response = try await client.post("/v1/chat/completions", body)
                #expect(String(buffer: response.body).contains("It is sunny {maybe}"))
                #expect(!String(buffer: response.body).contains("tool_calls"))
                #expect(backend.lastTools.isEmpty == (choice == "none"))
            }
        }
    }

    @Test("required and named choices constrain the reply with the format's call grammar")
    func forced() async throws {
        let backend = MockBackend(contextLength: 4096)
        backend.script = .reply(Self.call)
        try await withServer(backend) { client in
            for choice in ["required", ["type": "function", "function": ["name": "get_weather"]]] as [Any] {
                let body: [String: Any] = ["messages": [["role": "user", "content": "weather?"]], "max_tokens": 64, "tools": [Self.weather], "tool_choice": choice]
                #expect(try await client.post("/v1/chat/completions", body).status == .ok)
                let grammar = try #require(backend.submissions.last?.parameters.grammar?.grammar)
                #expect(grammar.accepts(#"{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}"#))
                #expect(!grammar.accepts(#"{"tool_calls": [{"name": "get_weather", "arguments": {}}]}"#), "city is required")
                #expect(!grammar.accepts("It is sunny"))
            }
        }
    }

    @Test("assistant tool_calls and tool results round-trip into the prompt")
    func roundTrip() async throws {
        let backend = MockBackend(contextLength: 4096)
        try await withServer(backend) { client in
            let messages: [[String: Any]] = [
                ["role": "user", "content": "weather?"],
                ["role": "assistant", "content": NSNull(), "tool_calls": [["id": "call_1", "type": "function",
                                                                           "function": ["name": "get_weather", "arguments": #"{"city": "Paris"}"#]]]],
                ["role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "sunny, 21 C"],
            ]
            let response = try await client.post("/v1/chat/completions", ["messages": messages, "max_tokens": 64, "tools": [Self.weather]])
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let prompt = String(decoding: try #require(backend.submissions.last?.prompt).dropFirst().map { UInt8($0 - 2) }, as: UTF8.self)
            #expect(prompt.contains(#"{"tool_calls":[{"name":"get_weather","arguments":{"city":"Paris"}}]}"#), "\(prompt)")
            #expect(prompt.contains("Tool result of get_weather: sunny, 21 C"))
        }
    }
}
