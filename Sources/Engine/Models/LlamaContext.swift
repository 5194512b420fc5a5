import Memory
import Runtime

/// Why evaluation cannot proceed.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The sequence would grow past the context window.
    case contextFull(position: Int, adding: Int, capacity: Int)
    /// A token id outside the vocabulary.
    case invalidToken(TokenID, vocabularySize: Int)
    /// The KV cache could not be reserved.
    case outOfMemory(MemoryError)

    public var description: String {
        switch self {
        case .contextFull(let position, let adding, let capacity):
            return "context full: \(position) tokens + \(adding) more exceed the context of \(capacity) (raise --ctx or shorten the prompt)"
        case .invalidToken(let t, let n):
            return "token id \(t) is outside the vocabulary of \(n)"
        case .outOfMemory(let e):
            return "cannot reserve the KV cache: \(e)"
        }
    }
}

/// One sequence being evaluated: its KV cache and every scratch buffer, allocated once.
/// `evaluate` runs the Llama forward pass over a batch of the sequence's next tokens.
public final class LlamaContext {
    public let model: LlamaModel
    public let pool: ThreadPool
    /// Positions the cache holds.
    public let capacity: Int
    /// Tokens processed per forward pass at most (longer inputs are split).
    public let maxBatch: Int
    /// Tokens already in the cache.
    public private(set) var position = 0

    private let cache: KVCache
    private let rope: Rope
    /// [maxBatch, dim] residual stream
    private let x: AlignedBuffer<Float>
    /// [maxBatch, dim] normalized input
    private let xb: AlignedBuffer<Float>
    /// [maxBatch, heads * headDim]
    private let q: AlignedBuffer<Float>
    /// [maxBatch, heads * headDim] attention output
    private let att: AlignedBuffer<Float>
    /// [maxBatch, dim] projection output
    private let proj: AlignedBuffer<Float>
    /// [maxBatch, hidden] gate, then SwiGLU output
    private let hb: AlignedBuffer<Float>
    /// [maxBatch, hidden] up
    private let hb2: AlignedBuffer<Float>
    /// [heads, capacity] attention scores, one row per head
    private let scores: AlignedBuffer<Float>
    /// [vocab] logits of the last token
    private let logits: AlignedBuffer<Float>

    /// Reserves a cache of `capacity` positions (at most the model's context length).
    public init(model: LlamaModel, pool: ThreadPool, capacity: Int? = nil, maxBatch: Int = 32) throws(EvaluationError) {
        let c = model.config
        self.model = model
        self.pool = pool
        self.capacity = min(max(1, capacity ?? c.contextLength), c.contextLength)
        self.maxBatch = max(1, maxBatch)
        do {
            cache = try KVCache(layers: c.layers, capacity: self.capacity, kvDim: c.kvDim)
        } catch {
            throw .outOfMemory(error)
        }
        rope = Rope(headDim: c.headDim, ropeDims: c.ropeDimensions, base: c.ropeBase, style: c.ropeStyle)
        let qDim = c.heads * c.headDim
        x = AlignedBuffer(count: self.maxBatch * c.dim)
        xb = AlignedBuffer(count: self.maxBatch * c.dim)
        q = AlignedBuffer(count: self.maxBatch * qDim)
        att = AlignedBuffer(count: self.maxBatch * qDim)
        proj = AlignedBuffer(count: self.maxBatch * c.dim)
        hb = AlignedBuffer(count: self.maxBatch * c.hiddenDim)
        hb2 = AlignedBuffer(count: self.maxBatch * c.hiddenDim)
        scores = AlignedBuffer(count: c.heads * self.capacity)
        logits = AlignedBuffer(count: c.vocabularySize)
    }

    /// Forgets the sequence (the cache is overwritten from position 0).
    public func reset() { position = 0 }

    /// Drops cached positions from `newPosition` on, so generation can resume from there.
    public func truncate(to newPosition: Int) {
        precondition(newPosition >= 0 && newPosition <= position, "truncate beyond the sequence")
        position = newPosition
    }

    /// Appends `tokens` to the sequence and returns the logits after the last one.
    /// The buffer is valid until the next call.
    public func evaluate(_ tokens: [TokenID]) throws(EvaluationError) -> UnsafeBufferPointer<Float> {
        precondition(!tokens.isEmpty, "evaluate needs at least one token")
        guard position + tokens.count <= capacity else {
            throw .contextFull(position: position, adding: tokens.count, capacity: capacity)
        }
        let vocab = model.config.vocabularySize
        for i in 0..<tokens.count where tokens[i] < 0 || Int(tokens[i]) >= vocab {
            throw .invalidToken(tokens[i], vocabularySize: vocab)
        }
        var start = 0
        while start < tokens.count {
            let n = min(maxBatch, tokens.count - start)
            tokens.withUnsafeBufferPointer { all in
                forward(UnsafeBufferPointer(rebasing: all[start..<(start + n)]), computeLogits: start + n == tokens.count)
            }
            start += n
        }
        return UnsafeBufferPointer(logits.unsafeBuffer)
    }

