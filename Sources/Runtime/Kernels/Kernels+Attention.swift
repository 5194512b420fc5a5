extension Kernels {
    /// Causal attention for one query token: for each head `h`, kv head `g = h / (headCount / kvHeads)`:
    /// `s[t] = dot(q[h], K[t, g]) * scale` for `t in 0..<positions`; `p = softmax(s)`;
    /// `out[h] = sum_t p[t] * V[t, g]`.
    ///
    /// - Parameters:
    ///   - out: `[headCount, headDim]` F32; only the heads in `heads` are written.
    ///   - query: `[headCount, headDim]` F32.
    ///   - keys, values: `[positions]` rows of `[kvHeads, headDim]` F32, `kvStride` floats apart.
    ///   - scores: caller scratch of at least `positions` floats.
    /// Single-threaded for the heads range given; split heads across a pool to parallelize.
    /// With `positions == 0` the output heads are zero.
    public static func attention(out: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>,
                                 keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                 positions: Int, heads: Range<Int>, headCount: Int, kvHeads: Int,
                                 headDim: Int, kvStride: Int, scale: Float, scores: UnsafeMutablePointer<Float>) {
        precondition(kvHeads > 0 && headCount % kvHeads == 0,
                     "attention: \(headCount) heads is not a multiple of \(kvHeads) kv heads")
        precondition(heads.lowerBound >= 0 && heads.upperBound <= headCount, "attention: heads \(heads) out of 0..<\(headCount)")
        precondition(kvStride >= kvHeads &* headDim, "attention: kvStride \(kvStride) < kvHeads * headDim")
        let group = headCount / kvHeads
        for h in heads {
            let q = query + h &* headDim
            let o = out + h &* headDim
            let kvOffset = (h / group) &* headDim
            for t in 0..<positions {
                scores[t] = dot(q, keys + (t &* kvStride &+ kvOffset), count: headDim) * scale
            }
            softmax(scores, count: positions)
            o.update(repeating: 0, count: headDim)
            for t in 0..<positions {
                axpy(o, values + (t &* kvStride &+ kvOffset), alpha: scores[t], count: headDim)
            }
        }
    }
}
