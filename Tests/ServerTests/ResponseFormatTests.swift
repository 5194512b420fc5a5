import Engine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `response_format` and llama-server's `json_schema` reach the engine as a grammar (issue 16).
@Suite struct ResponseFormatTests {
    @Test("json_schema, json_object and a top-level json_schema become the grammar of the completion; text none")
    func grammars() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let chat = [["role": "user", "content": "x"]]
            // Written out, so the properties' order in the body is known ("b" before "a").
            let body = #"{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": "#
                + #"{"name": "r", "strict": true, "schema": {"type": "object", "properties": {"b": {"type": "integer"}, "a": {"type": "string"}}, "#
                + #""required": ["b", "a"]}}}}"#
            let plain = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: JSON.headers, body: ByteBuffer(string: body))
            #expect(plain.status == .ok)
            var grammar = try #require(backend.submissions.last?.parameters.grammar?.grammar)
            #expect(grammar.accepts(#"{"b": 1, "a": "x"}"#), "properties in the schema's order")
            #expect(!grammar.accepts(#"{"a": "x", "b": 1}"#) && !grammar.accepts(#"{"b": 1}"#))

            #expect(try await client.post("/v1/completions", ["prompt": "x", "response_format": ["type": "json_object"]]).status == .ok)
            grammar = try #require(backend.submissions.last?.parameters.grammar?.grammar)
            #expect(grammar.accepts(#"{"any": [1, {"k": null}]}"#) && !grammar.accepts("[1]"))

            #expect(try await client.post("/v1/completions", ["prompt": "x", "json_schema": ["type": "array", "items": ["type": "boolean"]]]).status == .ok)
            grammar = try #require(backend.submissions.last?.parameters.grammar?.grammar)
            #expect(grammar.accepts("[true, false]") && !grammar.accepts("[1]"))

            #expect(try await client.post("/v1/chat/completions", ["messages": chat, "response_format": ["type": "text"]]).status == .ok)
            #expect(backend.submissions.last?.parameters.grammar == nil)

            let both = try await client.post("/v1/completions", ["prompt": "x", "json_schema": ["type": "string"],
                                                                 "response_format": ["type": "json_object"]])
            try expectOpenAIError(both, .badRequest, param: "json_schema")
            let forcedAndFormat = try await client.post("/v1/chat/completions", [
                "messages": chat, "response_format": ["type": "json_object"], "tool_choice": "required",
                "tools": [["type": "function", "function": ["name": "f"]]]])
            try expectOpenAIError(forcedAndFormat, .badRequest, param: "tool_choice")
        }
    }
}
