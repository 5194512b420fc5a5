import Engine
import Foundation
import TestSupport

/// `Reference/smollm2-135m-instruct-reference.json`: llama.cpp b11312's llama-server on
/// SmolLM2-135M-Instruct Q4_1 (see its README): greedy continuations of 5 prompts with their
/// prompt ids and the top-5 log-probabilities of the first 16 tokens, and 3 chats rendered
/// by the model's own Jinja template with their greedy replies.
struct SmolLM2Reference: Decodable {
    struct Candidate: Decodable {
        let id: TokenID
        let token: String
        /// Natural log of the softmax of the raw logits.
        let logprob: Double
    }

    struct Completion: Decodable {
        let prompt: String
        let promptTokens: [TokenID]
        /// At most 64; ends with EOS (2) when generation stopped there.
        let tokens: [TokenID]
        let text: String
        /// The top 5 at each of the first 16 positions.
        let topLogprobs: [[Candidate]]

        enum CodingKeys: String, CodingKey {
            case prompt, promptTokens = "prompt_tokens", tokens, text, topLogprobs = "top_logprobs"
        }
    }

    struct Message: Decodable {
        let role: String
        let content: String
    }

    struct Chat: Decodable {
        let messages: [Message]
        /// With `add_generation_prompt`.
        let renderedPrompt: String
        /// Greedy, at most 64 tokens.
        let reply: String

        enum CodingKeys: String, CodingKey {
            case messages, renderedPrompt = "rendered_prompt", reply
        }

        var chatMessages: [ChatMessage] { messages.map { ChatMessage(role: $0.role, content: $0.content) } }
    }

    let completions: [Completion]
    /// `user_only`, `system_user`, `multi_turn`.
    let chat: [String: Chat]

    static let shared: SmolLM2Reference = {
        let path = Fixtures.repositoryRoot + "/Tests/EngineTests/Models/Reference/smollm2-135m-instruct-reference.json"
        do {
            return try JSONDecoder().decode(SmolLM2Reference.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            fatalError("cannot read \(path): \(error)")
        }
    }()
}
