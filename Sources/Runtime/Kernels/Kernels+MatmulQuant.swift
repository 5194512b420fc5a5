internal import CQuantDot

/// Matmul against block-quantized weights (every `DType` but the floats and Q8_K) with 8-bit
/// quantized activations and integer dot products, as llama.cpp does: per block the dot product
/// is exact in int32, then scaled once by both blocks' scales (per sub-block for the K-quants).
/// The innermost loop is C (`IntegerDot`).
extension Kernels {
    /// out[b*outDim + o] = dot(row b of x, row o of weight), for b in 0..<x.rows.
    ///
    /// `weight` is block-quantized with `weight.columns == x.columns`, and `x` is in its
    /// `activationFormat`. Parallel over output rows on
    /// `pool`; each thread walks its rows in cache tiles (about 64 KiB of weight) while blocks of
    /// tokens (about 64 KiB of quants) pass over them, so each weight row comes from memory once
    /// per step. The kernel then tiles registers: up to 4 rows x 4 tokens share every load.
    ///
    /// With `scratch` (`packedQuantMatmulScratch(inDim:)` floats per pool thread) and at least
    /// `packedQuantMatmulMinimumBatch(weight.dtype)` tokens, the weights go through panels
    /// instead: 8 rows at a time are decoded and packed with their columns interleaved (the layout
    /// llama.cpp repacks whole models into, made here per step in at most 14 bytes per column of
    /// scratch, the file untouched), so one dot-product instruction works on all 8 rows at once
    /// (for Q8_0 measured 1.7x to 2.5x the tile kernels at 64 to 128 tokens on one Zen 4 core).
    ///
    /// With `batchInvariant`, no panels and one token per tile call: every token goes through the
    /// single-token kernels a lone decode step uses, so its result never depends on its batch.
    ///
    /// - Parameters:
    ///   - out: `[x.rows, weight.rows]` F32.
    ///   - dot: the kernels to use; the default is the best this processor runs.
    /// - Complexity: O(x.rows * x.columns * weight.rows) multiply-adds.
    public static func matmul(out: UnsafeMutablePointer<Float>, x: Q8Rows, weight: Tensor, pool: ThreadPool,
                              dot: IntegerDot = .best, scratch: MatmulScratch? = nil, batchInvariant: Bool = false) {
        precondition(weight.dtype.isWeightType && weight.dtype.activationFormat == x.format,
                     "matmul: \(x.format) activations against \(weight.dtype) weights")
        precondition(x.columns == weight.columns, "matmul: \(x.columns) activation columns against \(weight.columns) weight columns")
        guard x.rows > 0, weight.rows > 0, x.columns > 0 else { return }
        if let scratch, !batchInvariant, x.rows >= packedQuantMatmulMinimumBatch(weight.dtype), weight.rows >= 8,
           scratch.floatsPerThread >= packedQuantMatmulScratch(inDim: x.columns) {
            precondition(scratch.threads >= pool.threadCount, "matmul: scratch for \(scratch.threads) threads, pool of \(pool.threadCount)")
            let job = QuantPanelJob(
                operands: operands(out: out, x: x, weight: weight), panel: dot.panel(for: weight.dtype),
                tile: dot.tile(for: weight.dtype), panels: weight.rows / 8, batch: x.rows,
                scratch: scratch.base, scratchFloats: scratch.floatsPerThread)
            let items = job.panels &+ (weight.rows % 8 == 0 ? 0 : 1)
            withUnsafePointer(to: job) { context in
                pool.parallelFor(items, grain: 1, context: context, quantPanelChunk)
            }
            return
        }
        let job = QuantMatmulJob(
            operands: operands(out: out, x: x, weight: weight),
            tile: dot.tile(for: weight.dtype), batch: x.rows,
            rowTile: Swift.max(4, Swift.min(64, (64 << 10) / Swift.max(1, weight.rowBytes)) & ~3),
            tokenBlock: batchInvariant ? 1 : Swift.max(4, Swift.min(256, (64 << 10) / x.columns) & ~3))
        let grain = rowGrain(rows: weight.rows, work: x.rows &* x.columns &* weight.rows, pool: pool,
                             rowBytes: weight.rowBytes, batch: x.rows)
        withUnsafePointer(to: job) { context in
            pool.parallelFor(weight.rows, grain: grain, context: context, quantMatmulChunk)
        }
    }

