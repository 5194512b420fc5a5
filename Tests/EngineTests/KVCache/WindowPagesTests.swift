import Engine
import Foundation
import Memory
import StrataRuntime
import Testing
import TestSupport

/// Gemma 3's sliding-window layers keep their K and V in window pages that are released once
/// every position of a block has left the window: the same logits as keeping every page,
/// fewer bytes, prefixes reused only as far as their window pages exist, and truncation,
/// compression and forks that respect what was released.
@Suite struct WindowPagesTests {
    static let window = 8, blockTokens = 4

    /// A 2-layer gemma3 (layer 0 slides over 8 positions, layer 1 is global).
    static func model() throws -> LoadedModel {
        let preset = try #require(LlamaPreset.named("tiny"))
        var shape = SynthShape(preset.config, tiedOutput: true)
        shape.headDim = 32
        shape.slidingWindow = window
        let path = Fixtures.temporaryPath("window-pages.gguf")
        defer { unlink(path) }
        try ModelSynth.write(Gemma3.synthSpec(shape), vocabularySize: preset.config.vocabularySize, type: .f32,
                             vocabulary: GGUFFile(path: Fixtures.model("stories260K.gguf")), name: "window pages", seed: 3,
                             variedNorms: true, to: path)
        return try ModelLoader.load(path: path)
    }

    static func engine(_ model: LoadedModel) throws -> InferenceEngine {
        var o = EngineOptions()
        o.kvType = .f32
        o.blockTokens = blockTokens
        o.maxSequences = 4
        o.contextLength = 128
        o.maxBatchTokens = 16
        o.memoryBudget = 1 << 28
        return try InferenceEngine(model: model, pool: ThreadPool(threads: 2), options: o)
    }

    static let prompt: [TokenID] = (0..<40).map { TokenID(($0 * 53 + 7) % 512) }

    @Test func releasedPagesChangeNoLogitAndSaveTheirBytes() throws {
        let loaded = try Self.model()
        let engine = try Self.engine(loaded)
        let cache = engine.cache
        #expect(cache.plan.fullLayers == 1 && cache.plan.windowLayers == 1 && cache.plan.window == Self.window)
        let (bytesFull, bytesWindow) = cache.bytesPerTokenByKind
        #expect(bytesFull == bytesWindow && bytesFull + bytesWindow == cache.bytesPerToken)

        // The same model and batches over a cache that keeps every layer in one page per block.
        let layout = KVPageLayout(layers: 2, blockTokens: Self.blockTokens, kvDim: loaded.model.shape.kvDim, dtype: .f32)
        let budget = MemoryBudget(limitBytes: 1 << 28)
        let keepAll = PagedKVCache(layout: layout, pool: try PagePool(pageBytes: layout.pageBytes, slabPages: 16, budget: budget),
                                   coldStore: ColdStore(budget: budget), maxSequences: 1, maxTokensPerSequence: 128)
        let reference = DecoderRunner(model: loaded.model, backend: CPUBackend(pool: ThreadPool(threads: 2)), cache: keepAll,
                                      maxBatchTokens: 16, maxSequences: 1)
        let (a, _) = try cache.createSequence(prompt: [])
        let (r, _) = try keepAll.createSequence(prompt: [])
        // Uneven chunks: prefill tiles whose window starts inside a released block's successor.
        var start = 0
        for n in [5, 11, 1, 7, 16] {
            let chunk = Array(Self.prompt[start..<(start + n)])
            let ours = try PagedKVCacheTests.feed(engine.runner, a, chunk)
            let theirs = try PagedKVCacheTests.feed(reference, r, chunk)
            #expect(ours == theirs, "after \(start + n) tokens")
            start += n
        }
        cache.checkInvariants()
        // At 40 tokens the next one sees positions 33...40: blocks 0...7 (positions 0...31) are out.
        let s = cache.statistics
        #expect(s.windowPagesReleased == 8)
        #expect(s.hotBlocks == 10 && s.windowPages == 2)
        cache.release(a)
        cache.checkInvariants()
    }

    @Test func prefixesAreReusedOnlyAsFarAsTheirWindowPagesExist() throws {
        let engine = try Self.engine(try Self.model())
        let cache = engine.cache
        let (a, _) = try cache.createSequence(prompt: [])
        try PagedKVCacheTests.feed(engine.runner, a, Self.prompt)
        cache.release(a)
        cache.checkInvariants()

        // 40 tokens again and one more: the window of token 40 (blocks 8 and 9) was kept.
        let (b, reusedB) = try cache.createSequence(prompt: Self.prompt + [5])
        #expect(reusedB == 40)
        cache.release(b)
        // The first 20: every reuse point needs a released window page, so nothing is reused.
        let short = Array(Self.prompt[0..<20]) + [9]
        let (c, reusedC) = try cache.createSequence(prompt: short)
        #expect(reusedC == 0)
        try PagedKVCacheTests.feed(engine.runner, c, short)
        cache.checkInvariants()
        // Its recomputed blocks 3 and 4 replace the windowless ones for that prefix.
        let (d, reusedD) = try cache.createSequence(prompt: short)
        #expect(reusedD == 20)
        cache.release(c)
        cache.release(d)
        cache.checkInvariants()
    }

    @Test func truncationAndTheColdTierRespectReleasedPages() throws {
        let engine = try Self.engine(try Self.model())
        let cache = engine.cache
        let (a, _) = try cache.createSequence(prompt: [])
        try PagedKVCacheTests.feed(engine.runner, a, Self.prompt)
        // Compressed and back: the released pages stay released, the rest round-trip.
        #expect(cache.compress(a) == 10)
        cache.checkInvariants()
        #expect(cache.isCold(a) && !cache.isHot(a))
        try cache.makeHot(a)
        cache.checkInvariants()
        let next = try PagedKVCacheTests.feed(engine.runner, a, [77])
        let (fresh, _) = try cache.createSequence(prompt: [])
        let expected = try PagedKVCacheTests.feed(engine.runner, fresh, Self.prompt + [77])
        #expect(next == expected)
        cache.release(fresh)
        // 41 tokens: keeping 39 needs positions 32...38 (block 8): kept. Keeping 20 needs
        // positions 13...19, released: everything goes.
        #expect(cache.truncate(a, to: 39) == 39)
        #expect(cache.truncate(a, to: 20) == 0)
        #expect(cache.length(of: a) == 0)
        cache.checkInvariants()
        cache.release(a)
    }

    @Test func forkedBlocksKeepTheirWindowPages() throws {
        let engine = try Self.engine(try Self.model())
        let cache = engine.cache
        let (a, _) = try cache.createSequence(prompt: [])
        try PagedKVCacheTests.feed(engine.runner, a, Array(Self.prompt[0..<12]))
        let b = try cache.fork(a)
        // Shared blocks are not released while another sequence holds them.
        try PagedKVCacheTests.feed(engine.runner, a, Array(Self.prompt[12..<40]))
        let s = cache.statistics
        // Block 0 went before the fork (token 12 sees 5...12); blocks 1 and 2 are shared with b
        // and stay; blocks 3...7 go.
        #expect(s.windowPagesReleased == 6)
        #expect(s.windowPages == 4)
        cache.checkInvariants()
        cache.release(a)
        cache.release(b)
        cache.checkInvariants()
    }
}
