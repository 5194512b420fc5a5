import Engine
import Memory
import StrataRuntime
import Testing
import TestSupport

/// n > 1 (issue 16): the prompt is evaluated once and the other choices fork its KV, sharing
/// its pages copy-on-write; choice i is seeded `seed + i`.
@Suite struct ChoicesTests {
    static func engine(sequences: Int = 8) throws -> InferenceEngine {
        // Batch-invariant kernels: a choice's logits do not depend on what shares its batch, so
        // forked choices can be compared token for token with requests run alone.
        try SchedulerTests.engine(try TestModels.random(), budget: 1 << 30, sequences: sequences, batchInvariant: true)
    }

    static func sampling(seed: UInt64) -> SamplingParameters {
        var s = SamplingParameters()
        s.temperature = 1.2
        s.topK = 0
        s.topP = 1
        s.minP = 0
        s.seed = seed
        return s
    }

    /// What one request seeded `seed` generates alone, in a fresh engine.
    static func alone(_ prompt: [TokenID], maxTokens: Int, seed: UInt64) throws -> [TokenID] {
        let engine = try engine()
        let id = try engine.scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling(seed: seed)))
        engine.scheduler.runUntilIdle()
        return Array(engine.scheduler.generated(by: id))
    }

    @Test("n = 4 on one prompt evaluates it once and holds its pages once; choice i is what seed + i gives alone")
    func fourChoicesShareThePrompt() throws {
        let engine = try Self.engine()
        let scheduler = engine.scheduler, cache = engine.cache
        let bt = cache.blockTokens
        let prompt = TestModels.prompt(5 * bt + 3, seed: 4)  // five full blocks and a partial one
        let ids = try scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: 12, sampling: Self.sampling(seed: 42)), choices: 4)
        #expect(ids.count == 4 && Set(ids.map(\.raw)).count == 4)
        #expect(scheduler.queuedCount == 1, "the other choices wait outside the queue")
        // Until the prompt has run, only the first choice holds KV.
        while scheduler.phase(of: ids[1]) == .waiting {
            scheduler.step()
            cache.checkInvariants()
        }
        let forked = cache.statistics
        #expect(forked.hotBlocks == 6, "the prompt's 6 pages, held once by 4 sequences: \(forked)")
        #expect(forked.forkSharedBlocks == 3 * 5, "three forks share five full blocks each")
        #expect(ids.allSatisfy { scheduler.generated(by: $0).count == 1 })
        scheduler.step()
        cache.checkInvariants()
        // Each choice wrote its token into the partial block: three copies, the full ones still shared.
        #expect(cache.statistics.copiesOnWrite == 3)
        #expect(cache.statistics.hotBlocks == 5 + 4, "\(cache.statistics)")
        scheduler.runUntilIdle()

        let s = scheduler.statistics
        #expect(s.forkedChoices == 3 && s.admitted == 4 && s.completed == 4, "\(s)")
        #expect(s.promptTokens == prompt.count, "the prompt counts once")
        let generated = ids.map { Array(scheduler.generated(by: $0)) }
        // The prompt was evaluated once; every choice then fed all its tokens but the last.
        #expect(s.batchTokens == prompt.count + generated.reduce(0) { $0 + $1.count - 1 })
        for (i, tokens) in generated.enumerated() {
            #expect(tokens == (try Self.alone(prompt, maxTokens: 12, seed: 42 + UInt64(i))), "choice \(i)")
        }
        #expect(Set(generated).count > 1, "different seeds sample different text")
    }

    @Test("choices that find no room in the running set queue as their own requests and reuse the prompt's cached blocks")
    func forksWithoutRoomQueue() throws {
        let engine = try Self.engine(sequences: 4)
        let scheduler = engine.scheduler
        let bt = engine.cache.blockTokens
        let other = try scheduler.submit(GenerationRequest(prompt: TestModels.prompt(9, seed: 1), maxTokens: 30, sampling: .greedy))
        let prompt = TestModels.prompt(3 * bt + 1, seed: 2)
        let ids = try scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: 6, sampling: Self.sampling(seed: 7)), choices: 4)
        scheduler.runUntilIdle()
        engine.cache.checkInvariants()
        #expect(scheduler.error(of: other) == nil && scheduler.generated(by: other).count == 30)
        let s = scheduler.statistics
        #expect(s.forkedChoices == 2, "two of the three forks found room: \(s)")
        #expect(s.promptTokens == 9 + prompt.count)
        #expect(engine.cache.statistics.prefixHits >= 3, "the queued choice reused the prompt's full blocks")
        for (i, id) in ids.enumerated() {
            #expect(Array(scheduler.generated(by: id)) == (try Self.alone(prompt, maxTokens: 6, seed: 7 + UInt64(i))), "choice \(i)")
        }
    }

    @Test("cancelling the first choice before its prompt ran leaves the others to run on their own; a cancelled fork is forgotten")
    func cancellations() throws {
        let engine = try Self.engine()
        let scheduler = engine.scheduler
        let prompt = TestModels.prompt(20, seed: 3)
        var ids = try scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: 5, sampling: Self.sampling(seed: 1)), choices: 3)
        scheduler.cancel(ids[0])
        scheduler.runUntilIdle()
        #expect(scheduler.stopReason(of: ids[0]) == .cancelled)
        for id in ids.dropFirst() { #expect(scheduler.error(of: id) == nil && scheduler.generated(by: id).count == 5) }
        for id in ids { scheduler.release(id) }

        ids = try scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: 5, sampling: Self.sampling(seed: 1)), choices: 3)
        scheduler.cancel(ids[2])
        scheduler.runUntilIdle()
        engine.cache.checkInvariants()
        #expect(scheduler.stopReason(of: ids[2]) == .cancelled && scheduler.generated(by: ids[2]).isEmpty)
        for id in ids.prefix(2) { #expect(scheduler.generated(by: id).count == 5) }
        #expect(!scheduler.hasWork)
    }

    @Test("n beyond the sequences run at once, or beyond the free request slots, is refused")
    func refusals() throws {
        let engine = try Self.engine(sequences: 4)
        let request = GenerationRequest(prompt: [1, 2, 3], maxTokens: 4)
        #expect(throws: SchedulerError.tooManyChoices(5, limit: 4)) { try engine.scheduler.submit(request, choices: 5) }
        #expect(throws: SchedulerError.tooManyChoices(0, limit: 4)) { try engine.scheduler.submit(request, choices: 0) }
        for _ in 0..<29 { _ = try engine.scheduler.submit(request) }
        #expect(throws: SchedulerError.queueFull(limit: 32)) { try engine.scheduler.submit(request, choices: 4) }
        #expect(try engine.scheduler.submit(request, choices: 3).count == 3)
    }
}
