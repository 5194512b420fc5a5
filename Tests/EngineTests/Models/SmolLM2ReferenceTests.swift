import Engine
import Foundation
import StrataRuntime
import Testing
import TestSupport

/// SmolLM2-135M-Instruct Q4_1 end to end against llama.cpp b11312 on the same file
/// (`Reference/`): prompt ids, greedy tokens compared one by one, log-probabilities, chat
/// renders and replies. Skipped when the model has not been fetched
/// (`models/fetch-smollm2.sh`; `make test` runs it).
///
/// Why not every token of every prompt: the reference was made with llama.cpp's flash
/// attention (its CPU kernel rounds Q to F16 and accumulates the weighted sum of V in F16);
/// strata's attention reads F16 KV but computes in F32. The two differ by up to about 0.7
/// nats in the top-5 log-probabilities of the first 16 tokens, and llama.cpp's own
/// non-flash path is as far from its flash one (up to 0.43 nats; its greedy text differs on
/// 3 of the 5 prompts, from token 1, 12 and 22). The matmuls are not the cause: all of
/// SmolLM2's are Q4_1 (Q8_0 for the tied output) over Q8_1 activations in both engines.
/// So: the first prompt must match all its tokens (its choices have wide margins); the
/// others must match up to their first difference, and there llama.cpp's token must be
/// within `tolerance` of strata's choice (a near-tie the attention rounding can flip),
/// which is reported as a warning with both top-5 lists.
@Suite(.enabled(if: TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)))
struct SmolLM2ReferenceTests {
    static let reference = SmolLM2Reference.shared

    /// Nats: how far a log-probability (or the logit gap of a flipped choice) may be from
    /// llama.cpp's. Measured: 0.71 at most over the 5 x 16 reference positions.
    static let tolerance = 1.0

    @Test("the prompts encode to llama.cpp's ids (no BOS: SmolLM2 adds none)")
    func promptTokens() throws {
        let tokenizer = try TestModels.smollm2().tokenizer
        #expect(!tokenizer.vocabulary.addBOS)
        for c in Self.reference.completions {
            #expect(tokenizer.encode(c.prompt, addBOS: tokenizer.vocabulary.addBOS) == c.promptTokens, "\(c.prompt.debugDescription)")
        }
    }

    /// Greedy generation with no chat template, as llama-server ran it (temperature 0, KV in F16).
    @Test("greedy tokens equal llama.cpp's", arguments: 0..<5)
    func greedyTokens(index: Int) throws {
        let c = Self.reference.completions[index]
        let loaded = try TestModels.smollm2()
        let prompt = loaded.tokenizer.encode(c.prompt, addBOS: loaded.tokenizer.vocabulary.addBOS)
        try #require(prompt == c.promptTokens)
        let outcome = try Self.compareGreedy(loaded, prompt: prompt, expected: c.tokens, topLogprobs: c.topLogprobs,
                                             label: c.prompt.debugDescription)
        if index == 0 {
            // The issue's requirement: "The capital of France is" -> " Paris.\n\nThe United States ..."
            #expect(outcome.tokens == c.tokens)
            #expect(loaded.tokenizer.decode(outcome.tokens) == c.text)
        } else if outcome.firstDifference == nil {
            #expect(loaded.tokenizer.decode(outcome.tokens) == c.text)
        }
    }

