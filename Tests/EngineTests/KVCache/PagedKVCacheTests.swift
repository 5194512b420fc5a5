import Engine
import Memory
import StrataRuntime
import Testing
import TestSupport

/// The paged cache's bookkeeping and its use by the forward pass, on real and random models.
@Suite struct PagedKVCacheTests {
    /// Runs `prompt` then `steps` greedy tokens for one request on `engine`, returning the tokens.
    static func generate(_ engine: InferenceEngine, _ prompt: [TokenID], _ steps: Int) throws -> [TokenID] {
        let id = try engine.scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: steps))
        engine.scheduler.runUntilIdle()
        let out = Array(engine.scheduler.generated(by: id))
        engine.scheduler.release(id)
        return out
    }

    /// Evaluates `tokens` of `sequence` in batches the runner can take; returns the last logits.
    @discardableResult
    static func feed(_ runner: DecoderRunner, _ sequence: SequenceID, _ tokens: [TokenID]) throws -> [Float] {
        var start = 0
        var logits: [Float] = []
        while start < tokens.count {
            let n = min(runner.maxBatchTokens, tokens.count - start)
            let last = start + n == tokens.count
            runner.beginBatch()
            let e = try tokens.withUnsafeBufferPointer {
                try runner.add(sequence, tokens: UnsafeBufferPointer(rebasing: $0[start..<(start + n)]), wantLogits: last)
            }
            runner.run()
            if last { logits = Array(runner.logits(entry: e)) }
            start += n
        }
        return logits
    }

    static func engine(_ model: LoadedModel, kv: DType = .f16, budget: Int = 1 << 30, sequences: Int = 4,
                       prefixCaching: Bool = true) throws -> InferenceEngine {
        var o = EngineOptions()
        o.kvType = kv
        o.memoryBudget = budget
        o.maxSequences = sequences
        o.prefixCaching = prefixCaching
        o.contextLength = 512
        return try InferenceEngine(model: model, pool: ThreadPool(threads: 2), options: o)
    }

    @Test("greedy text through the paged cache matches llama2.c for F32 and F16 KV", arguments: [DType.f32, .f16])
    func referenceText(kv: DType) throws {
        let loaded = try TestModels.stories260K()
        let (text, _) = try TestModels.generate(loaded, prompt: [1], maxTokens: 200, kvType: kv)
        #expect(text == (try References.stories260KGreedy()))
    }

    @Test("Q8_0 KV stays close to F32 KV")
    func q8KV() throws {
        let loaded = try TestModels.stories260K()
        let prompt = TestModels.prompt(40, seed: 1)
        let pool = ThreadPool(threads: 2)
        // Named, not temporaries: the logits live in the context, which must outlive the copy.
        let f32Context = try EvaluationContext(model: loaded, pool: pool, kvType: .f32)
        let q8Context = try EvaluationContext(model: loaded, pool: pool, kvType: .q8_0)
        let f32 = Array(try f32Context.evaluate(prompt))
        let q8 = Array(try q8Context.evaluate(prompt))
        let worst = zip(f32, q8).map { abs($0 - $1) }.max()!
        #expect(worst < 0.5, "max logit difference \(worst)")
        #expect(f32.indices.max { f32[$0] < f32[$1] } == q8.indices.max { q8[$0] < q8[$1] })
    }

    @Test("two sequences with one 64- or 70-token prompt share its full blocks and generate what each would alone", arguments: [64, 70])
    func prefixSharing(promptLength: Int) throws {
        let loaded = try TestModels.stories260K()
        let prompt = TestModels.prompt(promptLength, seed: 3)
        let alone = try Self.generate(try Self.engine(loaded, prefixCaching: false), prompt, 20)

        let engine = try Self.engine(loaded)
        let cache = engine.cache
        let (a, reusedA) = try cache.createSequence(prompt: prompt)
        #expect(reusedA == 0)
        let runner = engine.runner
        try Self.feed(runner, a, prompt)
        let hotAfterA = cache.statistics.hotBlocks
        let (b, reusedB) = try cache.createSequence(prompt: prompt)
        let bt = cache.blockTokens
        #expect(reusedB == (promptLength - 1) / bt * bt)
        let rest = Array(prompt[reusedB...])
        try Self.feed(runner, b, rest)
        // B added only the blocks after the shared ones: at most the last (partial) block.
        #expect(cache.statistics.hotBlocks - hotAfterA == 1)
        #expect(cache.statistics.prefixHits == reusedB / bt)
        cache.checkInvariants()
        cache.release(a)
        cache.release(b)
        cache.checkInvariants()

        // Through the scheduler, both at once, each generates what it would alone.
        let r1 = try engine.scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: 20))
        let r2 = try engine.scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: 20))
        engine.scheduler.runUntilIdle()
        #expect(Array(engine.scheduler.generated(by: r1)) == alone)
        #expect(Array(engine.scheduler.generated(by: r2)) == alone)
    }

    @Test("a forked sequence shares every block; writing its partial last block copies it first")
    func forkCopyOnWrite() throws {
        let loaded = try TestModels.stories260K()
        let engine = try Self.engine(loaded)
        let cache = engine.cache, runner = engine.runner
        let prompt = TestModels.prompt(21, seed: 5)  // one full block and a partial one
        let (a, _) = try cache.createSequence(prompt: prompt)
        try Self.feed(runner, a, prompt)
        let b = try cache.fork(a)
        #expect(cache.statistics.hotBlocks == 2)
        for (sequence, token) in [(a, TokenID(50)), (b, TokenID(60))] {
            runner.beginBatch()
            try [token].withUnsafeBufferPointer { try runner.add(sequence, tokens: $0, wantLogits: true) }
            runner.run()
        }
        cache.checkInvariants()
        #expect(cache.statistics.copiesOnWrite == 1)
        #expect(cache.statistics.hotBlocks == 3)
        #expect(Array(cache.tokens(of: a)) == prompt + [50])
        #expect(Array(cache.tokens(of: b)) == prompt + [60])
        // b's continuation equals a fresh sequence fed the same tokens.
        let fresh = try EvaluationContext(model: loaded, pool: ThreadPool(threads: 1))
        let expected = Array(try fresh.evaluate(prompt + [60, 70]))
        runner.beginBatch()
        let e = try [TokenID(70)].withUnsafeBufferPointer { try runner.add(b, tokens: $0, wantLogits: true) }
        runner.run()
        let got = Array(runner.logits(entry: e))
        #expect(zip(expected, got).map { abs($0 - $1) }.max()! < 1e-4)
    }

    @Test("KV waste stays below one block per sequence")
    func waste() throws {
        let loaded = try TestModels.random()
        let engine = try Self.engine(loaded, sequences: 6, prefixCaching: false)
        let cache = engine.cache, runner = engine.runner
        var sequences: [SequenceID] = []
        for (i, length) in [1, 15, 16, 17, 50, 129].enumerated() {
            let prompt = TestModels.prompt(length, seed: i)
            let (s, _) = try cache.createSequence(prompt: prompt)
            try Self.feed(runner, s, prompt)
            sequences.append(s)
        }
        let st = cache.statistics
        let allocated = st.hotBlocks * st.pageBytes
        let used = st.tokens * st.bytesPerToken
        #expect(allocated - used < sequences.count * st.pageBytes)
        #expect(st.tokens == 1 + 15 + 16 + 17 + 50 + 129)
    }

    @Test("compressed pages of real KV come back bit for bit", arguments: [DType.f32, .f16, .q8_0])
    func coldRoundTrip(kv: DType) throws {
        for loaded in [try TestModels.stories260K(), try TestModels.random()] {
            let engine = try Self.engine(loaded, kv: kv)
            let cache = engine.cache, runner = engine.runner
            let prompt = TestModels.prompt(90, seed: 9)
            let (s, _) = try cache.createSequence(prompt: prompt)
            try Self.feed(runner, s, prompt)
            let pages = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: cache.maxBlocksPerSequence)
            defer { pages.deallocate() }
            let n = cache.pageAddresses(s, into: pages)
            let before = (0..<n).map { Array(UnsafeRawBufferPointer(start: pages[$0], count: cache.layout.pageBytes)) }
            #expect(cache.compress(s) == n)
            #expect(!cache.isHot(s))
            #expect(engine.coldStore.statistics.compressedBytes < engine.coldStore.statistics.rawBytes)
            cache.checkInvariants()
            try cache.makeHot(s)
            cache.checkInvariants()
            _ = cache.pageAddresses(s, into: pages)
            let after = (0..<n).map { Array(UnsafeRawBufferPointer(start: pages[$0], count: cache.layout.pageBytes)) }
            #expect(before == after)
        }
    }
}
