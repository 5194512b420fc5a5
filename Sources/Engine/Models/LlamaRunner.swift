import Memory
import Runtime

/// Runs the Llama forward pass over a batch that mixes several sequences (prompt chunks and
/// single decode tokens), reading and writing KV through the paged cache. Every buffer is
/// sized once, at start-up, for `maxBatchTokens` tokens and `maxSequences` sequences, so a
/// step allocates nothing.
///
/// Use: `beginBatch()`, `add(...)` per sequence, `run()`, then `logits(entry:)`.
public final class LlamaRunner {
    public let model: LlamaModel
    public let pool: ThreadPool
    public let cache: PagedKVCache
    public let maxBatchTokens: Int
    public let maxSequences: Int

    private let rope: Rope
    private let maxBlocks: Int
    // The batch: entries (one per sequence) and tokens.
    /// [maxSequences] sequence of each entry
    private let entrySequence: AlignedBuffer<Int32>
    /// [maxSequences] first token index of each entry
    private let entryStart: AlignedBuffer<Int32>
    /// [maxSequences] token count of each entry
    private let entryCount: AlignedBuffer<Int32>
    /// [maxSequences] logits row of each entry, or -1
    private let entryLogitsRow: AlignedBuffer<Int32>
    /// [maxSequences, maxBlocks] page addresses of each entry's sequence
    private let pageTables: AlignedBuffer<UnsafeMutableRawPointer>
    /// [maxBatchTokens] token ids
    private let tokenIDs: AlignedBuffer<TokenID>
    /// [maxBatchTokens] entry of each token
    private let tokenEntry: AlignedBuffer<Int32>
    /// [maxBatchTokens] position of each token in its sequence
    private let tokenPosition: AlignedBuffer<Int32>
    private var entries = 0
    private var tokens = 0
    private var logitRows = 0

    // Activations.
    /// [maxBatchTokens, dim] residual stream
    private let x: AlignedBuffer<Float>
    /// [maxBatchTokens, dim] normalized input
    private let xb: AlignedBuffer<Float>
    /// [maxBatchTokens, heads * headDim]
    private let q: AlignedBuffer<Float>
    /// [maxBatchTokens, kvDim]
    private let k: AlignedBuffer<Float>
    /// [maxBatchTokens, kvDim]
    private let v: AlignedBuffer<Float>
    /// [maxBatchTokens, heads * headDim] attention output
    private let att: AlignedBuffer<Float>
    /// [maxBatchTokens, dim] projection output
    private let proj: AlignedBuffer<Float>
    /// [maxBatchTokens, hidden] gate, then SwiGLU output
    private let hb: AlignedBuffer<Float>
    /// [maxBatchTokens, hidden] up
    private let hb2: AlignedBuffer<Float>
    /// [heads, maxTokensPerSequence] attention scores, one row per head
    private let scores: AlignedBuffer<Float>
    /// [maxSequences, dim] last hidden state of each entry that wants logits
    private let xLast: AlignedBuffer<Float>
    /// [maxSequences, vocab]
    private let logits: AlignedBuffer<Float>

    /// A runner over `cache` (whose layout must match the model) for batches of at most
    /// `maxBatchTokens` tokens from at most `maxSequences` sequences.
    public init(model: LlamaModel, pool: ThreadPool, cache: PagedKVCache, maxBatchTokens: Int, maxSequences: Int) {
        let c = model.config
        precondition(cache.layout.layers == c.layers && cache.layout.kvDim == c.kvDim, "KV layout does not match the model")
        precondition(maxBatchTokens >= 1 && maxSequences >= 1)
        self.model = model
        self.pool = pool
        self.cache = cache
        self.maxBatchTokens = maxBatchTokens
        self.maxSequences = maxSequences
        self.maxBlocks = cache.maxBlocksPerSequence
        rope = Rope(headDim: c.headDim, ropeDims: c.ropeDimensions, base: c.ropeBase, style: c.ropeStyle)
        let qDim = c.heads * c.headDim
        entrySequence = AlignedBuffer(count: maxSequences)
        entryStart = AlignedBuffer(count: maxSequences)
        entryCount = AlignedBuffer(count: maxSequences)
        entryLogitsRow = AlignedBuffer(count: maxSequences)
        pageTables = AlignedBuffer(count: maxSequences * cache.maxBlocksPerSequence)
        tokenIDs = AlignedBuffer(count: maxBatchTokens)
        tokenEntry = AlignedBuffer(count: maxBatchTokens)
        tokenPosition = AlignedBuffer(count: maxBatchTokens)
        x = AlignedBuffer(count: maxBatchTokens * c.dim)
        xb = AlignedBuffer(count: maxBatchTokens * c.dim)
        q = AlignedBuffer(count: maxBatchTokens * qDim)
        k = AlignedBuffer(count: maxBatchTokens * c.kvDim)
        v = AlignedBuffer(count: maxBatchTokens * c.kvDim)
        att = AlignedBuffer(count: maxBatchTokens * qDim)
        proj = AlignedBuffer(count: maxBatchTokens * c.dim)
        hb = AlignedBuffer(count: maxBatchTokens * c.hiddenDim)
        hb2 = AlignedBuffer(count: maxBatchTokens * c.hiddenDim)
        scores = AlignedBuffer(count: c.heads * cache.maxTokensPerSequence)
        xLast = AlignedBuffer(count: maxSequences * c.dim)
        logits = AlignedBuffer(count: maxSequences * c.vocabularySize)
    }

