#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Attention over a paged KV cache (`KVPageLayout`), for prefill and decode alike.
///
/// Each stored element is decoded exactly (`KVRowDecoding`) into F32 rows; scores come from
/// `matmulF32`'s tiles and outputs from `addWeightedRows`, and the softmax is computed online
/// (a chunk of positions at a time, with rescaling) instead of over all scores at once.
extension Kernels {
    /// Converts and stores one K and one V row (`kvDim` floats each) for `slot` of `layer` in `page`.
    ///
    /// F16 rounds to nearest even; Q8_0 quantizes each 32-element block like ggml
    /// (`d = amax / 127`, stored as F16).
    /// - Parameters:
    ///   - key, value: `[kvDim]` F32.
    ///   - page: a page of `layout.pageBytes` bytes.
    public static func storeKV(key: UnsafePointer<Float>, value: UnsafePointer<Float>, page: UnsafeMutableRawPointer,
                               layer: Int, slot: Int, layout: KVPageLayout) {
        Quantization.quantize(key, count: layout.kvDim, to: layout.dtype,
                              into: layout.keyRow(page, layer: layer, slot: slot))
        Quantization.quantize(value, count: layout.kvDim, to: layout.dtype,
                              into: layout.valueRow(page, layer: layer, slot: slot))
    }

    /// Causal attention of a run of consecutive query tokens of one sequence, for the query heads
    /// of one kv head, over the sequence's KV pages: flash-attention style, in one pass.
    ///
    /// Token `i` (at position `p = firstPosition + i`) sees positions `0 ... p`, or with a sliding
    /// `window` of `w > 0` positions only `p - w + 1 ... p` (llama.cpp's standard SWA mask). For
    /// each query head `h` of kv head `g` (heads `g * group ..< (g + 1) * group`, `group =
    /// headCount / kvHeads`): `out[i, h] = softmax(q[i, h] . K[t, g] * scale) . V[t, g]`.
    /// Pages are visited once, in order: each K and V row slice is decoded once (F16 and Q8_0 read
    /// in place) and serves every query token and every head of the group; scores of about 64
    /// positions at a time keep a running maximum and sum per query (online softmax), and the
    /// output is rescaled when the maximum grows. No `[queries x positions]` matrix exists.
    ///
    /// - Parameters:
    ///   - out: token `i`'s heads at `out + i * outStride`, `[headCount, headDim]` F32; only the
    ///     group's heads are written.
    ///   - queries: token `i`'s heads at `queries + i * queryStride`, `[headCount, headDim]` F32.
    ///   - pages: the sequence's block table: position `t` is slot `t % blockTokens` of
    ///     `pages[t / blockTokens]`.
    ///   - window: positions each token sees, itself included; 0 for all of them. Pages wholly
    ///     before the first token's window are never read (they may have been released).
    ///   - scratch: `pagedAttentionScratch(queries: tokens * group, blockTokens:, headDim:)` floats
    ///     of the caller's (per thread, sized once: a few KiB).
    ///   - batchInvariant: score each query on its own, so its result does not depend on how many
    ///     tokens share the call (see `Kernels.matmul`).
    /// Allocation-free and single-threaded; split kv heads and token runs across a pool to
    /// parallelize. At most `pagedAttentionQueryLimit` tokens x group heads, or one token.
    /// - Complexity: O(tokens * group * (firstPosition + tokens) * headDim).
    public static func pagedAttention(out: UnsafeMutablePointer<Float>, outStride: Int,
                                      queries: UnsafePointer<Float>, queryStride: Int,
                                      tokens: Int, firstPosition: Int,
                                      pages: UnsafePointer<UnsafeMutableRawPointer>, layout: KVPageLayout, layer: Int,
                                      kvHead: Int, headCount: Int, kvHeads: Int, headDim: Int, scale: Float,
                                      window: Int = 0, scratch: UnsafeMutablePointer<Float>, batchInvariant: Bool = false) {
        precondition(kvHeads > 0 && headCount % kvHeads == 0,
                     "pagedAttention: \(headCount) heads is not a multiple of \(kvHeads) kv heads")
        precondition(kvHead >= 0 && kvHead < kvHeads, "pagedAttention: kv head \(kvHead) out of 0..<\(kvHeads)")
        precondition(headDim > 0 && kvHeads &* headDim == layout.kvDim,
                     "pagedAttention: \(kvHeads) kv heads x \(headDim) is not kvDim \(layout.kvDim)")
        precondition(layer >= 0 && layer < layout.layers, "pagedAttention: layer \(layer) out of 0..<\(layout.layers)")
        precondition(tokens >= 0 && firstPosition >= 0, "pagedAttention: \(tokens) tokens from position \(firstPosition)")
        precondition(window >= 0, "pagedAttention: window \(window) is negative")
        let group = headCount / kvHeads
        precondition(tokens == 1 || tokens &* group <= pagedAttentionQueryLimit,
                     "pagedAttention: \(tokens) tokens x \(group) heads is over \(pagedAttentionQueryLimit) queries")
        guard tokens > 0 else { return }
        let start = kvHead &* headDim
        let job = PagedAttentionJob(
            out: out, outStride: outStride, queries: queries, queryStride: queryStride, tokens: tokens,
            firstPosition: firstPosition, pages: pages, rowBytes: layout.rowBytes, blockTokens: layout.blockTokens,
            firstHead: kvHead &* group, group: group, headDim: headDim, scale: scale, window: window,
            keyOffset: layer &* layout.layerBytes, start: start, scratch: scratch, batchInvariant: batchInvariant)
        switch layout.dtype {
        case .f32: pagedAttentionF32(job)
        case .f16: pagedAttentionF16(job)
        case .q8_0 where headDim % 32 == 0: pagedAttentionQ8_0Blocks(job)
        case .q8_0 where headDim % 8 == 0: pagedAttentionQ8_0Runs(job)
        case .q8_0: pagedAttentionQ8_0Unaligned(job)
        default: preconditionFailure("pagedAttention: \(layout.dtype) is not a KV cache type")
        }
    }

