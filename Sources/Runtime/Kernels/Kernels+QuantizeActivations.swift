/// Activations to `Q8Rows`: plain, and fused with the op that produces them (RMSNorm, SwiGLU)
/// so the float result never goes to memory when only quantized matmuls read it.
///
/// Both formats quantize as llama.cpp does on x86, so integer dot products match its own:
/// - `.q8` (its AVX2 `quantize_row_q8_1`), per 32 elements: `q = round(x * (127 / amax))` to
///   nearest even, the scale `amax / 127` stored rounded to f16, and Q8_1's
///   `s = f16(amax / 127 * sum(q))`.
/// - `.q8K` (`quantize_row_q8_K_ref`), per 256 elements: with `max` the value of largest
///   magnitude (sign kept, the first such), `q = min(127, round(x * (-127 / max)))` to nearest
///   even, the scale `1 / (-127 / max)` in F32, and the sum of every 16 quants.
extension Kernels {
    /// Quantizes `rows` rows of `columns` floats (a whole number of blocks of `q.format`) into `q`.
    /// - Complexity: O(rows * columns).
    public static func quantizeRows(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into q: Q8Rows) {
        checkQ8(q, rows: rows, columns: columns)
        if q.format == .q8K {
            for b in 0..<(rows &* columns / 256) { quantizeBlockK(x + b &* 256, into: q, block: b) }
            return
        }
        for b in 0..<(rows &* columns / 32) {
            let xs = x + b &* 32
            quantizeBlock(xs.load8(at: 0), xs.load8(at: 8), xs.load8(at: 16), xs.load8(at: 24), into: q, block: b)
        }
    }

    /// `rmsNorm` of `rows` rows of `dim` (a whole number of blocks), quantized into `q` instead of
    /// stored: the same floats `rmsNorm` computes, one pass fewer over memory.
    public static func rmsNormQuantized(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int,
                                        eps: Float, into q: Q8Rows) {
        checkQ8(q, rows: rows, columns: dim)
        for r in 0..<rows {
            let xs = x + r &* dim
            let sv = SIMD8<Float>(repeating: rmsScale(xs, dim: dim, eps: eps))
            @inline(__always) func value(_ i: Int) -> SIMD8<Float> { xs.load8(at: i) * sv * weight.load8(at: i) }
            quantizeRow(q, row: r, columns: dim, value)
        }
    }

    /// `silu(gate) * up` over `rows` rows of `columns` (a whole number of blocks), quantized into `q`.
    public static func swigluQuantized(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, columns: Int,
                                       into q: Q8Rows) {
        checkQ8(q, rows: rows, columns: columns)
        for r in 0..<rows {
            let base = r &* columns
            @inline(__always) func value(_ i: Int) -> SIMD8<Float> {
                let g = gate.load8(at: base &+ i)
                return g / (1 + exp(-g)) * up.load8(at: base &+ i)
            }
            quantizeRow(q, row: r, columns: columns, value)
        }
    }

    /// `gelu(gate) * up` over `rows` rows of `columns` (a whole number of blocks), quantized into `q`.
    public static func gegluQuantized(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, columns: Int,
                                      into q: Q8Rows) {
        checkQ8(q, rows: rows, columns: columns)
        for r in 0..<rows {
            let base = r &* columns
            @inline(__always) func value(_ i: Int) -> SIMD8<Float> { gelu(gate.load8(at: base &+ i)) * up.load8(at: base &+ i) }
            quantizeRow(q, row: r, columns: columns, value)
        }
    }

    /// Quantizes row `r` of `q` from `value(i)`, the 8 floats at column `i`. A Q8_K block is
    /// first produced into a kilobyte of stack: its scale depends on all 256 values.
    @inline(__always)
    static func quantizeRow(_ q: Q8Rows, row r: Int, columns: Int, _ value: (Int) -> SIMD8<Float>) {
        if q.format == .q8K {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { block in
                let floats = block.baseAddress!
                for k in 0..<(columns / 256) {
                    for i in stride(from: 0, to: 256, by: 8) { floats.store8(value(k &* 256 &+ i), at: i) }
                    quantizeBlockK(floats, into: q, block: r &* (columns / 256) &+ k)
                }
            }
            return
        }
        for k in 0..<(columns / 32) {
            let i = k &* 32
            quantizeBlock(value(i), value(i &+ 8), value(i &+ 16), value(i &+ 24), into: q, block: r &* (columns / 32) &+ k)
        }
    }

