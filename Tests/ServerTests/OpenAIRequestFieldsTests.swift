import Engine
import Foundation
import HummingbirdTesting
import Testing

/// Every field of OpenAI's request schemas for the two completion endpoints (API reference,
/// 2026), each sent with a value that asks for something: implemented fields are served, fields
/// with no effect on the result pass, and every other one is a 400 naming it, never silently
/// ignored (issue 16). A field added to the schema must be placed in one of the three lists.
@Suite struct OpenAIRequestFieldsTests {
    enum Handling: Sendable { case served, noEffect, refused }

    struct Field: Sendable, CustomStringConvertible {
        let endpoint: String
        let name: String
        let value: @Sendable () -> Any
        let handling: Handling
        var description: String { "\(endpoint) \(name)" }
    }

    static let chatFields: [(String, @Sendable () -> Any, Handling)] = [
        ("model", { "mock-model" }, .served), ("frequency_penalty", { 0.5 }, .served), ("presence_penalty", { 0.5 }, .served),
        ("logit_bias", { ["5": -100] }, .served), ("logprobs", { true }, .served), ("top_logprobs", { 2 }, .served),
        ("max_completion_tokens", { 3 }, .served), ("max_tokens", { 3 }, .served), ("seed", { 7 }, .served),
        ("stop", { ["zz"] }, .served), ("stream", { false }, .served), ("temperature", { 0.5 }, .served),
        ("top_p", { 0.9 }, .served), ("n", { 1 }, .served), ("modalities", { ["text"] }, .served),
        ("stream_options", { NSNull() }, .served), ("response_format", { ["type": "json_object"] }, .served),
        ("tools", { [["type": "function", "function": ["name": "f"]]] }, .served), ("functions", { [["name": "f"]] }, .served),
        ("tool_choice", { "none" }, .served),
        ("metadata", { ["k": "v"] }, .noEffect), ("store", { false }, .noEffect), ("user", { "u1" }, .noEffect),
        ("service_tier", { "auto" }, .noEffect), ("prompt_cache_key", { "key" }, .noEffect),
        ("safety_identifier", { "id" }, .noEffect), ("parallel_tool_calls", { false }, .served),
        ("prediction", { ["type": "content", "content": "a"] }, .noEffect),
        ("audio", { ["voice": "alloy", "format": "wav"] }, .refused), ("web_search_options", { [String: Any]() }, .refused),
        ("reasoning_effort", { "low" }, .refused), ("verbosity", { "low" }, .refused),
        ("function_call", { ["name": "f"] }, .refused),
    ]

    static let completionFields: [(String, @Sendable () -> Any, Handling)] = [
        ("model", { "mock-model" }, .served), ("echo", { true }, .served), ("frequency_penalty", { 0.5 }, .served),
        ("logit_bias", { ["5": 1] }, .served), ("logprobs", { 2 }, .served), ("max_tokens", { 3 }, .served),
        ("n", { 1 }, .served), ("presence_penalty", { 0.5 }, .served), ("seed", { 7 }, .served), ("stop", { "zz" }, .served),
        ("stream", { false }, .served), ("stream_options", { NSNull() }, .served), ("temperature", { 0.5 }, .served),
        ("top_p", { 0.9 }, .served), ("best_of", { 1 }, .served), ("response_format", { ["type": "json_object"] }, .served),
        ("user", { "u1" }, .noEffect),
        ("suffix", { "end" }, .refused), ("best_of", { 3 }, .refused),
    ]

    static let fields: [Field] =
        chatFields.map { Field(endpoint: "/v1/chat/completions", name: $0.0, value: $0.1, handling: $0.2) }
        + completionFields.map { Field(endpoint: "/v1/completions", name: $0.0, value: $0.1, handling: $0.2) }

    @Test("each OpenAI request field is served, passes as having no effect, or is a 400 naming it", arguments: fields)
    func field(_ field: Field) async throws {
        try await withServer(MockBackend()) { client in
            var body: [String: Any] = field.endpoint == "/v1/completions" ? ["prompt": "a b"] : ["messages": [["role": "user", "content": "a b"]]]
            body[field.name] = field.value()
            if field.name == "top_logprobs" { body["logprobs"] = true }  // it needs it
            let response = try await client.post(field.endpoint, body)
            switch field.handling {
            case .served, .noEffect:
                #expect(response.status == .ok, "\(field): \(String(buffer: response.body))")
            case .refused:
                try expectOpenAIError(response, .badRequest, param: field.name)
            }
        }
    }
}