    /// Bytes of scratch this runner holds (sized at start-up).
    public var scratchBytes: Int {
        let floats = x.count + xb.count + q.count + k.count + v.count + att.count + proj.count + hb.count + hb2.count
            + scores.count + xLast.count + logits.count
        return floats * MemoryLayout<Float>.stride + pageTables.count * MemoryLayout<UnsafeMutableRawPointer>.stride
    }

    /// Starts an empty batch.
    public func beginBatch() {
        entries = 0
        tokens = 0
        logitRows = 0
    }

    /// Adds `newTokens` of `sequence` (appended after its cached tokens) to the batch and
    /// reserves their KV slots; returns the entry index. The sequence must be hot.
    @discardableResult
    public func add(_ sequence: SequenceID, tokens newTokens: UnsafeBufferPointer<TokenID>, wantLogits: Bool) throws(EvaluationError) -> Int {
        precondition(!newTokens.isEmpty, "a batch entry needs at least one token")
        guard entries < maxSequences, tokens + newTokens.count <= maxBatchTokens else {
            throw .batchTooLarge(tokens: tokens + newTokens.count, sequences: entries + 1, maxTokens: maxBatchTokens, maxSequences: maxSequences)
        }
        let vocab = model.config.vocabularySize
        for i in 0..<newTokens.count where newTokens[i] < 0 || Int(newTokens[i]) >= vocab {
            throw .invalidToken(newTokens[i], vocabularySize: vocab)
        }
        let start = cache.length(of: sequence)
        do {
            try cache.reserve(sequence, count: newTokens.count)
        } catch {
            if case .sequenceFull(let length, let adding, let capacity) = error {
                throw .contextFull(position: length, adding: adding, capacity: capacity)
            }
            throw .kvCache(error)
        }
        let e = entries
        entrySequence.pointer[e] = sequence.raw
        entryStart.pointer[e] = Int32(tokens)
        entryCount.pointer[e] = Int32(newTokens.count)
        entryLogitsRow.pointer[e] = wantLogits ? Int32(logitRows) : -1
        if wantLogits { logitRows += 1 }
        for i in 0..<newTokens.count {
            tokenIDs.pointer[tokens + i] = newTokens[i]
            tokenEntry.pointer[tokens + i] = Int32(e)
            tokenPosition.pointer[tokens + i] = Int32(start + i)
        }
        tokens += newTokens.count
        entries += 1
        return e
    }

    /// The logits after the last token of `entry` (which asked for them); valid until the next batch.
    public func logits(entry: Int) -> UnsafeBufferPointer<Float> {
        let row = Int(entryLogitsRow.pointer[entry])
        precondition(row >= 0, "entry \(entry) did not ask for logits")
        let vocab = model.config.vocabularySize
        return UnsafeBufferPointer(start: logits.pointer + row * vocab, count: vocab)
    }

    /// Runs the forward pass of the batch and commits its tokens to the cache.
    public func run() {
        guard tokens > 0 else { return }
        for e in 0..<entries {
            _ = cache.pageAddresses(SequenceID(raw: entrySequence.pointer[e]), into: pageTables.pointer + e * maxBlocks)
        }
        forward()
        for e in 0..<entries {
            let start = Int(entryStart.pointer[e]), count = Int(entryCount.pointer[e])
            cache.commit(SequenceID(raw: entrySequence.pointer[e]),
                         tokens: UnsafeBufferPointer(start: tokenIDs.pointer + start, count: count))
        }
    }