    /// Queries (tokens x heads of a group) one `pagedAttention` call takes at most.
    public static let pagedAttentionQueryLimit = 64

    /// Floats of scratch a `pagedAttention` call over `queries` queries (tokens x group heads) needs.
    public static func pagedAttentionScratch(queries: Int, blockTokens: Int, headDim: Int) -> Int {
        let chunk = attentionChunk(blockTokens: blockTokens)
        let keyRows = (chunk &+ 7) & ~7
        return queries &* (headDim &+ keyRows &+ 2) &+ (keyRows &+ chunk) &* headDim
    }

    /// Tokens per `pagedAttention` call that fill its query budget with `group` heads each.
    public static func pagedAttentionTokens(group: Int) -> Int {
        Swift.max(1, pagedAttentionQueryLimit / Swift.max(1, group))
    }

    // One specialization per row decoder, each a closed loop nest without calls in its loops.

    @inline(never)
    static func pagedAttentionF32(_ job: PagedAttentionJob) { flashAttention(job, F32Rows.self) }

    @inline(never)
    static func pagedAttentionF16(_ job: PagedAttentionJob) { flashAttention(job, F16Rows.self) }

    @inline(never)
    static func pagedAttentionQ8_0Blocks(_ job: PagedAttentionJob) { flashAttention(job, Q8_0BlockRows.self) }

    @inline(never)
    static func pagedAttentionQ8_0Runs(_ job: PagedAttentionJob) { flashAttention(job, Q8_0RunRows.self) }

    @inline(never)
    static func pagedAttentionQ8_0Unaligned(_ job: PagedAttentionJob) { flashAttention(job, Q8_0UnalignedRows.self) }

    /// Positions one step of `flashAttention` takes: whole pages, about 64 positions, so the
    /// per-step softmax work (maximum, rescale, sum) is spread over many keys.
    @inline(__always)
    static func attentionChunk(blockTokens: Int) -> Int { Swift.max(1, 64 / blockTokens) &* blockTokens }

