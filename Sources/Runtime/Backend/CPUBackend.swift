import Memory

/// The CPU backend: `Kernels` on a thread pool, with the per-thread scratch they need (packed
/// weight panels for batched matmuls, attention tiles) sized once by `reserve`.
public final class CPUBackend: ComputeBackend {
    public let pool: ThreadPool
    public var name: String { "cpu" }
    /// [pool threads, panelFloats] packed panels of float or quantized weights (batches only).
    private var panels = AlignedBuffer<Float>(count: 0)
    private var panelFloats = 0
    /// [pool threads, attentionFloats] each participant's attention scratch.
    private var attentionScratch = AlignedBuffer<Float>(count: 0)
    private var attentionFloats = 0
    private var matmulScratch: MatmulScratch?
    /// Every token's matmuls as if it were alone in its batch (see `Kernels.matmul`): a
    /// sequence's results then never depend on what it is batched with, or on whether its KV
    /// was reused or recomputed. Slower prompts on quantized weights.
    public let batchInvariant: Bool

    /// A backend running on `pool`'s threads.
    public init(pool: ThreadPool, batchInvariant: Bool = false) {
        self.pool = pool
        self.batchInvariant = batchInvariant
    }

    public var scratchBytes: Int { (panels.count + attentionScratch.count) * MemoryLayout<Float>.stride }

    public func reserve(_ limits: BackendLimits) {
        // Only batches pack panels, of float weights or of quantized ones.
        let floatPanels = limits.floatWeights && limits.maxBatchTokens >= Kernels.packedMatmulMinimumBatch
            ? Kernels.packedMatmulScratch(inDim: limits.widestInput) : 0
        let quantPanels = limits.quantizedWeights && limits.maxBatchTokens >= Kernels.packedQuantMatmulSmallestBatch
            ? Kernels.packedQuantMatmulScratch(inDim: limits.widestInput) : 0
        let threads = pool.threadCount
        let perThread = max(floatPanels, quantPanels)
        if perThread > panelFloats {
            panelFloats = perThread
            panels = AlignedBuffer(count: perThread * threads)
        }
        matmulScratch = MatmulScratch(base: panels.pointer, floatsPerThread: panelFloats, threads: threads)
        let queries = Kernels.pagedAttentionTokens(group: limits.attentionGroup) * limits.attentionGroup
        let attention = Kernels.pagedAttentionScratch(queries: queries, blockTokens: limits.blockTokens, headDim: limits.headDim)
        if attention > attentionFloats {
            attentionFloats = attention
            attentionScratch = AlignedBuffer(count: attention * threads)
        }
    }

    public func embed(_ table: Tensor, tokens: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count { table.dequantizeRow(Int(tokens[i]), into: out + i &* table.columns) }
    }

    public func rmsNorm(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        dim: Int, rows: Int, eps: Float) {
        Kernels.rmsNorm(out: out, x: x, weight: weight, dim: dim, rows: rows, eps: eps)
    }

    public func rmsNorm(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float, into q: Q8Rows) {
        Kernels.rmsNormQuantized(x: x, weight: weight, dim: dim, rows: rows, eps: eps, into: q)
    }

