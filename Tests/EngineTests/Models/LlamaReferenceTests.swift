import Engine
import Memory
import StrataRuntime
import Testing
import TestSupport

/// The forward pass and greedy generation against llama2.c's outputs on stories260K.
@Suite struct LlamaReferenceTests {
    static let formats: [(model: String, tokenizer: String?)] = [
        ("stories260K.gguf", nil), ("stories260K.bin", "tok512.bin"),
    ]

    static func load(_ index: Int) throws -> LoadedModel {
        let f = formats[index]
        return try ModelLoader.load(path: Fixtures.model(f.model), tokenizerPath: f.tokenizer.map(Fixtures.model))
    }

    @Test("position-0 logits match the float64 reference top-5 to 1e-4", arguments: [0, 1])
    func positionZeroLogits(format: Int) throws {
        let loaded = try Self.load(format)
        let context = try EvaluationContext(model: loaded, pool: ThreadPool(threads: 2), kvType: .f32)
        let logits = Array(try context.evaluate([1]))
        #expect(logits.count == 512)
        let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
        for (rank, index) in top.enumerated() {
            let expected = References.stories260KTop5[rank]
            #expect(index == expected.id, "rank \(rank)")
            #expect(abs(logits[index] - expected.logit) < 1e-4, "logit of \(index): \(logits[index]) vs \(expected.logit)")
        }
        let mean = logits.reduce(0.0) { $0 + Double($1) } / Double(logits.count)
        let variance = logits.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(logits.count)
        #expect(abs(mean - References.stories260KLogitMean) < 1e-3)
        #expect(abs(variance.squareRoot() - References.stories260KLogitStd) < 1e-3)
    }

    @Test("greedy generation from BOS reproduces llama2.c's text byte for byte", arguments: [0, 1])
    func greedyText(format: Int) throws {
        let loaded = try Self.load(format)
        let prompt = loaded.tokenizer.encode("", addBOS: true)
        #expect(prompt == [1])
        let (text, result) = try TestModels.generate(loaded, prompt: prompt, maxTokens: 200)
        #expect(text == (try References.stories260KGreedy()))
        #expect(result.stopReason == .length)
        #expect(result.stats.decodeSteps == 199)
    }

    @Test("a prompt evaluated as one batch gives the same logits as token by token")
    func batchedPrefillMatchesSequential() throws {
        let loaded = try Self.load(0)
        let tokens = loaded.tokenizer.encode("Once upon a time, there was a little dog named Max.", addBOS: true)
        let pool = ThreadPool(threads: 2)
        let batched = try EvaluationContext(model: loaded, pool: pool, maxBatch: 7, kvType: .f32)
        let all = Array(try batched.evaluate(tokens))
        let sequential = try EvaluationContext(model: loaded, pool: pool, maxBatch: 1, kvType: .f32)
        var last: [Float] = []
        for t in tokens { last = Array(try sequential.evaluate([t])) }
        let worst = zip(all, last).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4)
    }

    @Test("evaluation past the context window is a typed error, and the context stays usable")
    func contextFull() throws {
        let loaded = try Self.load(0)
        let context = try EvaluationContext(model: loaded, pool: ThreadPool(threads: 1), capacity: 8)
        _ = try context.evaluate([1, 2, 3, 4, 5, 6])
        #expect(throws: EvaluationError.contextFull(position: 6, adding: 3, capacity: 8)) {
            try context.evaluate([7, 8, 9])
        }
        #expect(throws: EvaluationError.invalidToken(512, vocabularySize: 512)) { try context.evaluate([512]) }
        _ = try context.evaluate([7, 8])
        #expect(context.position == 8)
    }
}

/// A decode step (one token through the whole forward pass) allocates nothing: every
/// buffer was sized when the context was made.
@Suite(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator))) struct LlamaAllocationTests {
    @Test func decodeStepDoesNotAllocate() throws {
        let loaded = try ModelLoader.load(path: Fixtures.model("stories260K.gguf"))
        let pool = ThreadPool(threads: 2)
        let context = try EvaluationContext(model: loaded, pool: pool)
        let token: [TokenID] = [1]
        _ = try context.evaluate(token)  // warm-up: lazy runtime metadata
        let before = AllocatorStatistics.threadAllocatedBytes(), workersBefore = pool.workerAllocatedBytes()
        for _ in 0..<20 { _ = try context.evaluate(token) }
        #expect(AllocatorStatistics.threadAllocatedBytes() - before == 0, "engine thread")
        #expect(pool.workerAllocatedBytes() - workersBefore == 0, "worker threads")
    }
}
