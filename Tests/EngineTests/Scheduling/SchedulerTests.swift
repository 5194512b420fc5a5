import Engine
import Memory
import StrataRuntime
import Testing
import TestSupport

/// Many sequences at once: identical results under memory pressure, recovery from corrupted
/// cold pages, and no allocation in steady-state decode.
@Suite struct SchedulerTests {
    static func engine(_ model: LoadedModel, budget: Int, sequences: Int = 16, kv: DType = .f16,
                       pagesPerSlab: Int = 4, batchInvariant: Bool = false) throws -> InferenceEngine {
        var o = EngineOptions()
        o.kvType = kv
        o.memoryBudget = budget
        o.maxSequences = sequences
        o.maxRequests = 32
        o.contextLength = 256
        o.maxBatchTokens = 64
        o.pagesPerSlab = pagesPerSlab
        return try InferenceEngine(model: model, backend: CPUBackend(pool: ThreadPool(threads: 2), batchInvariant: batchInvariant), options: o)
    }

    static func prompts(_ n: Int) -> [[TokenID]] {
        (0..<n).map { TestModels.prompt(8 + ($0 * 7) % 30, seed: $0) }
    }

    /// Submits every prompt, runs to completion and returns each request's generated tokens.
    static func run(_ engine: InferenceEngine, _ prompts: [[TokenID]], maxTokens: Int,
                    whileStepping: (InferenceEngine, [RequestID]) -> Void = { _, _ in }) throws -> [[TokenID]] {
        let ids = try prompts.map { try engine.scheduler.submit(GenerationRequest(prompt: $0, maxTokens: maxTokens)) }
        while engine.scheduler.hasWork {
            engine.scheduler.step()
            engine.cache.checkInvariants()
            whileStepping(engine, ids)
        }
        for id in ids {
            #expect(engine.scheduler.phase(of: id) == .finished)
            #expect(engine.scheduler.error(of: id) == nil, "\(id): \(String(describing: engine.scheduler.error(of: id)))")
        }
        return ids.map { Array(engine.scheduler.generated(by: $0)) }
    }

    @Test("16 greedy sequences in a budget too small for all their KV finish exactly as with no limit")
    func tightBudget() throws {
        for loaded in [try TestModels.stories260K(), try TestModels.random()] {
            let prompts = Self.prompts(16)
            let unlimited = try Self.run(try Self.engine(loaded, budget: 1 << 30), prompts, maxTokens: 48)
            let probe = try Self.engine(loaded, budget: 1 << 30)
            let pageBytes = probe.cache.layout.pageBytes
            // Start-up buffers plus room for about a third of the pages all sequences need.
            let needed = 16 * ((40 + 48) / 16 + 1)
            let limit = probe.budget.used(.pools) + needed / 3 * pageBytes
            let engine = try Self.engine(loaded, budget: limit)
            let squeezed = try Self.run(engine, prompts, maxTokens: 48)
            #expect(squeezed == unlimited)
            #expect(engine.budget.peakUsed <= limit)
            let s = engine.scheduler.statistics
            let c = engine.cache.statistics
            #expect(s.preemptionsCompressed + s.preemptionsDropped + c.evictions + c.compressions > 0, "\(s) \(c)")
            #expect(s.completed == 16)
        }
    }

    /// The default kernels sum a token's products in an order that depends on its batch (register
    /// tiles, panels), so recomputed or differently batched KV may change a greedy token of the
    /// quantized types; batch-invariant kernels never do.
    @Test("batch-invariant kernels: greedy sequences preempted, compressed and recomputed equal the unlimited run, every weight type",
          arguments: [DType.q4_0, .q4_1, .q5_0, .q8_0, .f16, .f32])  // (K-quants need 256-wide rows: BatchInvarianceTests)
    func tightBudgetBatchInvariant(_ type: DType) throws {
        let loaded = try TestModels.random(type)
        let prompts = Self.prompts(16)
        let unlimited = try Self.run(try Self.engine(loaded, budget: 1 << 30, batchInvariant: true), prompts, maxTokens: 48)
        let probe = try Self.engine(loaded, budget: 1 << 30)
        let limit = probe.budget.used(.pools) + 16 * ((40 + 48) / 16 + 1) / 3 * probe.cache.layout.pageBytes
        let engine = try Self.engine(loaded, budget: limit, batchInvariant: true)
        #expect(try Self.run(engine, prompts, maxTokens: 48) == unlimited, "\(type)")
        #expect(engine.scheduler.statistics.recomputedTokens > 0)
    }

    @Test("a flipped byte in a compressed page is caught and the sequence recomputed with identical output")
    func corruptedColdPage() throws {
        let loaded = try TestModels.stories260K()
        let prompts = Self.prompts(16)
        let unlimited = try Self.run(try Self.engine(loaded, budget: 1 << 30), prompts, maxTokens: 48)
        let probe = try Self.engine(loaded, budget: 1 << 30)
        let limit = probe.budget.used(.pools) + 30 * probe.cache.layout.pageBytes
        let engine = try Self.engine(loaded, budget: limit)
        var corrupted = 0
        var touched: Set<ColdPageID> = []
        let squeezed = try Self.run(engine, prompts, maxTokens: 48) { engine, ids in
            guard corrupted < 3 else { return }
            for id in ids where engine.scheduler.phase(of: id) == .preempted {
                // Each page once (flipping a byte twice would mend it).
                if let s = engine.scheduler.sequence(of: id), let page = engine.cache.coldPages(of: s).first,
                   touched.insert(page).inserted {
                    engine.coldStore.corruptForTesting(page, at: 5)
                    corrupted += 1
                    return
                }
            }
        }
        #expect(corrupted > 0, "the budget never forced a compressed preemption")
        #expect(squeezed == unlimited)
        #expect(engine.cache.statistics.corruptions == corrupted)
        #expect(engine.coldStore.statistics.corruptionsDetected == corrupted)
        #expect(engine.scheduler.statistics.recomputedTokens > 0)
    }

