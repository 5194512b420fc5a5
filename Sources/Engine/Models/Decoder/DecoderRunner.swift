import Memory
import StrataRuntime

/// Runs a decoder's forward pass over batches that mix several sequences (prompt chunks and
/// single decode tokens), reading and writing KV through the paged cache, on one backend. The
/// batch, the scratch and the backend's own buffers are sized at start-up for `maxBatchTokens`
/// tokens and `maxSequences` sequences, so a step allocates nothing.
///
/// Use: `beginBatch()`, `add(...)` per sequence, `run()`, then `logits(entry:)`.
public final class DecoderRunner {
    public let model: any DecoderModel
    public let backend: any ComputeBackend
    public let batch: DecoderBatch
    public let scratch: DecoderScratch
    public var cache: PagedKVCache { batch.cache }
    public var maxBatchTokens: Int { batch.maxBatchTokens }
    public var maxSequences: Int { batch.maxSequences }

    /// A runner over `cache` (whose layout must match the model) for batches of at most
    /// `maxBatchTokens` tokens from at most `maxSequences` sequences.
    public init(model: any DecoderModel, backend: any ComputeBackend, cache: PagedKVCache, maxBatchTokens: Int, maxSequences: Int) {
        let s = model.shape
        precondition(cache.plan.places.count == s.layers && cache.layout.kvDim == s.kvDim, "KV layout does not match the model")
        self.model = model
        self.backend = backend
        batch = DecoderBatch(cache: cache, vocabularySize: s.vocabularySize, maxBatchTokens: maxBatchTokens, maxSequences: maxSequences)
        let shape = model.scratchShape
        scratch = DecoderScratch(shape: shape, maxBatchTokens: maxBatchTokens, maxSequences: maxSequences)
        backend.reserve(BackendLimits(
            maxBatchTokens: maxBatchTokens, widestInput: shape.widestInput, floatWeights: shape.reads.floats,
            quantizedWeights: shape.reads.q8 || shape.reads.q8K, attentionGroup: s.attentionGroup, headDim: s.headDim,
            blockTokens: cache.layout.blockTokens))
    }

    /// What a device backend mirrors of this runner: its activation buffers and the cache's shape.
    public func binding(budget: MemoryBudget) -> BackendBinding {
        let s = scratch
        func raw(_ b: borrowing AlignedBuffer<Float>) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(start: b.pointer, count: b.count * MemoryLayout<Float>.stride)
        }
        return BackendBinding(
            budget: budget,
            activations: [raw(s.x), raw(s.xb), raw(s.q), raw(s.k), raw(s.v), raw(s.att), raw(s.proj), raw(s.hb), raw(s.hb2),
                          raw(s.xLast), raw(batch.logits)],
            quantized: [s.q8.quantElements, s.q8K.quantElements], layout: cache.layout, windowLayout: cache.windowLayout,
            kvPlaces: cache.plan.places, window: model.shape.windows.max() ?? 0, maxSequences: maxSequences,
            maxBlocksPerSequence: batch.maxBlocks, maxBatchTokens: maxBatchTokens)
    }

    /// Bytes of scratch this runner holds (sized at start-up), the backend's included.
    public var scratchBytes: Int { batch.bytes + scratch.bytes + backend.scratchBytes }

    /// Starts an empty batch.
    public func beginBatch() { batch.begin() }

    /// Adds `tokens` of `sequence` (appended after its cached tokens) to the batch and reserves
    /// their KV slots; returns the entry index. The sequence must be hot.
    @discardableResult
    public func add(_ sequence: SequenceID, tokens: UnsafeBufferPointer<TokenID>, wantLogits: Bool) throws(EvaluationError) -> Int {
        try batch.add(sequence, tokens: tokens, wantLogits: wantLogits)
    }

    /// The logits after the last token of `entry` (which asked for them); valid until the next batch.
    public func logits(entry: Int) -> UnsafeBufferPointer<Float> { batch.logits(entry: entry) }

    /// Runs the forward pass of the batch and commits its tokens to the cache.
    public func run() {
        guard batch.tokens > 0 else { return }
        batch.prepare(attentionGroup: model.shape.attentionGroup)
        model.forward(batch, scratch: scratch, backend: backend)
        batch.commit()
    }
}
