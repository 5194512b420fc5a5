import Engine
import StrataRuntime
import Testing
import TestSupport

/// Without a memory budget the default one is half of RAM, and unreferenced prompt prefixes
/// were kept until it filled (issue 15: RSS grew without bound). The prefix cache now has a cap
/// of its own: 1 GiB by default without a budget, or `prefixCacheBytes`.
@Suite struct PrefixCacheCapTests {
    static func engine(_ configure: (inout EngineOptions) -> Void) throws -> InferenceEngine {
        var o = EngineOptions()
        o.maxSequences = 1
        o.maxRequests = 1
        o.contextLength = 256
        configure(&o)
        return try InferenceEngine(model: try TestModels.stories260K(), pool: ThreadPool(threads: 1), options: o)
    }

    @Test func unreferencedPrefixesStayWithinTheCap() throws {
        let engine = try Self.engine { $0.prefixCacheBytes = 3 * 10_240 }  // stories260K: 10 KiB pages
        let pageBytes = engine.cache.layout.pageBytes
        #expect(engine.cache.maxCachedBlocks == 3 * 10_240 / pageBytes)
        for seed in 0..<6 {
            _ = try engine.generate(prompt: TestModels.prompt(40, seed: seed), maxTokens: 1)
            #expect(engine.cache.cachedBlockCount <= engine.cache.maxCachedBlocks)
        }
        #expect(engine.cache.statistics.evictions > 0)
        // The most recent prompt is still there to reuse.
        let (sequence, reused) = try engine.cache.createSequence(prompt: TestModels.prompt(40, seed: 5))
        #expect(reused >= 32)
        engine.cache.release(sequence)
    }

    @Test func theDefaultCapAppliesOnlyWithoutABudget() throws {
        let unbudgeted = try Self.engine { _ in }
        #expect(unbudgeted.cache.maxCachedBlocks == EngineOptions.defaultPrefixCacheBytes / unbudgeted.cache.layout.pageBytes)
        let budgeted = try Self.engine { $0.memoryBudget = 64 << 20 }
        #expect(budgeted.cache.maxCachedBlocks == .max)
    }
}
