/// Bidirectional (unmasked) attention over one input held contiguously: the encoder's.
extension Kernels {
    /// Queries scored per matmul in `encoderAttention`.
    public static let encoderAttentionQueryBlock = 64

    /// Floats of scratch one thread needs for `encoderAttention` over inputs of at most
    /// `maxTokens` tokens.
    public static func encoderAttentionScratch(maxTokens: Int, headDim: Int) -> Int {
        let keyRows = (maxTokens &+ 7) & ~7
        return encoderAttentionQueryBlock &* (headDim &+ keyRows) &+ 2 &* keyRows &* headDim
    }

    /// For every token `t` of one input and one head:
    /// `out[t] = softmax(q[t] . K^T * scale) V`, over all `tokens` keys of the input.
    ///
    /// `q`, `k`, `v` and `out` point at the head's first element in row 0 of the input; rows are
    /// `stride` floats apart. The head's K and V are packed once into `scratch`
    /// (`encoderAttentionScratch` floats), then each block of queries is scored by
    /// `matmulF32`'s register tiles (no per-score horizontal sum), softmaxed, and the weighted
    /// V rows are added with the output held in registers. Allocation-free, single-threaded:
    /// split inputs and heads across a pool.
    /// - Complexity: O(tokens^2 * headDim).
    public static func encoderAttention(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                        v: UnsafePointer<Float>, stride: Int, tokens: Int, headDim: Int, scale: Float,
                                        scratch: UnsafeMutablePointer<Float>) {
        precondition(tokens >= 0 && headDim > 0 && stride >= headDim, "encoderAttention: bad shape")
        guard tokens > 0 else { return }
        let block = encoderAttentionQueryBlock
        let keyRows = (tokens &+ 7) & ~7
        /// [block, headDim] scaled queries
        let queries = scratch
        /// [keyRows, headDim] the head's keys (rows past `tokens` zero), and [keyRows, headDim] values
        let keys = queries + block &* headDim
        let values = keys + keyRows &* headDim
        /// [block, keyRows] scores, then weights
        let scores = values + keyRows &* headDim
        for t in 0..<tokens {
            (keys + t &* headDim).update(from: k + t &* stride, count: headDim)
            (values + t &* headDim).update(from: v + t &* stride, count: headDim)
        }
        (keys + tokens &* headDim).update(repeating: 0, count: (keyRows &- tokens) &* headDim)

        var first = 0
        while first < tokens {
            let count = Swift.min(block, tokens &- first)
            for i in 0..<count {
                let source = q + (first &+ i) &* stride, target = queries + i &* headDim
                for d in 0..<headDim { target[d] = source[d] * scale }
            }
            let scoring = MatmulShape(weight: Tensor(data: keys, dtype: .f32, columns: headDim, rows: keyRows),
                                      batch: count, out: scores, x: queries)
            matmulF32(scoring, MatmulTile(rows: 0..<keyRows, tokens: 0..<count))
            for i in 0..<count {
                let weights = scores + i &* keyRows
                softmax(weights, count: tokens)
                let output = out + (first &+ i) &* stride
                output.update(repeating: 0, count: headDim)
                addWeightedRows(output, rows: values, weights: weights, count: tokens, width: headDim)
            }
            first &+= count
        }
    }
}