    /// The smallest batch that takes the panel path for `dtype`: packing costs about a pass over
    /// the rows. Q8_0 and Q4_0 have 4-row x 4-token register tiles for smaller batches; the other
    /// types only a row kernel, which decodes each block once per token.
    public static func packedQuantMatmulMinimumBatch(_ dtype: DType) -> Int {
        dtype == .q8_0 || dtype == .q4_0 ? 16 : 4
    }

    /// The smallest batch that takes the panel path for any type.
    public static let packedQuantMatmulSmallestBatch = 4

    /// Floats of scratch one thread needs to pack panels of rows `inDim` long.
    public static func packedQuantMatmulScratch(inDim: Int) -> Int {
        (strata_qmatmul_panel_bytes(inDim) + 3) / 4
    }

    static func operands(out: UnsafeMutablePointer<Float>, x: Q8Rows, weight: Tensor) -> strata_qmatmul {
        strata_qmatmul(weight: weight.data.assumingMemoryBound(to: UInt8.self), rowBytes: weight.rowBytes,
                       quants: x.quants, scales: x.scales, negatedSums: x.negatedSums, scaledSums: x.scaledSums,
                       groupSums: x.groupSums, negatedGroupSums: x.negatedGroupSums, floatGroupSums: x.floatGroupSums,
                       out: out, outStride: weight.rows, blocks: x.blocks)
    }

    /// Quantizes `x` to temporary `Q8Rows`, then multiplies: for callers that multiply a float
    /// input once. It allocates for large inputs; hot paths quantize once into a `Q8Buffer`.
    static func matmulQuantizing(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, batch: Int,
                                 weight: Tensor, pool: ThreadPool, batchInvariant: Bool = false) {
        let buffer = Q8Buffer(elements: batch &* weight.columns, format: weight.dtype.activationFormat)
        let q = buffer.rows(batch, columns: weight.columns)
        quantizeRows(x, rows: batch, columns: weight.columns, into: q)
        matmul(out: out, x: q, weight: weight, pool: pool, batchInvariant: batchInvariant)
    }
}

/// Everything a quantized-matmul worker needs (trivial: dispatching it allocates nothing).
struct QuantMatmulJob {
    let operands: strata_qmatmul
    let tile: strata_qmatmul_tile_fn
    let batch: Int
    /// Weight rows per cache tile, a multiple of 4.
    let rowTile: Int
    /// Tokens per cache block, a multiple of 4.
    let tokenBlock: Int
}

/// A panel-path quantized matmul: panels of 8 rows, and the rows past the last whole panel
/// through the tile kernel (work item `panels`).
struct QuantPanelJob {
    let operands: strata_qmatmul
    let panel: strata_qmatmul_panel_fn
    let tile: strata_qmatmul_tile_fn
    let panels: Int
    let batch: Int
    /// [pool threads, scratchFloats]
    let scratch: UnsafeMutablePointer<Float>
    let scratchFloats: Int
}

/// Work items `start ..< end` of a panel-path matmul on `participant`'s scratch.
private func quantPanelChunk(_ context: UnsafeRawPointer, _ start: Int, _ end: Int, _ participant: Int) {
    let job = context.assumingMemoryBound(to: QuantPanelJob.self)
    let batch = job.pointee.batch, panels = job.pointee.panels
    let scratch = UnsafeMutableRawPointer(job.pointee.scratch + participant &* job.pointee.scratchFloats)
    let panel = job.pointee.panel, tile = job.pointee.tile
    withUnsafePointer(to: job.pointee.operands) { operands in
        for item in start..<end {
            if item == panels {
                tile(operands, panels &* 8, Int(operands.pointee.outStride), 0, batch)
            } else {
                panel(operands, item &* 8, 0, batch, scratch)
            }
        }
    }
}

/// Rows `start ..< end` of a quantized matmul: row tiles, token blocks inside, the C kernel per rectangle.
private func quantMatmulChunk(_ context: UnsafeRawPointer, _ start: Int, _ end: Int) {
    let job = context.assumingMemoryBound(to: QuantMatmulJob.self)
    let batch = job.pointee.batch, rowTile = job.pointee.rowTile, tokenBlock = job.pointee.tokenBlock
    let tile = job.pointee.tile
    withUnsafePointer(to: job.pointee.operands) { operands in
        var row = start
        while row < end {
            let rowEnd = Swift.min(end, row &+ rowTile)
            var token = 0
            while token < batch {
                let tokenEnd = Swift.min(batch, token &+ tokenBlock)
                tile(operands, row, rowEnd, token, tokenEnd)
                token = tokenEnd
            }
            row = rowEnd
        }
    }
}
