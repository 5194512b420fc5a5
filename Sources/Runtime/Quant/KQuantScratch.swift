/// Per-call scratch for the K-quant quantizers: one 256-element block's quants, a sub-block's
/// weights, the sub-block scales and minimums, and the eight-lane searches' inputs and quants.
struct KQuantScratch {
    /// [256] quants of the block being written.
    let quants: UnsafeMutablePointer<UInt8>
    /// [32] per-element weights of one sub-block.
    let weights: UnsafeMutablePointer<Float>
    /// [16] sub-block scales.
    let scales: UnsafeMutablePointer<Float>
    /// [16] sub-block minimums (negated, as the searches return them).
    let mins: UnsafeMutablePointer<Float>
    /// [32] element i of eight sub-blocks (`Quantization.Lanes`).
    let laneX: UnsafeMutablePointer<SIMD8<Float>>
    /// [32] their weights.
    let laneWeights: UnsafeMutablePointer<SIMD8<Float>>
    /// [32] their quants.
    let laneQuants: UnsafeMutablePointer<SIMD8<Int32>>
    /// [32] the searches' candidate quants.
    let laneAux: UnsafeMutablePointer<SIMD8<Int32>>

    /// `quants` as signed bytes (Q3_K and Q6_K store `q + offset` there).
    var signedQuants: UnsafeMutablePointer<Int8> { UnsafeMutableRawPointer(quants).assumingMemoryBound(to: Int8.self) }

    /// Fills `laneX` with eight lanes of `n` elements: lane `j` holds the group starting at
    /// `x + stride * (first + j)`; with fewer `groups`, the lanes past them are zero (and nothing
    /// past the last group is read).
    @inline(__always)
    func gather(_ x: UnsafePointer<Float>, n: Int, stride: Int, first: Int = 0, groups: Int = 8) {
        if groups == 8 {
            for i in 0..<n {
                let p = x + (stride &* first &+ i)
                laneX[i] = SIMD8(p[0], p[stride], p[2 &* stride], p[3 &* stride],
                                 p[4 &* stride], p[5 &* stride], p[6 &* stride], p[7 &* stride])
            }
        } else {
            for i in 0..<n {
                var v = SIMD8<Float>()
                for j in 0..<groups { v[j] = x[stride &* (first &+ j) &+ i] }
                laneX[i] = v
            }
        }
    }

    /// Writes lane `j` (of the first `groups`) of `laneQuants` (n elements) to
    /// `quants[stride * (first + j) + i]`.
    @inline(__always)
    func scatterQuants(n: Int, stride: Int, first: Int = 0, groups: Int = 8) {
        for i in 0..<n {
            let l = laneQuants[i]
            for j in 0..<groups { quants[stride &* (first &+ j) &+ i] = UInt8(truncatingIfNeeded: l[j]) }
        }
    }
}

extension Quantization {
    /// Lends `body` a zeroed `KQuantScratch` on the stack; it must not escape.
    @inline(__always)
    static func withKQuantScratch<R>(_ body: (KQuantScratch) -> R) -> R {
        withUnsafeTemporaryAllocation(byteCount: 4 * 1024 + 256 + 4 * (32 + 16 + 16), alignment: 32) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            let base = raw.baseAddress!
            let lanes = base.assumingMemoryBound(to: SIMD8<Float>.self)
            let laneInts = (base + 2048).assumingMemoryBound(to: SIMD8<Int32>.self)
            let floats = (base + 4096).assumingMemoryBound(to: Float.self)
            return body(KQuantScratch(quants: (base + 4096 + 256).assumingMemoryBound(to: UInt8.self),
                                      weights: floats, scales: floats + 32, mins: floats + 48,
                                      laneX: lanes, laneWeights: lanes + 32, laneQuants: laneInts, laneAux: laneInts + 32))
        }
    }
}