    public func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into q: Q8Rows) {
        Kernels.quantizeRows(x, rows: rows, columns: columns, into: q)
    }

    public func matmul(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Int, weight: Tensor) {
        Kernels.matmul(out: out, x: x, batch: rows, weight: weight, pool: pool, scratch: matmulScratch, batchInvariant: batchInvariant)
    }

    public func matmul(out: UnsafeMutablePointer<Float>, x: Q8Rows, weight: Tensor) {
        Kernels.matmul(out: out, x: x, weight: weight, pool: pool, scratch: matmulScratch, batchInvariant: batchInvariant)
    }

    public func copy(_ out: UnsafeMutablePointer<Float>, from x: UnsafePointer<Float>, count: Int) {
        out.update(from: x, count: count)
    }

    public func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        Kernels.axpy(y, x, alpha: 1, count: count)
    }

    public func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows { Kernels.axpy(y + r &* columns, bias, alpha: 1, count: columns) }
    }

    public func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        Kernels.scale(x, by: alpha, count: count)
    }

    public func softcap(_ x: UnsafeMutablePointer<Float>, cap: Float, count: Int) {
        Kernels.softcap(x, cap: cap, count: count)
    }

    public func gated(_ activation: GatedActivation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        switch activation {
        case .silu: Kernels.swiglu(gate: gate, up: up, count: count)
        case .gelu: Kernels.geglu(gate: gate, up: up, count: count)
        }
    }

    public func gated(_ activation: GatedActivation, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, columns: Int,
                      into q: Q8Rows) {
        switch activation {
        case .silu: Kernels.swigluQuantized(gate: gate, up: up, rows: rows, columns: columns, into: q)
        case .gelu: Kernels.gegluQuantized(gate: gate, up: up, rows: rows, columns: columns, into: q)
        }
    }

    public func rope(_ x: UnsafeMutablePointer<Float>, stride: Int, heads: Int, rope: Rope, batch: AttentionBatch) {
        for i in 0..<batch.tokens { rope.apply(x + i &* stride, heads: heads, position: Int(batch.tokenPosition[i])) }
    }

    public func storeKV(key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int, layer: Int, batch: AttentionBatch) {
        let kv = batch.kv(layer)
        let bt = kv.layout.blockTokens
        for i in 0..<batch.tokens {
            let position = Int(batch.tokenPosition[i])
            Kernels.storeKV(key: key + i &* stride, value: value + i &* stride, page: batch.pages(ofToken: i, in: kv)[position / bt],
                            layer: kv.layer, slot: position % bt, layout: kv.layout)
        }
    }

    public func attention(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, layer: AttentionLayer, batch: AttentionBatch) {
        precondition(attentionFloats >= Kernels.pagedAttentionScratch(
            queries: Kernels.pagedAttentionTokens(group: layer.heads / layer.kvHeads) * (layer.heads / layer.kvHeads),
            blockTokens: batch.layout.blockTokens, headDim: layer.headDim), "CPUBackend: attention scratch was not reserved")
        var step = AttentionStep(out: out, q: q, batch: batch, layer: layer, scratch: attentionScratch.pointer,
                                 scratchFloats: attentionFloats, batchInvariant: batchInvariant)
        let items = batch.tiles * layer.kvHeads
        let multiplyAdds = batch.work &* 2 &* layer.heads &* layer.headDim
        let grain = multiplyAdds < Kernels.parallelWorkThreshold ? items : 1
        withUnsafePointer(to: &step) { pool.parallelFor(items, grain: grain, context: UnsafeRawPointer($0), attentionTiles) }
    }
}

/// Everything an attention worker needs for one layer (trivial: dispatching it allocates nothing).
private struct AttentionStep {
    /// [tokens, heads * headDim]
    let out: UnsafeMutablePointer<Float>
    /// [tokens, heads * headDim]
    let q: UnsafePointer<Float>
    let batch: AttentionBatch
    let layer: AttentionLayer
    /// [pool threads, scratchFloats]
    let scratch: UnsafeMutablePointer<Float>
    let scratchFloats: Int
    let batchInvariant: Bool
}

/// Attention of work items `first ..< end`, each one tile of tokens for one kv head; `context`
/// is an `AttentionStep`. Items run latest tile first: later tiles see more positions, so the
/// long ones start early and the short ones fill in at the end.
/// (A named function, not a closure literal: Swift 6.3's region analysis crashes on the latter.)
private func attentionTiles(_ context: UnsafeRawPointer, _ first: Int, _ end: Int, _ participant: Int) {
    let s = context.assumingMemoryBound(to: AttentionStep.self).pointee
    let b = s.batch, l = s.layer
    let kv = b.kv(l.layer)
    let qDim = l.heads * l.headDim
    for item in first..<end {
        let tile = b.tiles - 1 - item / l.kvHeads
        let start = Int(b.tileStart[tile])
        Kernels.pagedAttention(
            out: s.out + start * qDim, outStride: qDim, queries: s.q + start * qDim, queryStride: qDim,
            tokens: Int(b.tileTokens[tile]), firstPosition: Int(b.tokenPosition[start]),
            pages: b.pages(ofToken: start, in: kv), layout: kv.layout, layer: kv.layer,
            kvHead: item % l.kvHeads, headCount: l.heads, kvHeads: l.kvHeads, headDim: l.headDim, scale: l.scale,
            window: l.window, scratch: s.scratch + participant * s.scratchFloats, batchInvariant: s.batchInvariant)
    }
}