    /// The forward pass for `tokens` at positions `position ..< position + tokens.count`.
    private func forward(_ tokens: UnsafeBufferPointer<TokenID>, computeLogits: Bool) {
        let c = model.config
        let w = model.weights
        let n = tokens.count
        let dim = c.dim, kvDim = c.kvDim, headDim = c.headDim
        let qDim = c.heads * headDim
        let x = self.x.pointer, xb = self.xb.pointer, q = self.q.pointer, att = self.att.pointer
        let proj = self.proj.pointer, hb = self.hb.pointer, hb2 = self.hb2.pointer
        let scores = self.scores.pointer
        let start = position
        let capacity = self.capacity
        let scale = 1 / Float(headDim).squareRoot()
        let pool = self.pool
        let rope = self.rope

        for b in 0..<n {
            w.tokenEmbedding.dequantizeRow(Int(tokens[b]), into: x + b * dim)
        }

        // Indexed, not `enumerated()`: unspecialized (debug) iteration boxes each large element.
        for l in 0..<w.layers.count {
            let layer = w.layers[l]
            let keys = cache.keys(layer: l), values = cache.values(layer: l)
            // K and V of these positions go straight into the cache rows.
            let k = keys + start * kvDim, v = values + start * kvDim

            Kernels.rmsNorm(out: xb, x: x, weight: layer.attentionNorm, dim: dim, rows: n, eps: c.normEpsilon)
            Kernels.matmul(out: q, x: xb, batch: n, weight: layer.wq, pool: pool)
            Kernels.matmul(out: k, x: xb, batch: n, weight: layer.wk, pool: pool)
            Kernels.matmul(out: v, x: xb, batch: n, weight: layer.wv, pool: pool)
            for b in 0..<n {
                rope.apply(q + b * qDim, heads: c.heads, position: start + b)
                rope.apply(k + b * kvDim, heads: c.kvHeads, position: start + b)
            }

            // Causal attention: token b sees positions 0 ... start + b. One head per work item.
            var step = AttentionStep(
                out: att, q: q, keys: keys, values: values, scores: scores, start: start, batch: n,
                heads: c.heads, kvHeads: c.kvHeads, headDim: headDim, kvDim: kvDim, capacity: capacity, scale: scale)
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
        position += n

        guard computeLogits else { return }
        let last = x + (n - 1) * dim
        Kernels.rmsNorm(out: xb, x: last, weight: w.outputNorm, dim: dim, rows: 1, eps: c.normEpsilon)
        Kernels.matmul(out: logits.pointer, x: xb, batch: 1, weight: w.output, pool: pool)
    }
}

/// Everything an attention worker needs for one layer (trivial: dispatching it allocates nothing).
private struct AttentionStep {
    /// [batch, heads * headDim]
    let out: UnsafeMutablePointer<Float>
    /// [batch, heads * headDim]
    let q: UnsafeMutablePointer<Float>
    /// [capacity, kvDim] of this layer
    let keys: UnsafeMutablePointer<Float>
    /// [capacity, kvDim] of this layer
    let values: UnsafeMutablePointer<Float>
    /// [heads, capacity]
    let scores: UnsafeMutablePointer<Float>
    let start: Int, batch: Int, heads: Int, kvHeads: Int, headDim: Int, kvDim: Int, capacity: Int
    let scale: Float
}

/// Attention of heads `first ..< end` for every token of the batch; `context` is an `AttentionStep`.
/// (A named function, not a closure literal: Swift 6.3's region analysis crashes on the latter.)
private func attentionHeads(_ context: UnsafeRawPointer, _ first: Int, _ end: Int) {
    let s = context.assumingMemoryBound(to: AttentionStep.self).pointee
    let qDim = s.heads * s.headDim
    for h in first..<end {
        for b in 0..<s.batch {
            Kernels.attention(
                out: s.out + b * qDim, query: s.q + b * qDim, keys: s.keys, values: s.values,
                positions: s.start + b + 1, heads: h..<(h + 1), headCount: s.heads, kvHeads: s.kvHeads,
                headDim: s.headDim, kvStride: s.kvDim, scale: s.scale, scores: s.scores + h * s.capacity)
        }
    }
}
