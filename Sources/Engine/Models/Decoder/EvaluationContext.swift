import Memory
import StrataRuntime

/// One sequence evaluated on its own, for logits: an `InferenceEngine` with one sequence, no
/// budget limit and no prefix caching, and that sequence. `evaluate` appends tokens and returns
/// the logits after the last one. (`strata bench`, the KV report and reference tests use it;
/// generation goes through the engine's scheduler.)
public final class EvaluationContext {
    public let engine: InferenceEngine
    /// Positions the sequence can hold.
    public let capacity: Int
    /// Tokens processed per forward pass at most (longer inputs are split).
    public var maxBatch: Int { engine.runner.maxBatchTokens }
    private let sequence: SequenceID

    /// A context of `capacity` positions (default and at most: the model's trained context) whose
    /// KV is stored as `kvType` (F16 by default; F32 or Q8_0), on `pool`'s threads.
    public convenience init(model: LoadedModel, pool: ThreadPool, capacity: Int? = nil, maxBatch: Int = 32,
                            kvType: DType = .f16, blockTokens: Int = 16) throws(EvaluationError) {
        try self.init(model: model, backend: CPUBackend(pool: pool), capacity: capacity, maxBatch: maxBatch,
                      kvType: kvType, blockTokens: blockTokens)
    }

    /// A context whose forward passes run on `backend`.
    public init(model: LoadedModel, backend: any ComputeBackend, capacity: Int? = nil, maxBatch: Int = 32,
                kvType: DType = .f16, blockTokens: Int = 16) throws(EvaluationError) {
        let shape = model.model.shape
        var options = EngineOptions()
        options.kvType = kvType
        options.blockTokens = blockTokens
        options.maxSequences = 1
        options.maxRequests = 1
        options.contextLength = shape.contextLength(requested: capacity ?? shape.contextLength)
        options.maxBatchTokens = max(1, maxBatch)
        options.memoryBudget = Int.max / 4
        options.prefixCaching = false
        engine = try InferenceEngine(model: model, backend: backend, options: options)
        self.capacity = engine.cache.maxTokensPerSequence
        do {
            sequence = try engine.cache.createSequence(prompt: []).0
        } catch {
            throw .kvCache(error)
        }
    }

    /// The model evaluated.
    public var model: any DecoderModel { engine.runner.model }

    /// Bytes by tier for this context.
    public var memoryReport: MemoryReport {
        MemoryReport(budget: engine.budget, pages: engine.pages, windowPages: engine.windowPages, coldStore: engine.coldStore, cache: engine.cache, weightBytes: 0)
    }

    /// The sequence this context evaluates.
    public var sequenceID: SequenceID { sequence }

    /// Tokens already in the cache.
    public var position: Int { engine.cache.length(of: sequence) }

    /// Forgets the sequence (the cache starts again from position 0).
    public func reset() {
        engine.cache.truncate(sequence, to: 0)
    }

    /// Drops cached positions from `newPosition` on, so evaluation can resume from there.
    public func truncate(to newPosition: Int) {
        engine.cache.truncate(sequence, to: newPosition)
    }

    /// Appends `tokens` to the sequence and returns the logits after the last one.
    /// The buffer belongs to the context: it is valid until the next call and only while the
    /// context lives (`Array(try EvaluationContext(...).evaluate(p))` reads freed memory).
    public func evaluate(_ tokens: [TokenID]) throws(EvaluationError) -> UnsafeBufferPointer<Float> {
        precondition(!tokens.isEmpty, "evaluate needs at least one token")
        guard position + tokens.count <= capacity else {
            throw .contextFull(position: position, adding: tokens.count, capacity: capacity)
        }
        let runner = engine.runner
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