    /// The loop nest. The group's queries are packed once, scaled. Per chunk of pages: (1) decode
    /// the K and V row slices once into F32 rows; (2) score every query against every key as a
    /// small matmul (`matmulF32`'s 2 keys x 4 queries register tiles: no per-score horizontal
    /// sum); (3) per query, fold the visible scores into the running maximum and sum (rescaling
    /// the output when the maximum grows), and add the weighted V rows with the output held in
    /// registers. Then divide by the sums.
    ///
    /// A slice starts at element `start` of a row; it is addressed from the storage block holding
    /// that element (`sliceOffset` bytes into the row), at element `first` of that block.
    @inline(__always)
    static func flashAttention<Rows: KVRowDecoding>(_ job: PagedAttentionJob, _: Rows.Type) {
        let headDim = job.headDim, group = job.group, tokens = job.tokens
        let blockTokens = job.blockTokens, rowBytes = job.rowBytes
        let queryCount = tokens &* group
        let chunk = attentionChunk(blockTokens: blockTokens)
        let keyRows = (chunk &+ 7) & ~7
        let sliceOffset = job.start / Rows.blockElements &* Rows.blockBytes
        let first = job.start % Rows.blockElements
        let keyOffset = job.keyOffset &+ sliceOffset
        let valueOffset = keyOffset &+ blockTokens &* rowBytes
        let end = job.firstPosition &+ tokens  // one past the last position any query sees

        /// [queryCount, headDim] the group's queries, times the score scale
        let queries = job.scratch
        /// [keyRows, headDim] this chunk's K slices (rows past its last position are zero)
        let keys = queries + queryCount &* headDim
        /// [chunk, headDim] this chunk's V slices
        let values = keys + keyRows &* headDim
        /// [queryCount, keyRows] this chunk's scores, then weights
        let scores = values + chunk &* headDim
        /// [queryCount] running maximum of each query's scores
        let maxima = scores + queryCount &* keyRows
        /// [queryCount] running sum of each query's weights
        let sums = maxima + queryCount
        let scale = SIMD8<Float>(repeating: job.scale)
        for q in 0..<queryCount {
            let source = job.query(q), target = queries + q &* headDim
            var d = 0
            while d &+ 8 <= headDim {
                target.store8(source.load8(at: d) * scale, at: d)
                d &+= 8
            }
            while d < headDim {
                target[d] = source[d] * job.scale
                d &+= 1
            }
            job.output(q).update(repeating: 0, count: headDim)
        }
        maxima.initialize(repeating: -.infinity, count: queryCount)
        sums.initialize(repeating: 0, count: queryCount)
        let scoring = MatmulShape(weight: Tensor(data: keys, dtype: .f32, columns: headDim, rows: keyRows),
                                  batch: queryCount, out: scores, x: queries)
        let laneIndex = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)