    /// Greedy; greedy with 20 logprobs and logit biases; llama.cpp's default sampling chain
    /// (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8); top-p alone (a sort of the whole vocabulary).
    static let samplingModes: [SamplingParameters] = {
        var logprobs = SamplingParameters.greedy
        logprobs.logprobs = SamplingParameters.maxTopLogprobs
        logprobs.logitBias = [3: -100, 7: 2]
        var chain = SamplingParameters()
        chain.seed = 5
        var topP = SamplingParameters()
        topP.topK = 0
        topP.minP = 0
        topP.seed = 6
        return [.greedy, logprobs, chain, topP]
    }()

    @Test("steady-state decode of several sequences allocates nothing, whatever the sampling",
          .enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator)), arguments: [false, true], 0..<4)
    func zeroAllocation(randomModel: Bool, mode: Int) throws {
        let loaded = randomModel ? try TestModels.random() : try TestModels.stories260K()
        // Slabs of 64 pages: the pool takes its only slab during warm-up.
        let engine = try Self.engine(loaded, budget: 1 << 30, sequences: 4, pagesPerSlab: 64)
        let sampling = Self.samplingModes[mode]
        for p in Self.prompts(4) { _ = try engine.scheduler.submit(GenerationRequest(prompt: p, maxTokens: 200, sampling: sampling)) }
        Self.expectNoAllocation(engine)
    }

    /// After 40 warm-up steps (prompts, the first blocks of decode, lazy runtime metadata), 60
    /// steps allocate nothing on the engine thread or the workers.
    static func expectNoAllocation(_ engine: InferenceEngine, sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<40 { engine.scheduler.step() }
        let pool = (engine.backend as! CPUBackend).pool
        let before = AllocatorStatistics.threadAllocatedBytes(), workersBefore = pool.workerAllocatedBytes()
        for _ in 0..<60 { engine.scheduler.step() }
        #expect(AllocatorStatistics.threadAllocatedBytes() - before == 0, "engine thread", sourceLocation: sourceLocation)
        #expect(pool.workerAllocatedBytes() - workersBefore == 0, "worker threads", sourceLocation: sourceLocation)
    }

    @Test("a request whose KV can never fit ends with an explicit error; the others complete")
    func impossibleRequest() throws {
        let loaded = try TestModels.stories260K()
        let probe = try Self.engine(loaded, budget: 1 << 30)
        let limit = probe.budget.used(.pools) + 10 * probe.cache.layout.pageBytes
        let engine = try Self.engine(loaded, budget: limit)
        let small = try engine.scheduler.submit(GenerationRequest(prompt: TestModels.prompt(10, seed: 1), maxTokens: 10))
        let huge = try engine.scheduler.submit(GenerationRequest(prompt: TestModels.prompt(200, seed: 2), maxTokens: 50))
        engine.scheduler.runUntilIdle()
        #expect(engine.scheduler.error(of: small) == nil)
        #expect(engine.scheduler.generated(by: small).count == 10)
        #expect(engine.scheduler.phase(of: huge) == .finished)
        guard case .outOfMemory = engine.scheduler.error(of: huge) else {
            Issue.record("expected outOfMemory, got \(String(describing: engine.scheduler.error(of: huge)))")
            return
        }
    }

    @Test("bad requests are refused with typed errors")
    func refusals() throws {
        let engine = try Self.engine(try TestModels.stories260K(), budget: 1 << 30)
        #expect(throws: SchedulerError.invalidPrompt("it has no tokens")) { try engine.scheduler.submit(GenerationRequest(prompt: [], maxTokens: 4)) }
        #expect(throws: SchedulerError.self) { try engine.scheduler.submit(GenerationRequest(prompt: [1, 9999], maxTokens: 4)) }
        #expect(throws: SchedulerError.tooLong(promptTokens: 2, maxTokens: 300, capacity: 256)) {
            try engine.scheduler.submit(GenerationRequest(prompt: [1, 5], maxTokens: 300))
        }
        var bad = SamplingParameters()
        bad.topP = 0
        #expect(throws: SchedulerError.self) { try engine.scheduler.submit(GenerationRequest(prompt: [1], maxTokens: 4, sampling: bad)) }
    }

    @Test("a stop string ends a request as completed with .stopString, a cancellation as cancelled (issue 16)")
    func stopStringIsNotACancellation() throws {
        let engine = try Self.engine(try TestModels.stories260K(), budget: 1 << 30)
        let scheduler = engine.scheduler
        let stopped = try scheduler.submit(GenerationRequest(prompt: [1, 5, 9], maxTokens: 20))
        let cancelled = try scheduler.submit(GenerationRequest(prompt: [1, 7, 3], maxTokens: 20))
        scheduler.step()
        scheduler.step()
        scheduler.stopAtString(stopped)
        scheduler.cancel(cancelled)
        #expect(scheduler.stopReason(of: stopped) == .stopString && FinishReason(.stopString) == .stop)
        #expect(scheduler.stopReason(of: cancelled) == .cancelled)
        #expect(scheduler.statistics.completed == 1 && scheduler.statistics.cancelled == 1, "\(scheduler.statistics)")
        #expect(!scheduler.hasWork && scheduler.sequence(of: stopped) == nil && scheduler.sequence(of: cancelled) == nil)
        scheduler.stopAtString(stopped)  // a finished request stays as it ended
        #expect(scheduler.statistics.completed == 1)
    }
}
