@testable import Engine
import Memory
import StrataRuntime
import Testing
import TestSupport

/// Constrained sampling (issue 16): the trie walk's mask equals a token-by-token check, and
/// generation under a grammar always yields one of its sentences, even cut by a tight budget.
@Suite struct ConstrainedGenerationTests {
    /// `{"name": "<a-z and spaces, 1 or more>", "age": <1 to 3 digits>}`
    static func record() throws -> Grammar {
        var b = GrammarBuilder()
        let root = b.rule("root")
        let name = b.repeated([.chars([97...122, 32...32], negated: false)], min: 1, max: nil)
        let age = b.repeated([.anyOf("0123456789")], min: 1, max: 3)
        b.define(root, [[.literal(#"{"name": ""#), .rule(name), .literal(#"", "age": "#), .rule(age), .literal("}")]])
        return try b.build(root: root)
    }

    static func trie(_ tokenizer: Tokenizer) -> TokenTrie { TokenTrie(tokenizer: tokenizer) }

    @Test("the trie walk allows exactly the tokens a token-by-token check allows, at every step of a sentence")
    func maskMatchesBruteForce() throws {
        let tokenizer = try TestModels.stories260K().tokenizer
        let trie = Self.trie(tokenizer)
        let grammar = try Self.record()
        let constraint = GrammarConstraint(ConstrainedGrammar(grammar: grammar, trie: trie))
        let target = Array(#"{"name": "tom and ben", "age": 42}"#.utf8)
        var text = ""
        var step = 0
        while text.utf8.count < target.count {
            let mask = try #require(constraint.allowedTokens())
            var expected: [Int] = [], got: [Int] = []
            let complete = grammar.accepts(text)
            for t in 0..<trie.vocabularySize {
                if mask[t >> 6] & (1 << UInt64(t & 63)) != 0 { got.append(t) }
                let piece = trie.pieces[t]
                if trie.endTokens.contains(Int32(t)) ? complete : (!piece.isEmpty && grammar.acceptsPrefix(text + String(decoding: piece, as: UTF8.self))) {
                    expected.append(t)
                }
            }
            #expect(got == expected, "step \(step) after \(text.debugDescription)")
            // The allowed token spelling the most of the rest of the target.
            let rest = target[text.utf8.count...]
            let next = try #require(got.filter { !trie.pieces[$0].isEmpty && rest.starts(with: trie.pieces[$0]) }
                .max { trie.pieces[$0].count < trie.pieces[$1].count }, "step \(step)")
            #expect(constraint.accept(TokenID(next)))
            text += String(decoding: trie.pieces[next], as: UTF8.self)
            step += 1
        }
        let accepted = grammar.accepts(text)
        #expect(constraint.isFinished && accepted)
        #expect(constraint.cacheHits > 0, "the name's letters repeat a state")
    }

    static func engine() throws -> InferenceEngine {
        var o = EngineOptions()
        o.memoryBudget = 1 << 30
        o.maxSequences = 8
        o.maxRequests = 16
        o.contextLength = 256
        return try InferenceEngine(model: try TestModels.stories260K(), pool: ThreadPool(threads: 2), options: o)
    }

    @Test("sampled under the grammar, every output is a sentence of it; a tight token budget still completes one",
          arguments: [200, 24])
    func outputsFollowTheGrammar(maxTokens: Int) throws {
        let engine = try Self.engine()
        let tokenizer = engine.model.tokenizer
        let grammar = try Self.record()
        let constrained = ConstrainedGrammar(grammar: grammar, trie: Self.trie(tokenizer))
        var ids: [RequestID] = []
        for seed in 0..<8 {
            var sampling = SamplingParameters()
            sampling.temperature = 1.5
            sampling.seed = UInt64(seed)
            let prompt = tokenizer.encode("Once upon a time", addBOS: true)
            ids.append(try engine.scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling, grammar: constrained)))
        }
        engine.scheduler.runUntilIdle()
        for id in ids {
            let tokens = Array(engine.scheduler.generated(by: id))
            #expect(engine.scheduler.error(of: id) == nil)
            let reason = engine.scheduler.stopReason(of: id)
            let kept = reason == .endOfGeneration ? Array(tokens.dropLast()) : tokens
            let text = String(decoding: kept.flatMap { Self.trie(tokenizer).pieces[Int($0)] }, as: UTF8.self)
            let accepted = grammar.accepts(text)
            #expect(accepted, "\(text.debugDescription) (\(String(describing: reason)), \(tokens.count) tokens)")
            #expect(tokenizer.decode(kept) == text || tokenizer.decode(kept) == String(text.dropFirst()), "the text as decoded")
        }
    }

    @Test("steady-state constrained decode allocates nothing: masks cached or walked in storage sized up front",
          .enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator)))
    func zeroAllocation() throws {
        let engine = try SchedulerTests.engine(try TestModels.stories260K(), budget: 1 << 30, sequences: 4, pagesPerSlab: 64)
        let tokenizer = engine.model.tokenizer
        let schema = try JSONValue.parse(#"{"type": "array", "minItems": 10, "items": {"type": "object", "properties": {"word": {"type": "string"}, "n": {"type": "integer"}}, "required": ["word", "n"]}}"#)
        let constrained = ConstrainedGrammar(grammar: try JSONSchemaGrammar.compile(schema), trie: Self.trie(tokenizer))
        for seed in 0..<4 {
            var sampling = SamplingParameters()
            sampling.temperature = 1.2
            sampling.seed = UInt64(seed)
            sampling.logprobs = seed == 0 ? 3 : nil
            _ = try engine.scheduler.submit(GenerationRequest(prompt: TestModels.prompt(12, seed: seed), maxTokens: 240, sampling: sampling,
                                                             grammar: constrained))
        }
        SchedulerTests.expectNoAllocation(engine)
        #expect(engine.scheduler.runningCount > 0, "still decoding under the grammar")
    }
}
