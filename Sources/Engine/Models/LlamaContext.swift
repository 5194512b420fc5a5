import Memory
import StrataRuntime

/// One sequence evaluated on its own: a paged KV cache with no budget limit, sized for
/// `capacity` tokens, and a runner for batches of that one sequence. `evaluate` appends
/// tokens and returns the logits after the last one. (`strata run`, `strata bench` and the
/// reference tests use it; serving shares one runner between many sequences.)
public final class LlamaContext {
    public let model: LlamaModel
    public let pool: ThreadPool
    public let runner: LlamaRunner
    public let cache: PagedKVCache
    /// The context's own (unlimited) budget, page pool and cold store.
    public let budget: MemoryBudget
    public let pages: PagePool
    public let coldStore: ColdStore
    /// Positions the sequence can hold.
    public let capacity: Int
    /// Tokens processed per forward pass at most (longer inputs are split).
    public let maxBatch: Int
    private var sequence: SequenceID

    /// A context of `capacity` positions (at most the model's context length) whose KV is
    /// stored as `kvType` (F16 by default; F32 or Q8_0).
    public init(model: LlamaModel, pool: ThreadPool, capacity: Int? = nil, maxBatch: Int = 32,
                kvType: DType = .f16, blockTokens: Int = 16) throws(EvaluationError) {
        let c = model.config
        self.model = model
        self.pool = pool
        self.capacity = c.contextLength(requested: capacity ?? c.contextLength)
        self.maxBatch = max(1, maxBatch)
        let layout = KVPageLayout(layers: c.layers, blockTokens: blockTokens, kvDim: c.kvDim, dtype: kvType)
        budget = MemoryBudget(limitBytes: Int.max / 4)
        do {
            pages = try PagePool(pageBytes: layout.pageBytes, slabPages: 16, budget: budget)
        } catch {
            throw .outOfMemory(error)
        }
        coldStore = ColdStore(budget: budget, pageBytes: layout.pageBytes)
        cache = PagedKVCache(layout: layout, pool: pages, coldStore: coldStore, maxSequences: 1,
                             maxTokensPerSequence: self.capacity, prefixCaching: false)
        runner = LlamaRunner(model: model, pool: pool, cache: cache, maxBatchTokens: self.maxBatch, maxSequences: 1)
        budget.charge(runner.scratchBytes, to: .pools)
        do {
            sequence = try cache.createSequence(prompt: []).0
        } catch {
            throw .kvCache(error)
        }
    }

    /// Bytes by tier for this context.
    public var memoryReport: MemoryReport {
        MemoryReport(budget: budget, pages: pages, coldStore: coldStore, cache: cache, weightBytes: 0)
    }

    /// The sequence this context evaluates.
    public var sequenceID: SequenceID { sequence }

    /// Tokens already in the cache.
    public var position: Int { cache.length(of: sequence) }

    /// Forgets the sequence (the cache starts again from position 0).
    public func reset() {
        cache.truncate(sequence, to: 0)
    }

    /// Drops cached positions from `newPosition` on, so generation can resume from there.
    public func truncate(to newPosition: Int) {
        cache.truncate(sequence, to: newPosition)
    }

    /// Appends `tokens` to the sequence and returns the logits after the last one.
    /// The buffer is valid until the next call.
    public func evaluate(_ tokens: [TokenID]) throws(EvaluationError) -> UnsafeBufferPointer<Float> {
        precondition(!tokens.isEmpty, "evaluate needs at least one token")
        guard position + tokens.count <= capacity else {
            throw .contextFull(position: position, adding: tokens.count, capacity: capacity)
        }
        var start = 0
        while start < tokens.count {
            let n = min(maxBatch, tokens.count - start)
            let last = start + n == tokens.count
            runner.beginBatch()
            _ = try tokens.withUnsafeBufferPointer { (all) throws(EvaluationError) in
                try runner.add(sequence, tokens: UnsafeBufferPointer(rebasing: all[start..<(start + n)]), wantLogits: last)
            }
            runner.run()
            start += n
        }
        return runner.logits(entry: 0)
    }
}