    private func forward() {
        let c = model.config
        let w = model.weights
        let n = tokens
        let dim = c.dim, kvDim = c.kvDim, headDim = c.headDim
        let qDim = c.heads * headDim
        let x = self.x.pointer, xb = self.xb.pointer, q = self.q.pointer, k = self.k.pointer, v = self.v.pointer
        let att = self.att.pointer, proj = self.proj.pointer, hb = self.hb.pointer, hb2 = self.hb2.pointer
        let pool = self.pool
        let layout = cache.layout
        let bt = layout.blockTokens

        for i in 0..<n {
            w.tokenEmbedding.dequantizeRow(Int(tokenIDs.pointer[i]), into: x + i * dim)
        }
        // Indexed, not `enumerated()`: unspecialized (debug) iteration boxes each large element.
        for l in 0..<w.layers.count {
            let layer = w.layers[l]
            Kernels.rmsNorm(out: xb, x: x, weight: layer.attentionNorm, dim: dim, rows: n, eps: c.normEpsilon)
            Kernels.matmul(out: q, x: xb, batch: n, weight: layer.wq, pool: pool)
            Kernels.matmul(out: k, x: xb, batch: n, weight: layer.wk, pool: pool)
            Kernels.matmul(out: v, x: xb, batch: n, weight: layer.wv, pool: pool)
            for i in 0..<n {
                let position = Int(tokenPosition.pointer[i])
                rope.apply(q + i * qDim, heads: c.heads, position: position)
                rope.apply(k + i * kvDim, heads: c.kvHeads, position: position)
                let table = pageTables.pointer + Int(tokenEntry.pointer[i]) * maxBlocks
                Kernels.storeKV(key: k + i * kvDim, value: v + i * kvDim, page: table[position / bt],
                                layer: l, slot: position % bt, layout: layout)
            }

            // Causal attention: a token at position p sees positions 0 ... p of its sequence.
            var step = AttentionStep(
                out: att, q: q, pageTables: pageTables.pointer, tokenEntry: tokenEntry.pointer,
                tokenPosition: tokenPosition.pointer, scores: scores.pointer, layout: layout, layer: l,
                tokens: n, heads: c.heads, kvHeads: c.kvHeads, headDim: headDim, maxBlocks: maxBlocks,
                scoresStride: cache.maxTokensPerSequence, scale: 1 / Float(headDim).squareRoot())
            withUnsafePointer(to: &step) { pool.parallelFor(c.heads, context: UnsafeRawPointer($0), attentionHeads) }

            Kernels.matmul(out: proj, x: att, batch: n, weight: layer.wo, pool: pool)
            Kernels.axpy(x, proj, alpha: 1, count: n * dim)

            Kernels.rmsNorm(out: xb, x: x, weight: layer.ffnNorm, dim: dim, rows: n, eps: c.normEpsilon)
            Kernels.matmul(out: hb, x: xb, batch: n, weight: layer.gate, pool: pool)
            Kernels.matmul(out: hb2, x: xb, batch: n, weight: layer.up, pool: pool)
            Kernels.swiglu(gate: hb, up: hb2, count: n * c.hiddenDim)
            Kernels.matmul(out: proj, x: hb, batch: n, weight: layer.down, pool: pool)
            Kernels.axpy(x, proj, alpha: 1, count: n * dim)
        }

        guard logitRows > 0 else { return }
        // The output head runs only on the last token of each entry that wants logits.
        for e in 0..<entries where entryLogitsRow.pointer[e] >= 0 {
            let last = Int(entryStart.pointer[e] + entryCount.pointer[e]) - 1
            (xLast.pointer + Int(entryLogitsRow.pointer[e]) * dim).update(from: x + last * dim, count: dim)
        }
        Kernels.rmsNorm(out: xLast.pointer, x: xLast.pointer, weight: w.outputNorm, dim: dim, rows: logitRows, eps: c.normEpsilon)
        Kernels.matmul(out: logits.pointer, x: xLast.pointer, batch: logitRows, weight: w.output, pool: pool)
    }
}

/// Everything an attention worker needs for one layer (trivial: dispatching it allocates nothing).
private struct AttentionStep {
    /// [tokens, heads * headDim]
    let out: UnsafeMutablePointer<Float>
    /// [tokens, heads * headDim]
    let q: UnsafeMutablePointer<Float>
    /// [entries, maxBlocks]
    let pageTables: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// [tokens]
    let tokenEntry: UnsafeMutablePointer<Int32>
    /// [tokens]
    let tokenPosition: UnsafeMutablePointer<Int32>
    /// [heads, scoresStride]
    let scores: UnsafeMutablePointer<Float>
    let layout: KVPageLayout
    let layer: Int, tokens: Int, heads: Int, kvHeads: Int, headDim: Int, maxBlocks: Int, scoresStride: Int
    let scale: Float
}

/// Attention of heads `first ..< end` for every token of the batch; `context` is an `AttentionStep`.
/// (A named function, not a closure literal: Swift 6.3's region analysis crashes on the latter.)
private func attentionHeads(_ context: UnsafeRawPointer, _ first: Int, _ end: Int) {
    let s = context.assumingMemoryBound(to: AttentionStep.self).pointee
    let qDim = s.heads * s.headDim
    for h in first..<end {
        for i in 0..<s.tokens {
            Kernels.pagedAttention(
                out: s.out + i * qDim, query: s.q + i * qDim,
                pages: s.pageTables + Int(s.tokenEntry[i]) * s.maxBlocks, layout: s.layout, layer: s.layer,
                positions: Int(s.tokenPosition[i]) + 1, heads: h..<(h + 1), headCount: s.heads, kvHeads: s.kvHeads,
                headDim: s.headDim, scale: s.scale, scores: s.scores + h * s.scoresStride)
        }
    }
}
