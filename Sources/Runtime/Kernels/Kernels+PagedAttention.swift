#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Attention over a paged KV cache (`KVPageLayout`), for prefill and decode alike.
///
/// Each stored element is decoded exactly (`KVRowDecoding`); scores use `dot`, outputs `axpy`,
/// so the arithmetic is `Kernels.attention`'s except for the softmax, which is computed online
/// (page by page, with rescaling) instead of over all scores at once.
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
    /// Token `i` (at position `firstPosition + i`) sees positions `0 ... firstPosition + i`. For
    /// each query head `h` of kv head `g` (heads `g * group ..< (g + 1) * group`, `group =
    /// headCount / kvHeads`): `out[i, h] = softmax(q[i, h] . K[t, g] * scale) . V[t, g]`.
    /// Pages are visited once, in order: each K and V row slice is decoded once (F16 and Q8_0 read
    /// in place) and serves every query token and every head of the group; scores of one page at
    /// a time keep a running maximum and sum per query (online softmax), and the output is
    /// rescaled when the maximum grows. No `[queries x positions]` matrix exists.
    ///
    /// - Parameters:
    ///   - out: token `i`'s heads at `out + i * outStride`, `[headCount, headDim]` F32; only the
    ///     group's heads are written.
    ///   - queries: token `i`'s heads at `queries + i * queryStride`, `[headCount, headDim]` F32.
    ///   - pages: the sequence's block table: position `t` is slot `t % blockTokens` of
    ///     `pages[t / blockTokens]`.
    ///   - scratch: `pagedAttentionScratch(queries: tokens * group, blockTokens:, headDim:)` floats
    ///     of the caller's (per thread, sized once: a few KiB).
    /// Allocation-free and single-threaded; split kv heads and token runs across a pool to
    /// parallelize. At most `pagedAttentionQueryLimit` tokens x group heads.
    /// - Complexity: O(tokens * group * (firstPosition + tokens) * headDim).
    public static func pagedAttention(out: UnsafeMutablePointer<Float>, outStride: Int,
                                      queries: UnsafePointer<Float>, queryStride: Int,
                                      tokens: Int, firstPosition: Int,
                                      pages: UnsafePointer<UnsafeMutableRawPointer>, layout: KVPageLayout, layer: Int,
                                      kvHead: Int, headCount: Int, kvHeads: Int, headDim: Int, scale: Float,
                                      scratch: UnsafeMutablePointer<Float>) {
        precondition(kvHeads > 0 && headCount % kvHeads == 0,
                     "pagedAttention: \(headCount) heads is not a multiple of \(kvHeads) kv heads")
        precondition(kvHead >= 0 && kvHead < kvHeads, "pagedAttention: kv head \(kvHead) out of 0..<\(kvHeads)")
        precondition(headDim > 0 && kvHeads &* headDim == layout.kvDim,
                     "pagedAttention: \(kvHeads) kv heads x \(headDim) is not kvDim \(layout.kvDim)")
        precondition(layer >= 0 && layer < layout.layers, "pagedAttention: layer \(layer) out of 0..<\(layout.layers)")
        precondition(tokens >= 0 && firstPosition >= 0, "pagedAttention: \(tokens) tokens from position \(firstPosition)")
        let group = headCount / kvHeads
        precondition(tokens &* group <= pagedAttentionQueryLimit,
                     "pagedAttention: \(tokens) tokens x \(group) heads is over \(pagedAttentionQueryLimit) queries")
        guard tokens > 0 else { return }
        let start = kvHead &* headDim
        let job = PagedAttentionJob(
            out: out, outStride: outStride, queries: queries, queryStride: queryStride, tokens: tokens,
            firstPosition: firstPosition, pages: pages, rowBytes: layout.rowBytes, blockTokens: layout.blockTokens,
            firstHead: kvHead &* group, group: group, headDim: headDim, scale: scale,
            keyOffset: layer &* layout.layerBytes, start: start, scratch: scratch)
        switch layout.dtype {
        case .f32: pagedAttentionF32(job)
        case .f16: pagedAttentionF16(job)
        case .q8_0 where headDim % 32 == 0: pagedAttentionQ8_0Blocks(job)
        case .q8_0 where headDim % 8 == 0: pagedAttentionQ8_0Runs(job)
        case .q8_0: pagedAttentionQ8_0Unaligned(job)
        case .bf16, .q4_0: preconditionFailure("pagedAttention: \(layout.dtype) is not a KV cache type")
        }
    }

    /// Queries (tokens x heads of a group) one `pagedAttention` call takes at most.
    public static let pagedAttentionQueryLimit = 64

    /// Floats of scratch a `pagedAttention` call over `queries` queries (tokens x group heads) needs.
    public static func pagedAttentionScratch(queries: Int, blockTokens: Int, headDim: Int) -> Int {
        queries &* (((blockTokens &+ 7) & ~7) &+ 2) &+ headDim
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

    /// The loop nest: per page, (1) decode each K row slice once and score it against every
    /// query that sees it, (2) per query fold the page's scores into the running maximum and sum
    /// (rescaling the output when the maximum grows) and turn them into weights, (3) decode each
    /// V row slice once and add it, weighted, to every query's output. Then divide by the sums.
    ///
    /// A slice starts at element `start` of a row; it is addressed from the storage block holding
    /// that element (`sliceOffset` bytes into the row), at element `first` of that block.
    @inline(__always)
    static func flashAttention<Rows: KVRowDecoding>(_ job: PagedAttentionJob, _: Rows.Type) {
        let headDim = job.headDim, group = job.group, tokens = job.tokens
        let blockTokens = job.blockTokens, rowBytes = job.rowBytes
        let queryCount = tokens &* group
        let scoreStride = (blockTokens &+ 7) & ~7
        let sliceOffset = job.start / Rows.blockElements &* Rows.blockBytes
        let first = job.start % Rows.blockElements
        let keyOffset = job.keyOffset &+ sliceOffset
        let valueOffset = keyOffset &+ blockTokens &* rowBytes
        let scoreScale = job.scale
        let end = job.firstPosition &+ tokens  // one past the last position any query sees
        do {
            /// [queryCount, scoreStride] this page's scores, then weights
            let scores = job.scratch
            /// [queryCount] running maximum of each query's scores
            let maxima = scores + queryCount &* scoreStride
            /// [queryCount] running sum of each query's weights
            let sums = maxima + queryCount
            /// [headDim] the decoded K or V row slice
            let row = sums + queryCount
            maxima.initialize(repeating: -.infinity, count: queryCount)
            sums.initialize(repeating: 0, count: queryCount)
            for q in 0..<queryCount { job.output(q).update(repeating: 0, count: headDim) }

            var pageStart = 0
            var page = 0
            while pageStart < end {
                let base = UnsafeRawPointer(job.pages[page])
                let count = Swift.min(blockTokens, end &- pageStart)
                // (1) Scores. Token i sees `visible(i)` rows of this page: a prefix.
                for j in 0..<count {
                    decodeSlice(row, base + (keyOffset &+ j &* rowBytes), first, count: headDim, Rows.self)
                    for i in Swift.max(0, pageStart &+ j &- job.firstPosition)..<tokens {
                        for h in 0..<group {
                            let q = i &* group &+ h
                            scores[q &* scoreStride &+ j] = dot(job.query(q), row, count: headDim) * scoreScale
                        }
                    }
                }
                // (2) Online softmax: weights for the visible scores, zero past them.
                for q in 0..<queryCount {
                    let visible = Swift.max(0, Swift.min(count, job.firstPosition &+ q / group &+ 1 &- pageStart))
                    let s = scores + q &* scoreStride
                    (s + visible).update(repeating: -.infinity, count: scoreStride &- visible)
                    guard visible > 0 else { continue }
                    var pageMax = s[0]
                    for j in 1..<visible { pageMax = Swift.max(pageMax, s[j]) }
                    let newMax = Swift.max(maxima[q], pageMax)
                    if newMax > maxima[q] {
                        let correction = expf(maxima[q] - newMax)  // 0 on the first page
                        sums[q] *= correction
                        scale(job.output(q), by: correction, count: headDim)
                        maxima[q] = newMax
                    }
                    let shift = SIMD8<Float>(repeating: newMax)
                    var total = SIMD8<Float>()
                    var j = 0
                    while j < scoreStride {
                        let w = exp(s.load8(at: j) - shift)  // exp(-inf) is 0
                        s.store8(w, at: j)
                        total += w
                        j &+= 8
                    }
                    sums[q] += sum(total)
                }
                // (3) Values.
                for j in 0..<count {
                    decodeSlice(row, base + (valueOffset &+ j &* rowBytes), first, count: headDim, Rows.self)
                    for i in Swift.max(0, pageStart &+ j &- job.firstPosition)..<tokens {
                        for h in 0..<group {
                            let q = i &* group &+ h
                            axpy(job.output(q), row, alpha: scores[q &* scoreStride &+ j], count: headDim)
                        }
                    }
                }
                pageStart &+= blockTokens
                page &+= 1
            }
            for q in 0..<queryCount { scale(job.output(q), by: 1 / sums[q], count: headDim) }
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
    /// Bytes from a page's base to the layer's first K row.
    let keyOffset: Int
    /// The kv head's first element in a row.
    let start: Int
    /// `pagedAttentionScratch(...)` floats
    let scratch: UnsafeMutablePointer<Float>

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
