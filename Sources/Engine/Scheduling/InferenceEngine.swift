import Memory
import StrataRuntime

/// How to size an inference engine.
public struct EngineOptions: Sendable {
    /// Element type of cached K and V.
    public var kvType: DType = .f16
    /// Tokens per KV page.
    public var blockTokens = 16
    /// Sequences running at once.
    public var maxSequences = 8
    /// Requests queued or running at once.
    public var maxRequests = 64
    /// Tokens one sequence may hold (nil: `DecoderShape.defaultContextLength`).
    public var contextLength: Int?
    /// Tokens per forward pass (decode tokens plus prompt chunks).
    public var maxBatchTokens = 512
    /// Bytes for KV pages, compressed pages and pools (nil: `MemoryBudget.defaultLimit(weightBytes:)`).
    public var memoryBudget: Int?
    /// Reuse KV of identical prompt prefixes.
    public var prefixCaching = true
    /// Bytes of KV the prefix cache keeps for prompts no request holds (nil: the budget bounds
    /// it when one is given, `defaultPrefixCacheBytes` when not).
    public var prefixCacheBytes: Int?
    /// The prefix cache's cap without a memory budget (the default budget is half of RAM, too
    /// much to fill with prefixes nobody may ask for again).
    public static let defaultPrefixCacheBytes = 1 << 30
    /// KV pages carved from each slab the pool takes (the budget's granularity).
    public var pagesPerSlab = 16
    /// Byte-shuffle cold pages before LZ4.
    public var shuffleColdPages = true

    public init() {}
}

/// Everything that serves one model, sized once at start-up: the composition root. It wires
/// the memory budget, the page pool and cold store, the paged KV cache, the backend, the
/// batched runner and the scheduler; `strata serve`, `strata run` (`generate`) and the
/// single-sequence `EvaluationContext` are all built on it.
public final class InferenceEngine {
    public let model: LoadedModel
    public let options: EngineOptions
    public let budget: MemoryBudget
    public let pages: PagePool
    /// Pages of the sliding-window layers, when the model mixes them with full ones (`KVLayerPlan`).
    public let windowPages: PagePool?
    public let coldStore: ColdStore
    public let cache: PagedKVCache
    public let backend: any ComputeBackend
    public let runner: DecoderRunner
    public let scheduler: Scheduler

    /// An engine for `model` running on `pool`'s threads (the CPU backend).
    public convenience init(model: LoadedModel, pool: ThreadPool, options: EngineOptions = EngineOptions()) throws(EvaluationError) {
        try self.init(model: model, backend: CPUBackend(pool: pool), options: options)
    }

    /// An engine for `model` running on `backend`.
    public init(model: LoadedModel, backend: any ComputeBackend, options: EngineOptions = EngineOptions()) throws(EvaluationError) {
        let c = model.model.shape
        self.model = model
        self.backend = backend
        self.options = options
        budget = MemoryBudget(limitBytes: options.memoryBudget ?? MemoryBudget.defaultLimit(weightBytes: model.fileBytes))
        let plan = KVLayerPlan(windows: c.windows)
        let layout = KVPageLayout(layers: plan.fullLayers, blockTokens: options.blockTokens, kvDim: c.kvDim, dtype: options.kvType)
        let windowLayout = plan.hasWindowPages
            ? KVPageLayout(layers: plan.windowLayers, blockTokens: options.blockTokens, kvDim: c.kvDim, dtype: options.kvType) : nil
        do {
            pages = try PagePool(pageBytes: layout.pageBytes, slabPages: options.pagesPerSlab, budget: budget)
            if let windowLayout {
                windowPages = try PagePool(pageBytes: windowLayout.pageBytes, slabPages: options.pagesPerSlab, budget: budget)
            } else {
                windowPages = nil
            }
        } catch {
            throw .outOfMemory(error)
        }
        coldStore = ColdStore(budget: budget, shuffle: options.shuffleColdPages,
                              pageBytes: max(layout.pageBytes, windowLayout?.pageBytes ?? 0))
        let context = c.contextLength(requested: options.contextLength)
        cache = PagedKVCache(layout: layout, pool: pages, coldStore: coldStore, maxSequences: options.maxSequences,
                             maxTokensPerSequence: context, prefixCaching: options.prefixCaching, plan: plan, windowPool: windowPages)
        if let cap = options.prefixCacheBytes ?? (options.memoryBudget == nil ? EngineOptions.defaultPrefixCacheBytes : nil) {
            cache.maxCachedBlocks = cap / (layout.pageBytes + (windowLayout?.pageBytes ?? 0))
        }
        runner = DecoderRunner(model: model.model.specialized(forContext: context), backend: backend, cache: cache,
                               maxBatchTokens: options.maxBatchTokens, maxSequences: options.maxSequences)
        guard budget.tryCharge(runner.scratchBytes, to: .pools), budget.used <= budget.limitBytes else {
            throw .budgetTooSmall(needed: runner.scratchBytes + budget.used(.pools), limit: budget.limitBytes)
        }
        do {
            try backend.bind(runner.binding(budget: budget))
        } catch {
            throw .device(error)
        }
        cache.mirror = backend.pageMirror
        let tokenizer = model.tokenizer
        scheduler = Scheduler(runner: runner, budget: budget, maxRequests: options.maxRequests,
                              isEndOfGeneration: { tokenizer.isEndOfGeneration($0) })
    }
}
