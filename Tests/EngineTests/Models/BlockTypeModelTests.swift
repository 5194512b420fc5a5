import Memory
import StrataRuntime
import TestSupport
import Testing
@testable import Engine

/// Every block type through the whole forward pass: a random-weight Llama stored as blocks of
/// the type against its F32 twin holding exactly the values the blocks decode to
/// (`TestModels.blockTwins`). Prompts go through the batch path (panels) and decode through the
/// row kernels; the logits differ only by the 8-bit quantization of activations.
@Suite struct BlockTypeModelTests {
    static let types = DType.allCases.filter { $0.isBlockQuantized && $0.isWeightType }

    /// Logits of `tokens` evaluated as one prompt of `prompt` tokens, then one token at a time.
    static func logits(_ model: LoadedModel, prompt: [TokenID], decode: [TokenID]) throws -> [[Float]] {
        let context = try EvaluationContext(model: model, pool: ThreadPool(threads: 2), maxBatch: 32)
        var all = [Array(try context.evaluate(prompt))]
        for token in decode { all.append(Array(try context.evaluate([token]))) }
        return all
    }

    /// The largest logit difference allowed, as a fraction of the logits' standard deviation.
    /// Measured on these twins (seed 11): 32-element activation blocks 0.011...0.043; 256-element
    /// (Q8_K) blocks, whose one scale spans 8 times more values, 0.012...0.087 (Q2_K). A broken
    /// kernel gives differences of the order of the spread itself.
    static func tolerance(_ type: DType) -> Float {
        type.activationFormat == .q8K ? 0.15 : 0.06
    }

    @Test(arguments: types)
    func logitsFollowTheFloatTwin(type: DType) throws {
        let (blocks, floats) = try TestModels.blockTwins(type)
        let prompt = TestModels.prompt(40, seed: 3), decode: [TokenID] = [17, 230, 5, 401]
        let got = try Self.logits(blocks, prompt: prompt, decode: decode)
        let want = try Self.logits(floats, prompt: prompt, decode: decode)
        for (step, (g, w)) in zip(got, want).enumerated() {
            let mean = w.reduce(0, +) / Float(w.count)
            let spread = (w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(w.count)).squareRoot()
            let worst = zip(g, w).map { abs($0 - $1) }.max()!
            #expect(worst <= Self.tolerance(type) * spread, "\(type) step \(step): max |logit difference| \(worst), logit std \(spread)")
            #expect(g.indices.max { g[$0] < g[$1] } == w.indices.max { w[$0] < w[$1] } || worst <= 0.01 * spread,
                    "\(type) step \(step): top token differs")
        }
    }

    /// A decode step with K-quant weights allocates nothing on any thread (all scratch, the Q8_K
    /// activations included, was sized when the context was made).
    @Test(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator)), arguments: [DType.q4_K, .q6_K, .iq4_xs, .q5_1])
    func decodeStepDoesNotAllocate(type: DType) throws {
        let model = try TestModels.blockTwins(type).blocks
        let pool = ThreadPool(threads: 2)
        let context = try EvaluationContext(model: model, pool: pool)
        _ = try context.evaluate(TestModels.prompt(20, seed: 1))  // warm-up, and the prompt path
        let token: [TokenID] = [9]  // made once: an array literal in the loop would allocate
        _ = try context.evaluate(token)
        let before = AllocatorStatistics.threadAllocatedBytes(), workersBefore = pool.workerAllocatedBytes()
        for _ in 0..<10 { _ = try context.evaluate(token) }
        #expect(AllocatorStatistics.threadAllocatedBytes() - before == 0, "engine thread")
        #expect(pool.workerAllocatedBytes() - workersBefore == 0, "worker threads")
    }
}
