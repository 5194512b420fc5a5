/// Attention over a paged KV cache (`KVPageLayout`): the decode hot path.
///
/// Same arithmetic as `Kernels.attention` on the K/V rows converted to F32: each stored element
/// is decoded exactly (an F16 value, or a Q8_0 `d * q`, is exact in F32), then fed to the same
/// dot-product order (four `SIMD8` accumulators over 32 elements, reduced by halves), the same
/// `softmax`, and the same axpy per position. So a paged cache gives the contiguous kernel's
/// results bit for bit, whichever type it stores.
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

    /// Causal attention of one query token over `positions` cached tokens read through a block table.
    ///
    /// For each head `h` in `heads`, kv head `g = h / (headCount / kvHeads)`:
    /// `s[t] = dot(q[h], K[t, g]) * scale`; `p = softmax(s)`; `out[h] = sum_t p[t] * V[t, g]`.
    /// Rows are read in page order (consecutive slots are consecutive rows), each head's slice
    /// decoded straight into registers: no temporary row.
    ///
    /// - Parameters:
    ///   - out: `[headCount, headDim]` F32; only the heads in `heads` are written.
    ///   - query: `[headCount, headDim]` F32.
    ///   - pages: `[(positions - 1) / blockTokens + 1]` page base addresses: `pages[i]` is the
    ///     sequence's i-th page; position `t` is slot `t % blockTokens` of `pages[t / blockTokens]`.
    ///   - layout: the pages' layout; `layout.kvDim == kvHeads * headDim`.
    ///   - scores: caller scratch of at least `positions` floats.
    /// Allocation-free and single-threaded for the heads given; split heads across a pool to
    /// parallelize. With `positions == 0` the output heads are zero.
    /// - Complexity: O(heads.count * positions * headDim).
    public static func pagedAttention(out: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>,
                                      pages: UnsafePointer<UnsafeMutableRawPointer>, layout: KVPageLayout,
                                      layer: Int, positions: Int, heads: Range<Int>, headCount: Int,
                                      kvHeads: Int, headDim: Int, scale: Float, scores: UnsafeMutablePointer<Float>) {
        precondition(kvHeads > 0 && headCount % kvHeads == 0,
                     "pagedAttention: \(headCount) heads is not a multiple of \(kvHeads) kv heads")
        precondition(heads.lowerBound >= 0 && heads.upperBound <= headCount,
                     "pagedAttention: heads \(heads) out of 0..<\(headCount)")
        precondition(headDim > 0 && kvHeads &* headDim == layout.kvDim,
                     "pagedAttention: \(kvHeads) kv heads x \(headDim) != kvDim \(layout.kvDim)")
        precondition(layer >= 0 && layer < layout.layers, "pagedAttention: layer \(layer) out of 0..<\(layout.layers)")
        precondition(positions >= 0, "pagedAttention: negative positions \(positions)")
        let job = PagedAttentionJob(out: out, query: query, pages: pages, layerOffset: layer &* layout.layerBytes,
                                    rowBytes: layout.rowBytes, blockTokens: layout.blockTokens, positions: positions,
                                    heads: heads, group: headCount / kvHeads, headDim: headDim, scale: scale, scores: scores)
        switch layout.dtype {
        case .f32: pagedAttentionF32(job)
        case .f16: pagedAttentionF16(job)
        case .q8_0: pagedAttentionQ8_0(job)
        case .bf16, .q4_0: preconditionFailure("pagedAttention: \(layout.dtype) is not a KV cache type")
        }
    }

    @inline(never)
    static func pagedAttentionF32(_ job: PagedAttentionJob) {
        pagedAttentionHeads(job, blockElements: 1, blockBytes: 4, load8: BlockDecode.f32x8, load1: BlockDecode.f32)
    }

    @inline(never)
    static func pagedAttentionF16(_ job: PagedAttentionJob) {
        pagedAttentionHeads(job, blockElements: 1, blockBytes: 2, load8: BlockDecode.f16x8, load1: BlockDecode.f16)
    }

    @inline(never)
    static func pagedAttentionQ8_0(_ job: PagedAttentionJob) {
        pagedAttentionHeads(job, blockElements: 32, blockBytes: 34, load8: BlockDecode.q8_0x8, load1: BlockDecode.q8_0)
    }

    /// The shared loop nest; the decoders are inlined into each caller (no indirect calls).
    ///
    /// A head's slice of a row starts at element `g * headDim`; it is addressed from the storage
    /// block holding that element (`base`), at element `first` of that block, so `load8(base,
    /// first + i)` and `load1(base, first + i)` decode slice elements `i ..< i + 8` and `i`.
    @inline(__always)
    static func pagedAttentionHeads(_ job: PagedAttentionJob, blockElements: Int, blockBytes: Int,
                                    load8: (UnsafeRawPointer, Int) -> SIMD8<Float>,
                                    load1: (UnsafeRawPointer, Int) -> Float) {
        let rowBytes = job.rowBytes
        let headDim = job.headDim
        let positions = job.positions
        let blockTokens = job.blockTokens
        let scores = job.scores
        let valueOffset = blockTokens &* rowBytes
        for h in job.heads {
            let q = job.query + h &* headDim
            let o = job.out + h &* headDim
            let start = (h / job.group) &* headDim
            let sliceOffset = job.layerOffset &+ start / blockElements &* blockBytes
            let first = start % blockElements

            // Scores, page by page.
            var t = 0
            var page = 0
            while t < positions {
                let keys = UnsafeRawPointer(job.pages[page]) + sliceOffset
                let end = Swift.min(positions, t &+ blockTokens)
                var row = keys
                while t < end {
                    scores[t] = sliceDot(q, row, first, count: headDim, load8: load8, load1: load1) * job.scale
                    row += rowBytes
                    t &+= 1
                }
                page &+= 1
            }

            softmax(scores, count: positions)

            // out[h] = sum_t p[t] V[t, g], page by page.
            o.update(repeating: 0, count: headDim)
            t = 0
            page = 0
            while t < positions {
                let values = UnsafeRawPointer(job.pages[page]) + (sliceOffset &+ valueOffset)
                let end = Swift.min(positions, t &+ blockTokens)
                var row = values
                while t < end {
                    sliceAxpy(o, row, first, alpha: scores[t], count: headDim, load8: load8, load1: load1)
                    row += rowBytes
                    t &+= 1
                }
                page &+= 1
            }
        }
    }

    /// `dot(q, x)` over `count` decoded elements `x[i] = load(row, first + i)`, in `dot`'s order.
    @inline(__always)
    static func sliceDot(_ q: UnsafePointer<Float>, _ row: UnsafeRawPointer, _ first: Int, count: Int,
                         load8: (UnsafeRawPointer, Int) -> SIMD8<Float>,
                         load1: (UnsafeRawPointer, Int) -> Float) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i &+ 32 <= count {
            let e = first &+ i
            s0.addProduct(q.load8(at: i), load8(row, e))
            s1.addProduct(q.load8(at: i &+ 8), load8(row, e &+ 8))
            s2.addProduct(q.load8(at: i &+ 16), load8(row, e &+ 16))
            s3.addProduct(q.load8(at: i &+ 24), load8(row, e &+ 24))
            i &+= 32
        }
        while i &+ 8 <= count {
            s0.addProduct(q.load8(at: i), load8(row, first &+ i))
            i &+= 8
        }
        var total = sum((s0 + s1) + (s2 + s3))
        while i < count {
            total = total.addingProduct(q[i], load1(row, first &+ i))
            i &+= 1
        }
        return total
    }

    /// `y += alpha * x` over `count` decoded elements `x[i] = load(row, first + i)`, in `axpy`'s order.
    @inline(__always)
    static func sliceAxpy(_ y: UnsafeMutablePointer<Float>, _ row: UnsafeRawPointer, _ first: Int, alpha: Float,
                          count: Int, load8: (UnsafeRawPointer, Int) -> SIMD8<Float>,
                          load1: (UnsafeRawPointer, Int) -> Float) {
        let a = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i &+ 8 <= count {
            y.store8(y.load8(at: i).addingProduct(a, load8(row, first &+ i)), at: i)
            i &+= 8
        }
        while i < count {
            y[i] = y[i].addingProduct(alpha, load1(row, first &+ i))
            i &+= 1
        }
    }
}

/// One `pagedAttention` call's arguments, resolved from the layout once (trivial, no references).
struct PagedAttentionJob {
    /// `[headCount, headDim]` F32
    let out: UnsafeMutablePointer<Float>
    /// `[headCount, headDim]` F32
    let query: UnsafePointer<Float>
    /// The block table: page base addresses in position order.
    let pages: UnsafePointer<UnsafeMutableRawPointer>
    /// Bytes from a page's base to the layer's first K row.
    let layerOffset: Int
    let rowBytes: Int
    let blockTokens: Int
    let positions: Int
    let heads: Range<Int>
    /// Query heads per kv head.
    let group: Int
    let headDim: Int
    let scale: Float
    /// `[positions]` F32 scratch
    let scores: UnsafeMutablePointer<Float>
}