    @inline(__always)
    static func checkQ8(_ q: Q8Rows, rows: Int, columns: Int) {
        precondition(columns > 0 && columns % q.blockElements == 0,
                     "quantize: \(columns) columns is not a whole number of \(q.format) blocks")
        precondition(q.columns == columns && q.rows >= rows && rows >= 0,
                     "quantize: \(rows) x \(columns) into Q8 rows of \(q.rows) x \(q.columns)")
    }

    /// Rounds `v` to the nearest integer, ties to even, for |v| < 2^22: adding 1.5 * 2^23 leaves
    /// the integer in the float's low mantissa bits, read through the bit pattern without a
    /// float-to-int conversion that could trap (a non-finite activation yields garbage quants,
    /// as it yields NaNs on the float path, never a crash). ggml's `nearest_int` is this trick.
    @inline(__always)
    static func roundToInt(_ v: SIMD8<Float>) -> SIMD8<Int32> {
        unsafeBitCast(v + SIMD8<Float>(repeating: 12_582_912), to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: 0x4B40_0000)
    }

    /// Quantizes one 32-element block held in four registers into block `block` of `q` (`.q8`).
    @inline(__always)
    static func quantizeBlock(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>,
                              into q: Q8Rows, block: Int) {
        let m = max(maximum(maximum(magnitude(v0), magnitude(v1)), maximum(magnitude(v2), magnitude(v3))))
        let d = m / 127
        let inverse = SIMD8<Float>(repeating: m != 0 ? 127 / m : 0)
        let q0 = roundToInt(v0 * inverse), q1 = roundToInt(v1 * inverse)
        let q2 = roundToInt(v2 * inverse), q3 = roundToInt(v3 * inverse)
        let out = UnsafeMutableRawPointer(q.quants + block &* 32)
        out.storeBytes(of: narrow(q0), toByteOffset: 0, as: SIMD8<Int8>.self)
        out.storeBytes(of: narrow(q1), toByteOffset: 8, as: SIMD8<Int8>.self)
        out.storeBytes(of: narrow(q2), toByteOffset: 16, as: SIMD8<Int8>.self)
        out.storeBytes(of: narrow(q3), toByteOffset: 24, as: SIMD8<Int8>.self)
        let sum = ((q0 &+ q1) &+ (q2 &+ q3)).wrappedSum()
        q.scales[block] = Float(Float16(d))
        q.negatedSums[block] = 0 &- sum
        q.scaledSums[block] = Float(Float16(d * Float(sum)))
    }

    /// Quantizes the 256 floats at `x` into block `block` of `q` (`.q8K`).
    @inline(__always)
    static func quantizeBlockK(_ x: UnsafePointer<Float>, into q: Q8Rows, block: Int) {
        var amax = SIMD8<Float>(repeating: 0)
        for i in stride(from: 0, to: 256, by: 8) { amax = maximum(amax, magnitude(x.load8(at: i))) }
        let largest = max(amax)
        let quants = q.quants + block &* 256
        let sums = q.groupSums + block &* 16
        guard largest != 0 else {
            quants.initialize(repeating: 0, count: 256)
            sums.initialize(repeating: 0, count: 16)
            (q.negatedGroupSums + block &* 16).initialize(repeating: 0, count: 16)
            (q.floatGroupSums + block &* 16).initialize(repeating: 0, count: 16)
            q.scales[block] = 0
            return
        }
        var j = 0
        while abs(x[j]) != largest { j &+= 1 }
        let iscale = -127 / x[j]
        let scale = SIMD8<Float>(repeating: iscale), top = SIMD8<Int32>(repeating: 127)
        for g in 0..<16 {
            let a = roundToInt(scale * x.load8(at: g &* 16)), b = roundToInt(scale * x.load8(at: g &* 16 &+ 8))
            let qa = a.replacing(with: top, where: a .> top), qb = b.replacing(with: top, where: b .> top)
            UnsafeMutableRawPointer(quants + g &* 16).storeBytes(of: narrow(qa), as: SIMD8<Int8>.self)
            UnsafeMutableRawPointer(quants + (g &* 16 &+ 8)).storeBytes(of: narrow(qb), as: SIMD8<Int8>.self)
            let sum = (qa &+ qb).wrappedSum()
            sums[g] = Int16(truncatingIfNeeded: sum)
            q.negatedGroupSums[block &* 16 &+ g] = 0 &- sum
            q.floatGroupSums[block &* 16 &+ g] = Float(sum)
        }
        q.scales[block] = 1 / iscale
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
