import Engine
import Foundation
import HummingbirdTesting
import Testing

@Suite struct ChatCompletionsTests {
    private static var messages: [[String: Any]] { [
        ["role": "system", "content": "be brief"],
        ["role": "user", "content": "hello there"],
    ] }

    @Test("a chat completion has OpenAI's chat.completion shape")
    func shape() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post("/v1/chat/completions", ["model": "mock-model", "messages": Self.messages, "max_tokens": 3])
            #expect(response.status == .ok)
            let body = try JSON.object(response.body)
            #expect(Set(body.keys) == ["id", "object", "created", "model", "choices", "usage"])
            #expect((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(body["object"] as? String == "chat.completion")
            #expect(body["model"] as? String == "mock-model")
            let choice = try #require((body["choices"] as? [[String: Any]])?.first)
            #expect(choice["index"] as? Int == 0)
            #expect(choice["finish_reason"] as? String == "length")
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            // The mock renders "system: be brief user: hello there" and echoes its words.
            #expect(message["content"] as? String == "system: be brief")
            let usage = try #require(body["usage"] as? [String: Int])
            let promptTokens = backend.tokenize("system: be brief user: hello there").count
            #expect(usage == ["prompt_tokens": promptTokens, "completion_tokens": 3, "total_tokens": promptTokens + 3])
        }
    }

    @Test("messages go to the chat template; content may be text parts or null")
    func messagesReachTemplate() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post(
                "/v1/chat/completions",
                [
                    "messages": [
                        ["role": "user", "content": [["type": "text", "text": "hi "], ["type": "text", "text": "you"]]],
                        ["role": "assistant", "content": NSNull()],
                    ],
                    "max_completion_tokens": 2,
                ])
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let submitted = try #require(backend.submissions.last)
            #expect(submitted.prompt == backend.tokenize("user: hi you assistant: "))
            #expect(submitted.parameters.maxTokens == 2)
        }
    }

    @Test("without a limit the completion may fill the context")
    func unlimitedFillsContext() async throws {
        let backend = MockBackend(contextLength: 64)
        try await withServer(backend) { client in
            #expect(try await client.post("/v1/chat/completions", ["messages": Self.messages]).status == .ok)
            let submitted = try #require(backend.submissions.last)
            #expect(submitted.prompt.count + submitted.parameters.maxTokens == 64)
        }
    }

    @Test("max_completion_tokens wins over max_tokens")
    func maxCompletionTokens() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let response = try await client.post("/v1/chat/completions", ["messages": Self.messages, "max_tokens": 9, "max_completion_tokens": 4])
            #expect(response.status == .ok)
            #expect(backend.submissions.last?.parameters.maxTokens == 4)
        }
    }

    @Test("a chat the template refuses is a 400")
    func templateErrors() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            try expectOpenAIError(try await client.post("/v1/chat/completions", ["messages": []]), .badRequest, param: "messages")
            let unknownRole = try await client.post("/v1/chat/completions", ["messages": [["role": "wizard", "content": "x"]]])
            let error = try expectOpenAIError(unknownRole, .badRequest, param: "messages")
            #expect((error["message"] as? String)?.contains("wizard") == true)
            #expect(backend.submissions.isEmpty)
        }
    }
}
