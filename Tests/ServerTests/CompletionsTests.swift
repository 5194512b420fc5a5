import Engine
import Foundation
import HummingbirdTesting
import Testing

@Suite struct CompletionsTests {
    @Test("a completion has OpenAI's text_completion shape")
    func shape() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["model": "mock-model", "prompt": "one two three", "max_tokens": 2])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let body = try JSON.object(response.body)
            #expect(Set(body.keys) == ["id", "object", "created", "model", "choices", "usage"])
            #expect((body["id"] as? String)?.hasPrefix("cmpl-") == true)
            #expect(body["object"] as? String == "text_completion")
            #expect((body["created"] as? Int ?? 0) > 1_600_000_000)
            #expect(body["model"] as? String == "mock-model")
            let choices = try #require(body["choices"] as? [[String: Any]])
            #expect(choices.count == 1)
            #expect(Set(choices[0].keys) == ["index", "text", "finish_reason", "logprobs"])
            #expect(choices[0]["index"] as? Int == 0)
            #expect(choices[0]["text"] as? String == "one two")
            #expect(choices[0]["finish_reason"] as? String == "length")
            #expect(choices[0]["logprobs"] is NSNull)
            let usage = try #require(body["usage"] as? [String: Int])
            // BOS plus 13 bytes of prompt.
            #expect(usage == ["prompt_tokens": 14, "completion_tokens": 2, "total_tokens": 16])
        }
    }

    @Test("finish_reason is stop when the model ends, and at a stop string, which is left out")
    func stopReasons() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            var body = try JSON.object(try await client.post("/v1/completions", ["prompt": "a b c", "max_tokens": 10]).body)
            var choice = try #require((body["choices"] as? [[String: Any]])?.first)
            #expect(choice["text"] as? String == "a b c")
            #expect(choice["finish_reason"] as? String == "stop")

            body = try JSON.object(try await client.post("/v1/completions", ["prompt": "alpha beta gamma", "max_tokens": 10, "stop": "ta g"]).body)
            choice = try #require((body["choices"] as? [[String: Any]])?.first)
            #expect(choice["text"] as? String == "alpha be")
            #expect(choice["finish_reason"] as? String == "stop")
        }
    }

    @Test("the request's fields become the engine's parameters")
    func parameterMapping() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post(
                "/v1/completions",
                [
                    "prompt": ["hello world"], "max_tokens": 5, "temperature": 0.5, "top_p": 0.9, "top_k": 40, "min_p": 0.05,
                    "seed": 42, "stop": ["\n", "END"], "presence_penalty": 0.5, "frequency_penalty": -0.5,
                    "repeat_penalty": 1.1, "n": 1, "user": "ignored", "logprobs": NSNull(),
                ])
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let submitted = try #require(backend.submissions.last)
            #expect(submitted.prompt == backend.tokenize("hello world"))
            let parameters = submitted.parameters
            #expect(parameters.maxTokens == 5)
            #expect(parameters.stop == ["\n", "END"])
            #expect(parameters.sampling.temperature == 0.5)
            #expect(parameters.sampling.topP == 0.9)
            #expect(parameters.sampling.topK == 40)
            #expect(parameters.sampling.minP == 0.05)
            #expect(parameters.sampling.seed == 42)
            #expect(parameters.sampling.presencePenalty == 0.5)
            #expect(parameters.sampling.frequencyPenalty == -0.5)
            #expect(parameters.sampling.repetitionPenalty == Float(1.1))
        }
    }

    @Test("defaults follow OpenAI: 16 tokens, temperature 1, no truncation, no penalties")
    func defaults() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            #expect(try await client.post("/v1/completions", ["prompt": "hi"]).status == .ok)
            let parameters = try #require(backend.submissions.last?.parameters)
            #expect(parameters.maxTokens == 16)
            #expect(parameters.stop.isEmpty)
            #expect(parameters.sampling.temperature == 1)
            #expect(parameters.sampling.topP == 1)
            #expect(parameters.sampling.topK == 0)
            #expect(parameters.sampling.minP == 0)
            #expect(parameters.sampling.repetitionPenalty == 1)
            #expect(parameters.sampling.presencePenalty == 0)
            #expect(parameters.sampling.frequencyPenalty == 0)
            #expect(parameters.sampling.seed == nil)
        }
    }

    @Test("the default length shrinks to what the context leaves; an explicit one that does not fit is refused")
    func defaultLengthFitsContext() async throws {
        let backend = MockBackend(contextLength: 20)
        try await withServer(backend) { client in
            // 1 + 10 prompt tokens leave 9.
            #expect(try await client.post("/v1/completions", ["prompt": "0123456789"]).status == .ok)
            #expect(backend.submissions.last?.parameters.maxTokens == 9)
            let refused = try await client.post("/v1/completions", ["prompt": "0123456789", "max_tokens": 10])
            try expectOpenAIError(refused, .badRequest, code: "context_length_exceeded")
            #expect(backend.submissions.count == 1)
            // The total is printed exactly, not wrapped to a negative number.
            let huge = try await client.post("/v1/completions", ["prompt": "0123456789", "max_tokens": Int.max])
            try expectOpenAIError(huge, .badRequest, code: "context_length_exceeded")
            let message = try #require((try JSON.object(huge.body)["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("you requested 9223372036854775818 tokens (11 in the prompt, 9223372036854775807 in the completion)"), "\(message)")
        }
    }

    @Test("a negative seed keeps its bits")
    func negativeSeed() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post("/v1/completions", ["prompt": "hi", "seed": -1])
            #expect(response.status == .ok)
            #expect(backend.submissions.last?.parameters.sampling.seed == UInt64.max)
        }
    }
}
