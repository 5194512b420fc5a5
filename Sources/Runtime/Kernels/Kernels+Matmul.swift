/// Matrix-vector(s) product against a weight in any `DType`: the projection of every layer.
extension Kernels {
    /// out[b*outDim + o] = dot(x[b*inDim ..< (b+1)*inDim], row o of weight), for b in 0..<batch.
    ///
    /// `weight.columns == inDim`, `weight.rows == outDim`; any `DType`. Block-quantized weights
    /// take the integer path (`matmul(out:x:weight:pool:dot:)`) through temporary 8-bit
    /// activations; the rest of this comment is about float weights. Parallel over output
    /// rows on `pool`. Each weight row is decoded once per tile of 4 tokens straight into
    /// registers (no temporary row), and is read from memory once per step: rows are taken in
    /// small tiles that stay in cache while the batch streams past them in blocks.
    ///
    /// With `scratch` (`packedMatmulScratch(inDim:)` floats per pool thread) and a batch of at
    /// least `packedMatmulMinimumBatch` tokens, float weights go through packed 16-row panels
    /// and an outer-product tile instead (`Kernels+MatmulPacked`).
    ///
    /// With `batchInvariant`, every token is computed exactly as if it were alone in the batch
    /// (the single-token kernel, token by token), so its result never depends on its neighbours.
    ///
    /// - Parameters:
    ///   - out: `[batch, outDim]` F32.
    ///   - x: `[batch, inDim]` F32.
    /// - Complexity: O(batch * inDim * outDim) multiply-adds.
    public static func matmul(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, batch: Int,
                              weight: Tensor, pool: ThreadPool, scratch: MatmulScratch? = nil, batchInvariant: Bool = false) {
        precondition(batch >= 0, "matmul: negative batch \(batch)")
        let shape = MatmulShape(weight: weight, batch: batch, out: out, x: x)
        guard batch > 0, shape.outDim > 0 else { return }
        if weight.dtype.isBlockQuantized {
            matmulQuantizing(out: out, x: x, batch: batch, weight: weight, pool: pool, batchInvariant: batchInvariant)
            return
        }
        if batchInvariant && batch > 1 {
            for t in 0..<batch {
                matmul(out: out + t &* shape.outDim, x: x + t &* shape.inDim, batch: 1, weight: weight, pool: pool)
            }
            return
        }
        if let scratch, batch >= packedMatmulMinimumBatch, shape.outDim >= panelRows,
           scratch.floatsPerThread >= packedMatmulScratch(inDim: shape.inDim) {
            precondition(scratch.threads >= pool.threadCount, "matmul: scratch for \(scratch.threads) threads, pool of \(pool.threadCount)")
            let panels = shape.outDim / panelRows
            let job = PackedMatmulJob(shape: shape, panels: panels, scratch: scratch.base, scratchFloats: scratch.floatsPerThread)
            let items = panels &+ (shape.outDim % panelRows == 0 ? 0 : 1)
            withUnsafePointer(to: job) { context in
                pool.parallelFor(items, grain: 1, context: context, packedMatmulChunk)
            }
            return
        }
        let grain = rowGrain(rows: shape.outDim, work: batch &* shape.inDim &* shape.outDim, pool: pool,
                             rowBytes: shape.rowBytes, batch: batch)
        withUnsafePointer(to: shape) { context in
            pool.parallelFor(shape.outDim, grain: grain, context: context, matmulChunk)
        }
    }

    /// Multiply-adds below which a kernel runs on the calling thread alone: waking the workers
    /// and joining them costs more than they save (a 2-thread dispatch is some 0.2 to 1 µs).
    public static let parallelWorkThreshold = 1 << 15

    /// Output rows per pool chunk, and everything in one chunk (run inline) for small work.
    ///
    /// A few tokens (decode) stream every weight row from memory once: each thread's chunks must
    /// be long contiguous runs, or the hardware prefetchers restart at every chunk. Measured with
    /// 2 threads over 1.1 GB of Q4_K rows (2048 columns, this Zen 4): 16-row chunks 14 GB/s,
    /// 64-row (74 KiB) 28, 256-row 32-35, 1024-row and larger 36-38, a plain threaded read 34-42.
    /// So about 2 chunks per thread, each at least `streamChunkBytes` when the matrix allows;
    /// otherwise one chunk per thread. Larger batches compute more per byte and keep about 4
    /// chunks per thread of at most 64 rows (the cache tiles inside a chunk do the rest).
    static func rowGrain(rows: Int, work: Int, pool: ThreadPool, rowBytes: Int, batch: Int) -> Int {
        if work < parallelWorkThreshold { return Swift.max(1, rows) }
        let threads = pool.threadCount
        if batch <= streamingBatch {
            let perThread = (rows &+ threads &- 1) / threads
            let long = Swift.max(rows / (threads &* 2), streamChunkBytes / Swift.max(1, rowBytes))
            return Swift.max(1, Swift.min(perThread, long))
        }
        return Swift.max(1, Swift.min(64, rows / (threads &* 4)))
    }

