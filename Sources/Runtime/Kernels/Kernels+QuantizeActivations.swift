/// Activations to `Q8Rows`: plain, and fused with the op that produces them (RMSNorm, SwiGLU)
/// so the float result never goes to memory when only a quantized matmul reads it.
///
/// Per 32-element block: `d = amax / 127`, `q = round(x / d)` to nearest even (ggml rounds
/// half away from zero; the two differ only on exact halves), `d` kept in F32.
extension Kernels {
    /// Quantizes `rows` rows of `columns` floats (a multiple of 32) into `q`.
    /// - Complexity: O(rows * columns).
    public static func quantizeRows(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into q: Q8Rows) {
        checkQ8(q, rows: rows, columns: columns)
        let blocks = columns / 32
        for r in 0..<rows {
            let xs = x + r &* columns
            for k in 0..<blocks {
                let i = k &* 32
                quantizeBlock(xs.load8(at: i), xs.load8(at: i &+ 8), xs.load8(at: i &+ 16), xs.load8(at: i &+ 24),
                              into: q, block: r &* blocks &+ k)
            }
        }
    }

    /// `rmsNorm` of `rows` rows of `dim` (a multiple of 32), quantized into `q` instead of stored:
    /// the same floats `rmsNorm` computes, one pass fewer over memory.
    public static func rmsNormQuantized(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int,
                                        eps: Float, into q: Q8Rows) {
        checkQ8(q, rows: rows, columns: dim)
        let blocks = dim / 32
        for r in 0..<rows {
            let xs = x + r &* dim
            let sv = SIMD8<Float>(repeating: rmsScale(xs, dim: dim, eps: eps))
            for k in 0..<blocks {
                let i = k &* 32
                quantizeBlock(xs.load8(at: i) * sv * weight.load8(at: i),
                              xs.load8(at: i &+ 8) * sv * weight.load8(at: i &+ 8),
                              xs.load8(at: i &+ 16) * sv * weight.load8(at: i &+ 16),
                              xs.load8(at: i &+ 24) * sv * weight.load8(at: i &+ 24),
                              into: q, block: r &* blocks &+ k)
            }
        }
    }

    /// `silu(gate) * up` over `rows` rows of `columns` (a multiple of 32), quantized into `q`.
    public static func swigluQuantized(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, columns: Int,
                                       into q: Q8Rows) {
        checkQ8(q, rows: rows, columns: columns)
        let blocks = columns / 32
        @inline(__always) func swish(_ i: Int) -> SIMD8<Float> {
            let g = gate.load8(at: i)
            return g / (1 + exp(-g)) * up.load8(at: i)
        }
        for b in 0..<(rows &* blocks) {
            let i = b &* 32
            quantizeBlock(swish(i), swish(i &+ 8), swish(i &+ 16), swish(i &+ 24), into: q, block: b)
        }
    }

    @inline(__always)
    static func checkQ8(_ q: Q8Rows, rows: Int, columns: Int) {
        precondition(columns > 0 && columns % 32 == 0, "quantize: \(columns) columns is not a whole number of blocks")
        precondition(q.columns == columns && q.rows >= rows && rows >= 0,
                     "quantize: \(rows) x \(columns) into Q8 rows of \(q.rows) x \(q.columns)")
    }

    /// Quantizes one block held in four registers into absolute block `block` of `q`.
    ///
    /// Rounding adds 1.5 * 2^23: the float's low mantissa bits are then the rounded integer, read
    /// through the bit pattern without a float-to-int conversion that could trap (a non-finite
    /// activation yields garbage quants, as it yields NaNs on the float path, never a crash).
    @inline(__always)
    static func quantizeBlock(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>,
                              into q: Q8Rows, block: Int) {
        let m = maximum(maximum(maximum(v0, -v0), maximum(v1, -v1)), maximum(maximum(v2, -v2), maximum(v3, -v3)))
        let d = max(m) / 127
        let inverse = SIMD8<Float>(repeating: d != 0 ? 1 / d : 0)
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5 * 2^23
        let bias = SIMD8<Int32>(repeating: 0x4B40_0000)  // its bit pattern
        let q0 = unsafeBitCast(v0 * inverse + magic, to: SIMD8<Int32>.self) &- bias
        let q1 = unsafeBitCast(v1 * inverse + magic, to: SIMD8<Int32>.self) &- bias
        let q2 = unsafeBitCast(v2 * inverse + magic, to: SIMD8<Int32>.self) &- bias
        let q3 = unsafeBitCast(v3 * inverse + magic, to: SIMD8<Int32>.self) &- bias
        let out = UnsafeMutableRawPointer(q.quants + block &* 32)
        out.storeBytes(of: narrow(q0), toByteOffset: 0, as: SIMD8<Int8>.self)
        out.storeBytes(of: narrow(q1), toByteOffset: 8, as: SIMD8<Int8>.self)
        out.storeBytes(of: narrow(q2), toByteOffset: 16, as: SIMD8<Int8>.self)
        out.storeBytes(of: narrow(q3), toByteOffset: 24, as: SIMD8<Int8>.self)
        q.scales[block] = d
        q.negatedSums[block] = 0 &- ((q0 &+ q1) &+ (q2 &+ q3)).wrappedSum()
    }

    /// Low bytes of eight lanes (spelled lane by lane: the generic conversion is not always inlined).
    @inline(__always)
    static func narrow(_ v: SIMD8<Int32>) -> SIMD8<Int8> {
        SIMD8(Int8(truncatingIfNeeded: v[0]), Int8(truncatingIfNeeded: v[1]), Int8(truncatingIfNeeded: v[2]),
              Int8(truncatingIfNeeded: v[3]), Int8(truncatingIfNeeded: v[4]), Int8(truncatingIfNeeded: v[5]),
              Int8(truncatingIfNeeded: v[6]), Int8(truncatingIfNeeded: v[7]))
    }

    /// `1 / sqrt(mean(x^2) + eps)` of one row.
    @inline(__always)
    static func rmsScale(_ x: UnsafePointer<Float>, dim: Int, eps: Float) -> Float {
        1 / (dot(x, x, count: dim) / Float(dim) + eps).squareRoot()
    }
}
