/// IQ4_NL and IQ4_XS as `llama-quantize` writes them without an importance matrix: ggml's
/// `quantize_iq4_nl` / `quantize_iq4_xs`, both `quantize_row_iq4_nl_impl` with `ntry = 7`.
/// Per 32 elements, the x²-weighted best scale among 16 candidates for the non-linear table
/// (`max / 127`, then `max / (i - 127)` for i in -7...7); IQ4_NL stores it as f16, IQ4_XS as a
/// 6-bit multiple of the block's f16 `d = max scale / -32`; the indices are then redone against
/// the stored scale.
///
/// (ggml's `quantize_row_iq4_nl_ref` uses `ntry = -1` and differs; it is not what files hold.)
extension Quantization {
    private static let iq4Tries = 7

    static func quantizeIQ4_NL(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        iq4Values.withUnsafeBufferPointer { table in
            withKQuantScratch { s in
                let values = table.baseAddress!, L = s.quants
                for b in 0..<(count / 32) {
                    let x = src + b &* 32
                    let block = dst + b &* DType.iq4_nl.blockBytes
                    let d = iq4BestScale(x, values: values, weights: s.weights)
                    block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
                    let id: Float = d != 0 ? 1 / d : 0
                    for j in 0..<32 { L[j] = UInt8(truncatingIfNeeded: bestIndex(values, 16, id * x[j])) }
                    packIQ4Nibbles(L, into: block + 2)
                }
            }
        }
    }

    static func quantizeIQ4_XS(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        iq4Values.withUnsafeBufferPointer { table in
            withKQuantScratch { s in
                let values = table.baseAddress!, L = s.quants
                for b in 0..<(count / 256) {
                    let x = src + b &* 256
                    let block = dst + b &* DType.iq4_xs.blockBytes
                    var maxScale: Float = 0, amaxScale: Float = 0
                    for ib in 0..<8 {
                        let scale = iq4BestScale(x + 32 &* ib, values: values, weights: s.weights)
                        s.scales[ib] = scale
                        if abs(scale) > amaxScale {
                            amaxScale = abs(scale)
                            maxScale = scale
                        }
                    }
                    let d = -maxScale / 32
                    block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
                    let id: Float = d != 0 ? 1 / d : 0
                    var scalesHigh: UInt16 = 0
                    let scalesLow = (block + 4).assumingMemoryBound(to: UInt8.self)
                    for ib in 0..<8 {
                        let l = Swift.max(-32, Swift.min(31, nearestInt(id * s.scales[ib])))
                        let dl = d * Float(l)
                        let idl: Float = dl != 0 ? 1 / dl : 0
                        let xb = x + 32 &* ib
                        for j in 0..<32 { L[32 &* ib &+ j] = UInt8(truncatingIfNeeded: bestIndex(values, 16, idl * xb[j])) }
                        let biased = UInt8(truncatingIfNeeded: l &+ 32)
                        if ib % 2 == 0 {
                            scalesLow[ib / 2] = biased & 0x0F
                        } else {
                            scalesLow[ib / 2] |= (biased & 0x0F) &<< 4
                        }
                        scalesHigh |= UInt16(biased &>> 4) &<< UInt16(2 &* ib)
                    }
                    block.storeBytes(of: scalesHigh, toByteOffset: 2, as: UInt16.self)
                    for ib in 0..<8 { packIQ4Nibbles(L + 32 &* ib, into: block + (8 &+ 16 &* ib)) }
                }
            }
        }
    }

    /// The least-squares scale for the 32 values at `x` against the table (0 for an all-zero
    /// group), weighted by x²: the fit from `max / 127` and from each `max / (i - 127)`, the best.
    /// `weights` holds 32 scratch floats.
    private static func iq4BestScale(_ x: UnsafePointer<Float>, values: UnsafePointer<Int8>,
                                     weights: UnsafeMutablePointer<Float>) -> Float {
        var amax: Float = 0, max: Float = 0
        for j in 0..<32 {
            weights[j] = x[j] * x[j]
            let ax = abs(x[j])
            if ax > amax { amax = ax; max = x[j] }
        }
        if amax < groupMaxEpsilon { return 0 }
        @inline(__always)
        func fit(_ id: Float) -> (sumqx: Float, sumq2: Float) {
            var sumqx: Float = 0, sumq2: Float = 0
            for j in 0..<32 {
                let q = Float(values[bestIndex(values, 16, id * x[j])])
                let w = weights[j]
                sumqx += w * q * x[j]
                sumq2 += w * q * q
            }
            return (sumqx, sumq2)
        }
        let first = fit(1 / (-max / Float(values[0])))
        var d: Float = first.sumq2 > 0 ? first.sumqx / first.sumq2 : 0
        var best = d * first.sumqx
        for attempt in -iq4Tries...iq4Tries {
            let (sumqx, sumq2) = fit(Float(attempt &+ Int(values[0])) / max)
            if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
                d = sumqx / sumq2
                best = d * sumqx
            }
        }
        return d
    }

    /// Q4_0's nibble order: byte j holds index j (low) and index j + 16 (high).
    @inline(__always)
    private static func packIQ4Nibbles(_ L: UnsafePointer<UInt8>, into qs: UnsafeMutableRawPointer) {
        for j in 0..<16 {
            qs.storeBytes(of: L[j] | L[j &+ 16] &<< 4, toByteOffset: j, as: UInt8.self)
        }
    }
}
