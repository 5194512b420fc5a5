import Engine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Bad input: each case gets its status and OpenAI error, nothing reaches the engine, and a normal
/// request on the same server succeeds right after.
@Suite struct RequestErrorTests {
    struct BadRequest: CustomTestStringConvertible, Sendable {
        var name: String
        var path = "/v1/completions"
        var body: String
        var param: String?
        var code: String?
        var testDescription: String { name }
    }

    static let cases: [BadRequest] = [
        .init(name: "malformed JSON", body: #"{"prompt": "hi""#, code: "invalid_json"),
        .init(name: "empty body", body: "", code: "invalid_json"),
        .init(name: "not an object", body: #"["hi"]"#),
        .init(name: "missing prompt", body: #"{"max_tokens": 4}"#, param: "prompt", code: "missing_required_parameter"),
        .init(name: "prompt of the wrong type", body: #"{"prompt": 12}"#, param: "prompt", code: "invalid_type"),
        .init(name: "two prompts", body: #"{"prompt": ["a", "b"]}"#, param: "prompt"),
        .init(name: "temperature as a string", body: #"{"prompt": "hi", "temperature": "hot"}"#, param: "temperature", code: "invalid_type"),
        .init(name: "max_tokens as a fraction", body: #"{"prompt": "hi", "max_tokens": 1.5}"#, param: "max_tokens"),
        .init(name: "stream as a string", body: #"{"prompt": "hi", "stream": "yes"}"#, param: "stream", code: "invalid_type"),
        .init(name: "temperature out of range", body: #"{"prompt": "hi", "temperature": 2.5}"#, param: "temperature", code: "invalid_value"),
        .init(name: "top_p of zero", body: #"{"prompt": "hi", "top_p": 0}"#, param: "top_p"),
        .init(name: "negative top_k", body: #"{"prompt": "hi", "top_k": -1}"#, param: "top_k"),
        .init(name: "min_p above one", body: #"{"prompt": "hi", "min_p": 1.5}"#, param: "min_p"),
        .init(name: "presence_penalty out of range", body: #"{"prompt": "hi", "presence_penalty": 3}"#, param: "presence_penalty"),
        .init(name: "repeat_penalty of zero", body: #"{"prompt": "hi", "repeat_penalty": 0}"#, param: "repeat_penalty"),
        .init(name: "max_tokens of zero", body: #"{"prompt": "hi", "max_tokens": 0}"#, param: "max_tokens"),
        .init(name: "max_tokens beyond the context", body: #"{"prompt": "hi", "max_tokens": 100000}"#, code: "context_length_exceeded"),
        .init(name: "n of zero", body: #"{"prompt": "hi", "n": 0}"#, param: "n"),
        .init(name: "n beyond the sequences run at once", body: #"{"prompt": "hi", "n": 9}"#, param: "n"),
        .init(name: "five stop strings", body: #"{"prompt": "hi", "stop": ["a", "b", "c", "d", "e"]}"#, param: "stop"),
        .init(name: "an empty stop string", body: #"{"prompt": "hi", "stop": ""}"#, param: "stop"),
        .init(name: "stop of the wrong type", body: #"{"prompt": "hi", "stop": 3}"#, param: "stop", code: "invalid_type"),
        .init(name: "seed too large", body: #"{"prompt": "hi", "seed": 1e30}"#, param: "seed"),
        .init(name: "stream_options without stream", body: #"{"prompt": "hi", "stream_options": {"include_usage": true}}"#, param: "stream_options"),
        .init(name: "logprobs above 20", body: #"{"prompt": "hi", "logprobs": 30}"#, param: "logprobs"),
        // Accepted and silently ignored before (issue 15): refused by name until implemented.
        .init(name: "logit_bias with a word for a token", body: #"{"prompt": "hi", "logit_bias": {"hello": -100}}"#, param: "logit_bias"),
        .init(name: "logit_bias out of range", body: #"{"prompt": "hi", "logit_bias": {"5": 200}}"#, param: "logit_bias"),
        .init(name: "logit_bias outside the vocabulary", body: #"{"prompt": "hi", "logit_bias": {"50256": -100}}"#, param: "logit_bias"),
        .init(name: "a schema keyword not enforced", body: #"{"prompt": "hi", "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "string", "format": "email"}}}}"#,
              param: "response_format.json_schema.schema", code: "unsupported_value"),
        .init(name: "an unknown response_format type", body: #"{"prompt": "hi", "response_format": {"type": "yaml"}}"#, param: "response_format"),
        .init(name: "json_schema without its object", body: #"{"prompt": "hi", "response_format": {"type": "json_schema"}}"#,
              param: "response_format.json_schema", code: "missing_required_parameter"),
        .init(name: "tools on a completion", body: #"{"prompt": "hi", "tools": [{"type": "function", "function": {"name": "f"}}]}"#,
              param: "tools", code: "unsupported_value"),
        .init(name: "suffix", body: #"{"prompt": "hi", "suffix": "end"}"#, param: "suffix", code: "unsupported_value"),
        .init(name: "best_of", body: #"{"prompt": "hi", "best_of": 3}"#, param: "best_of", code: "unsupported_value"),
        .init(name: "grammar", body: #"{"prompt": "hi", "grammar": "root ::= [a-z]+"}"#, param: "grammar", code: "unsupported_value"),
        .init(
            name: "a tool with a bad name", path: "/v1/chat/completions",
            body: #"{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "f g"}}]}"#,
            param: "tools[0].function.name", code: "invalid_value"),
        .init(
            name: "a tool that is not a function", path: "/v1/chat/completions",
            body: #"{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "retrieval"}]}"#, param: "tools[0]", code: "invalid_value"),
        .init(
            name: "chat forced tool without tools", path: "/v1/chat/completions",
            body: #"{"messages": [{"role": "user", "content": "x"}], "tool_choice": "required"}"#, param: "tool_choice", code: "invalid_value"),
        .init(
            name: "a forced tool that is not declared", path: "/v1/chat/completions",
            body: #"{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "g"}}}"#,
            param: "tool_choice", code: "invalid_value"),
        .init(
            name: "chat top_logprobs without logprobs", path: "/v1/chat/completions",
            body: #"{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 5}"#, param: "top_logprobs", code: "invalid_value"),
        .init(name: "chat without messages", path: "/v1/chat/completions", body: #"{"model": "mock-model"}"#, param: "messages"),
        .init(name: "chat message without role", path: "/v1/chat/completions", body: #"{"messages": [{"content": "x"}]}"#, param: "messages[0].role"),
        .init(
            name: "chat content of the wrong type", path: "/v1/chat/completions", body: #"{"messages": [{"role": "user", "content": 5}]}"#,
            param: "messages[0].content"),
        .init(
            name: "chat image content", path: "/v1/chat/completions",
            body: #"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}"#, param: "messages[0].content"),
        .init(
            name: "chat max_completion_tokens negative", path: "/v1/chat/completions",
            body: #"{"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": -3}"#, param: "max_completion_tokens"),
    ]

    @Test("bad input is a 400 in OpenAI's shape, and the next request succeeds", arguments: cases)
    func badInput(_ bad: BadRequest) async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.execute(uri: bad.path, method: .post, headers: JSON.headers, body: ByteBuffer(string: bad.body))
            let error = try expectOpenAIError(response, .badRequest, code: bad.code, param: bad.param)
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(backend.submissions.isEmpty)

            let good = try await client.post(bad.path, bad.path.contains("chat") ? ["messages": [["role": "user", "content": "hi"]]] : ["prompt": "hi"])
            #expect(good.status == .ok)
        }
    }

    @Test("error messages name the field and what was expected")
    func helpfulMessages() async throws {
        try await withServer(MockBackend()) { client in
            var error = try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "hi", "temperature": "hot"]), .badRequest)
            #expect(error["message"] as? String == "Invalid type for 'temperature': expected a number.")
            error = try expectOpenAIError(try await client.post("/v1/completions", ["max_tokens": 3]), .badRequest)
            #expect(error["message"] as? String == "Missing required parameter: 'prompt'.")
            error = try expectOpenAIError(try await client.post("/v1/completions", ["prompt": "hi", "n": 9]), .badRequest)
            #expect((error["message"] as? String)?.contains("n = 9 choices is out of range (allowed: 1 to 4") == true)
        }
    }

    @Test("an unknown model is a 404; a missing model is the one served")
    func unknownModel() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["model": "gpt-4", "prompt": "hi"])
            let error = try expectOpenAIError(response, .notFound, code: "model_not_found", param: "model")
            #expect((error["message"] as? String)?.contains("gpt-4") == true)
            try expectOpenAIError(
                try await client.post("/v1/chat/completions", ["model": "gpt-4", "messages": [["role": "user", "content": "x"]]]), .notFound,
                code: "model_not_found")
            #expect(backend.submissions.isEmpty)
            #expect(try await client.post("/v1/completions", ["prompt": "hi"]).status == .ok)
        }
    }

    @Test("an unknown route or method is a 404 in OpenAI's shape")
    func unknownRoute() async throws {
        try await withServer(MockBackend()) { client in
            try expectOpenAIError(try await client.post("/v1/engines", ["prompt": "hi"]), .notFound, code: "not_found")
            try expectOpenAIError(try await client.get("/nowhere"), .notFound)
            try expectOpenAIError(try await client.get("/v1/completions"), .notFound)
        }
    }

    @Test("a body over its declared limit is a 413, in process and over a socket", arguments: [.router, .live] as [TestingSetup])
    func bodyTooLarge(_ setup: TestingSetup) async throws {
        let backend = MockBackend()
        try await withServer(backend, setup, configure: { $0.maxBodyBytes = 1024 }) { client in
            let big = String(repeating: "word ", count: 400)
            let refused = try await client.post("/v1/completions", ["prompt": big])
            try expectOpenAIError(refused, .contentTooLarge, code: "request_too_large")
            // The rest of the body is not read, so the connection cannot carry another request.
            #expect(refused.headers[.connection] == "close")
            #expect(backend.submissions.isEmpty)
            if client.port == nil {  // in process: no connection to close
                #expect(try await client.post("/v1/completions", ["prompt": "small"]).status == .ok)
            }
        }
    }

    /// The harmless forms of those fields still pass: an empty bias, text format, no tools.
    @Test("empty or default values of unimplemented fields are accepted")
    func harmlessForms() async throws {
        try await withServer(MockBackend()) { client in
            let body: [String: Any] = ["prompt": "hi", "logit_bias": [String: Any](), "response_format": ["type": "text"], "tools": [Any](),
                                       "tool_choice": "none", "best_of": 1, "suffix": "", "user": "someone"]
            let response = try await client.post("/v1/completions", body)
            #expect(response.status == .ok)
        }
    }
}