        // With a window, the first token's lowest visible position is where reading starts.
        let window = job.window
        var chunkStart = window > 0 ? Swift.max(0, job.firstPosition &- window &+ 1) : 0
        while chunkStart < end {
            let count = Swift.min(chunk, end &- chunkStart)
            // (1) This chunk's rows, decoded once for every query.
            for j in 0..<count {
                let position = chunkStart &+ j
                let base = UnsafeRawPointer(job.pages[position / blockTokens]) + (position % blockTokens) &* rowBytes
                decodeSlice(keys + j &* headDim, base + keyOffset, first, count: headDim, Rows.self)
                decodeSlice(values + j &* headDim, base + valueOffset, first, count: headDim, Rows.self)
            }
            (keys + count &* headDim).update(repeating: 0, count: (keyRows &- count) &* headDim)
            // (2) Scores (query by query when batch-invariant: register tiles of several queries sum
            // in another order than a lone query's).
            if job.batchInvariant {
                for q in 0..<queryCount { matmulF32(scoring, MatmulTile(rows: 0..<keyRows, tokens: q..<(q &+ 1))) }
            } else {
                matmulF32(scoring, MatmulTile(rows: 0..<keyRows, tokens: 0..<queryCount))
            }
            // (3) Online softmax and values. Token i sees a range of this chunk: lanes before it
            // (outside a window) and past it (scores of later or zero rows) weigh 0.
            for q in 0..<queryCount {
                let position = job.firstPosition &+ q / group
                let visible = Swift.min(count, position &+ 1 &- chunkStart)
                let hidden = window > 0 ? Swift.max(0, position &- window &+ 1 &- chunkStart) : 0
                guard visible > hidden else { continue }
                let s = scores + q &* keyRows
                let limit = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: visible))
                let floor = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: hidden))
                var largest = SIMD8<Float>(repeating: -.infinity)
                var j = 0
                while j < visible {
                    let lanes = laneIndex &+ Int32(truncatingIfNeeded: j)
                    largest = maximum(largest, s.load8(at: j).replacing(with: -.infinity, where: (lanes .>= limit) .| (lanes .< floor)))
                    j &+= 8
                }
                let chunkMax = max(largest)
                let output = job.output(q)
                if chunkMax > maxima[q] {
                    let correction = expf(maxima[q] - chunkMax)  // 0 on the first chunk
                    sums[q] *= correction
                    Kernels.scale(output, by: correction, count: headDim)
                    maxima[q] = chunkMax
                }
                let shift = SIMD8<Float>(repeating: maxima[q])
                var total = SIMD8<Float>()
                j = 0
                while j < visible {
                    let lanes = laneIndex &+ Int32(truncatingIfNeeded: j)
                    let w = exp(s.load8(at: j) - shift).replacing(with: 0, where: (lanes .>= limit) .| (lanes .< floor))
                    s.store8(w, at: j)
                    total += w
                    j &+= 8
                }
                sums[q] += sum(total)
                addWeightedRows(output, rows: values + hidden &* headDim, weights: s + hidden, count: visible &- hidden,
                                width: headDim)
            }
            chunkStart &+= chunk
        }
        for q in 0..<queryCount { Kernels.scale(job.output(q), by: 1 / sums[q], count: headDim) }
    }

    /// `y += sum_j weights[j] * rows[j]` over `count` rows of `width` floats, `width` apart: 32
    /// elements of `y` stay in registers while every row passes, so `y` is loaded and stored once
    /// per call, not once per row.
    @inline(__always)
    static func addWeightedRows(_ y: UnsafeMutablePointer<Float>, rows: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                count: Int, width: Int) {
        var i = 0
        while i &+ 32 <= width {
            var y0 = y.load8(at: i), y1 = y.load8(at: i &+ 8), y2 = y.load8(at: i &+ 16), y3 = y.load8(at: i &+ 24)
            for j in 0..<count {
                let a = SIMD8<Float>(repeating: weights[j])
                let row = rows + (j &* width &+ i)
                y0.addProduct(a, row.load8(at: 0)); y1.addProduct(a, row.load8(at: 8))
                y2.addProduct(a, row.load8(at: 16)); y3.addProduct(a, row.load8(at: 24))
            }
            y.store8(y0, at: i); y.store8(y1, at: i &+ 8); y.store8(y2, at: i &+ 16); y.store8(y3, at: i &+ 24)
            i &+= 32
        }
        while i &+ 8 <= width {
            var y0 = y.load8(at: i)
            for j in 0..<count { y0.addProduct(SIMD8(repeating: weights[j]), rows.load8(at: j &* width &+ i)) }
            y.store8(y0, at: i)
            i &+= 8
        }
        while i < width {
            var v = y[i]
            for j in 0..<count { v = v.addingProduct(weights[j], rows[j &* width &+ i]) }
            y[i] = v
            i &+= 1
        }
    }

    /// Decodes `count` elements of a row slice (element `first + i` of `row`) into `out`.
    @inline(__always)
    static func decodeSlice<Rows: KVRowDecoding>(_ out: UnsafeMutablePointer<Float>, _ row: UnsafeRawPointer, _ first: Int,
                                                 count: Int, _: Rows.Type) {
        var i = 0
        while i &+ 32 <= count {
            let (x0, x1, x2, x3) = Rows.x32(row, first &+ i)
            out.store8(x0, at: i)
            out.store8(x1, at: i &+ 8)
            out.store8(x2, at: i &+ 16)
            out.store8(x3, at: i &+ 24)
            i &+= 32
        }
        while i &+ 8 <= count {
            out.store8(Rows.x8(row, first &+ i), at: i)
            i &+= 8
        }
        while i < count {
            out[i] = Rows.x1(row, first &+ i)
            i &+= 1
        }
    }
}

/// One `pagedAttention` call's arguments, resolved from the layout once (trivial, no references).
struct PagedAttentionJob {
    /// Token `i`'s heads at `out + i * outStride`, `[headCount, headDim]` F32.
    let out: UnsafeMutablePointer<Float>
    let outStride: Int
    /// Token `i`'s heads at `queries + i * queryStride`, `[headCount, headDim]` F32.
    let queries: UnsafePointer<Float>
    let queryStride: Int
    let tokens: Int
    let firstPosition: Int
    /// The block table: page base addresses in position order.
    let pages: UnsafePointer<UnsafeMutableRawPointer>
    let rowBytes: Int
    let blockTokens: Int
    /// The group's first query head, and its size.
    let firstHead: Int
    let group: Int
    let headDim: Int
    let scale: Float
    /// Positions each token sees, itself included; 0: all.
    let window: Int
    /// Bytes from a page's base to the layer's first K row.
    let keyOffset: Int
    /// The kv head's first element in a row.
    let start: Int
    /// `pagedAttentionScratch(...)` floats
    let scratch: UnsafeMutablePointer<Float>
    /// Scores one query at a time.
    let batchInvariant: Bool

    /// Query `q` (token `q / group`, head `firstHead + q % group`).
    @inline(__always)
    func query(_ q: Int) -> UnsafePointer<Float> {
        queries + ((q / group) &* queryStride &+ (firstHead &+ q % group) &* headDim)
    }

    /// Query `q`'s output.
    @inline(__always)
    func output(_ q: Int) -> UnsafeMutablePointer<Float> {
        out + ((q / group) &* outStride &+ (firstHead &+ q % group) &* headDim)
    }
}