    /// Batches this small stream their weights (decode, a few sequences decoding together).
    static let streamingBatch = 4

    /// The least bytes of weight rows a streaming chunk holds when the matrix is large enough.
    static let streamChunkBytes = 512 << 10

    /// Runs rows `rows` of a matmul on this thread, in cache tiles: rows x token blocks, then
    /// rows x 4-token tiles inside a kernel. A row tile (~64 KiB) stays in L2 while token
    /// blocks pass over it, so each weight row comes from memory once per step.
    static func matmulRows(_ shape: MatmulShape, rows: Range<Int>) {
        var rowStart = rows.lowerBound
        while rowStart < rows.upperBound {
            let rowEnd = Swift.min(rows.upperBound, rowStart &+ shape.rowTile)
            var tokenStart = 0
            while tokenStart < shape.batch {
                let tokenEnd = Swift.min(shape.batch, tokenStart &+ shape.tokenBlock)
                let tile = MatmulTile(rows: rowStart..<rowEnd, tokens: tokenStart..<tokenEnd)
                switch shape.dtype {
                case .f32: matmulF32(shape, tile)
                case .f16: matmulF16(shape, tile)
                case .bf16: matmulBF16(shape, tile)
                default: preconditionFailure("matmulRows: \(shape.dtype) takes the integer path")
                }
                tokenStart = tokenEnd
            }
            rowStart = rowEnd
        }
    }
}

/// The pool's entry point for a chunk of output rows; `context` is a `MatmulShape`.
/// (A named function rather than a closure literal: Swift 6.3's region analysis crashes on a
/// `@convention(c)` literal inside `withUnsafePointer`.)
private func matmulChunk(_ context: UnsafeRawPointer, _ start: Int, _ end: Int) {
    Kernels.matmulRows(context.assumingMemoryBound(to: MatmulShape.self).pointee, rows: start..<end)
}

/// Per-thread scratch for packed-panel matmuls: a view of memory the caller owns and sizes
/// once, at start-up (`packedMatmulScratch` / `packedQuantMatmulScratch` floats per thread).
public struct MatmulScratch {
    /// [threads, floatsPerThread] F32; thread `participant` uses slice `participant`.
    public let base: UnsafeMutablePointer<Float>
    /// Floats of each thread's slice.
    public let floatsPerThread: Int
    /// Slices: at least the pool's thread count.
    public let threads: Int

    /// A view of `threads` slices of `floatsPerThread` floats at `base`.
    public init(base: UnsafeMutablePointer<Float>, floatsPerThread: Int, threads: Int) {
        self.base = base
        self.floatsPerThread = floatsPerThread
        self.threads = threads
    }
}

/// Everything a matmul worker needs, copied once per call (a trivial struct, no references).
struct MatmulShape {
    let out: UnsafeMutablePointer<Float>
    let x: UnsafePointer<Float>
    let weight: UnsafeRawPointer
    let dtype: DType
    let batch: Int
    let inDim: Int
    let outDim: Int
    let rowBytes: Int
    /// Weight rows per cache tile (about 64 KiB of weight).
    let rowTile: Int
    /// Tokens per cache block, a multiple of 4: activations of about 16 KiB (a third of Zen 5's
    /// L1d), at least one 4-token tile. Measured with weights streaming from DRAM: 8 tokens of
    /// 1024 floats (32 KiB) in one block ran at ~58 GFLOP/s per core, two blocks of 4 at ~81.
    /// (Splitting long rows into column chunks to shrink the tile further was measured too:
    /// no gain at 4 tokens, and it halved 1-token streaming, so rows are never split.)
    let tokenBlock: Int

    init(weight: Tensor, batch: Int, out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>) {
        self.out = out
        self.x = x
        self.weight = weight.data
        dtype = weight.dtype
        self.batch = batch
        inDim = weight.columns
        outDim = weight.rows
        rowBytes = weight.rowBytes
        rowTile = Swift.max(1, Swift.min(64, (64 << 10) / Swift.max(1, rowBytes)))
        tokenBlock = Swift.max(4, Swift.min(64, (16 << 10) / Swift.max(1, inDim &* 4)) & ~3)
    }

    /// Writes one dot product.
    @inline(__always)
    func store(_ value: Float, token b: Int, row o: Int) {
        out[b &* outDim &+ o] = value
    }

    @inline(__always)
    func row(_ o: Int) -> UnsafeRawPointer { weight + o &* rowBytes }

    @inline(__always)
    func token(_ b: Int) -> UnsafePointer<Float> { x + b &* inDim }
}

/// A rectangle of a matmul: weight rows by batch tokens.
struct MatmulTile {
    let rows: Range<Int>
    let tokens: Range<Int>
}