    /// The three chats through the model's own template (read from the model file), then
    /// greedy to 64 tokens or the end of the turn (`<|im_end|>`), as the first test compares.
    @Test("chat prompts render as llama.cpp's Jinja engine renders them, and replies follow llama.cpp's",
          arguments: ["user_only", "system_user", "multi_turn"])
    func chatReply(name: String) throws {
        let chat = try #require(Self.reference.chat[name])
        let loaded = try TestModels.smollm2()
        let tokenizer = loaded.tokenizer
        let template = ChatTemplate(gguf: loaded.chatTemplate, vocabulary: tokenizer.vocabulary)
        // The model's own template runs as Jinja; the built-in ChatML it would fall back to
        // reads the same default system prompt.
        #expect(template.description == "jinja")
        #expect(ChatTemplate.builtIn(for: loaded.chatTemplate, vocabulary: tokenizer.vocabulary)
            == .chatML(defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        #expect(try template.render(chat.chatMessages) == chat.renderedPrompt)
        let prompt = try tokenizer.encodeChat(chat.chatMessages, template: template)
        #expect(prompt == tokenizer.encode(chat.renderedPrompt, addBOS: false, parseSpecial: true))
        // The reply's tokens; a reply shorter than the 64-token limit ended at `<|im_end|>` (2).
        var expected = tokenizer.encode(chat.reply, addBOS: false)
        if expected.count < 64 { expected.append(2) }
        let outcome = try Self.compareGreedy(loaded, prompt: prompt, expected: expected, topLogprobs: [], label: "chat \(name)")
        if outcome.firstDifference == nil {
            #expect(tokenizer.decode(outcome.tokens.filter { !tokenizer.isEndOfGeneration($0) }) == chat.reply)
        }
    }

    struct Outcome {
        /// Strata's greedy tokens, up to and including the first difference.
        var tokens: [TokenID] = []
        var firstDifference: Int?
    }

    /// Generates greedily while the tokens equal `expected`, checking the log-probabilities
    /// of `topLogprobs` on the way. At the first difference it records a warning when
    /// llama.cpp's token is within `tolerance` of strata's choice, an error otherwise, and stops.
    static func compareGreedy(_ loaded: LoadedModel, prompt: [TokenID], expected: [TokenID],
                              topLogprobs: [[SmolLM2Reference.Candidate]], label: String) throws -> Outcome {
        let context = try EvaluationContext(model: loaded, pool: ThreadPool(threads: 2), capacity: prompt.count + expected.count + 1)
        var logits = try context.evaluate(prompt)
        var outcome = Outcome()
        for (position, want) in expected.enumerated() {
            let logSum = logSumExp(logits)
            if position < topLogprobs.count {
                for candidate in topLogprobs[position] {
                    let ours = Double(logits[Int(candidate.id)]) - logSum
                    #expect(abs(ours - candidate.logprob) <= tolerance,
                            "\(label), token \(position): log-probability of \(candidate.id) \(candidate.token.debugDescription) is \(ours), llama.cpp's \(candidate.logprob)")
                }
            }
            let got = argmax(logits)
            outcome.tokens.append(got)
            if got != want {
                outcome.firstDifference = position
                let gap = Double(logits[Int(got)] - logits[Int(want)])
                let report = mismatchReport(position: position, got: got, want: want, logits: logits, logSum: logSum,
                                            reference: position < topLogprobs.count ? topLogprobs[position] : nil,
                                            tokenizer: loaded.tokenizer, label: label)
                Issue.record(Comment(rawValue: report), severity: gap <= tolerance ? .warning : .error)
                break
            }
            if loaded.tokenizer.isEndOfGeneration(got) || position + 1 == expected.count { break }
            logits = try context.evaluate([got])
        }
        return outcome
    }

    /// The first index of the largest logit (llama.cpp's greedy sampler keeps the first).
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> TokenID {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return TokenID(best)
    }

    /// log(sum(exp(logits))), in Double.
    static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Double {
        let top = Double(logits[Int(argmax(logits))])
        return top + log(logits.reduce(0.0) { $0 + exp(Double($1) - top) })
    }

    /// Where and by how much the choice differs from llama.cpp's, with both top-5 lists.
    static func mismatchReport(position: Int, got: TokenID, want: TokenID, logits: UnsafeBufferPointer<Float>, logSum: Double,
                               reference: [SmolLM2Reference.Candidate]?, tokenizer: Tokenizer, label: String) -> String {
        func piece(_ id: TokenID) -> String { tokenizer.decode([id], renderSpecial: true).debugDescription }
        func nats(_ x: Double) -> String { String(Double((x * 1000).rounded()) / 1000) }
        let ours = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5).map {
            "\($0) \(piece(TokenID($0))) \(nats(Double(logits[$0]) - logSum))"
        }
        var report = "\(label): first difference at generated token \(position): strata \(got) \(piece(got)), llama.cpp \(want) \(piece(want)); "
        report += "strata's logit gap between them \(nats(Double(logits[Int(got)] - logits[Int(want)])))"
        report += "\n  strata top-5 (id, piece, logprob): \(ours.joined(separator: " | "))"
        if let reference {
            report += "\n  llama.cpp top-5: " + reference.map { "\($0.id) \($0.token.debugDescription) \(nats($0.logprob))" }.joined(separator: " | ")
        }
        return report
    }
}
