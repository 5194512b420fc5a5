/// ggml's reference Q4_K and Q5_K quantizers (`quantize_row_q4_K_ref`, `quantize_row_q5_K_ref`):
/// per 32 elements an asymmetric fit weighted by `rms(x) + |x|` (`make_qkx2_quants`, least
/// squares; Q4_K tries 21 scales from `nmax - 1`, Q5_K 16 from `nmax - 0.5`), the eight scales
/// and minimums as 6-bit multiples of the block's f16 `d = max scale / 63` and
/// `dmin = max min / 63`, then the quants redone against the stored scales.
extension Quantization {
    static func quantizeQ4_K(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        withKQuantScratch { s in
            for b in 0..<(count / 256) {
                let x = src + b &* 256
                let block = dst + b &* DType.q4_K.blockBytes
                fitK4Block(x, nmax: 15, rmin: -1, nstep: 20, scratch: s, header: block)
                let qs = block + 16
                for chunk in 0..<4 {
                    let q = s.quants + 64 &* chunk
                    for l in 0..<32 {
                        qs.storeBytes(of: q[l] | q[l &+ 32] &<< 4, toByteOffset: 32 &* chunk &+ l, as: UInt8.self)
                    }
                }
            }
        }
    }

    static func quantizeQ5_K(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        withKQuantScratch { s in
            for b in 0..<(count / 256) {
                let x = src + b &* 256
                let block = dst + b &* DType.q5_K.blockBytes
                fitK4Block(x, nmax: 31, rmin: -0.5, nstep: 15, scratch: s, header: block)
                // Fifth bits: element 64 c + j sets bit 2c of qh[j], element 64 c + 32 + j bit 2c + 1.
                let qh = (block + 16).assumingMemoryBound(to: UInt8.self)
                let ql = block + 48
                qh.update(repeating: 0, count: 32)
                for chunk in 0..<4 {
                    let q = s.quants + 64 &* chunk
                    for j in 0..<32 {
                        var l1 = q[j], l2 = q[j &+ 32]
                        if l1 > 15 { l1 &-= 16; qh[j] |= UInt8(1) &<< UInt8(2 &* chunk) }
                        if l2 > 15 { l2 &-= 16; qh[j] |= UInt8(2) &<< UInt8(2 &* chunk) }
                        ql.storeBytes(of: l1 | l2 &<< 4, toByteOffset: 32 &* chunk &+ j, as: UInt8.self)
                    }
                }
            }
        }
    }

    /// The shared part of Q4_K and Q5_K: fits the eight sub-blocks of the 256 values at `x`,
    /// writes `d`, `dmin` and the 12 packed scale bytes at `header`, and leaves the final quants
    /// (`0...nmax`) in `scratch.quants`.
    private static func fitK4Block(_ x: UnsafePointer<Float>, nmax: Int32, rmin: Float, nstep: Int,
                                   scratch s: KQuantScratch, header block: UnsafeMutableRawPointer) {
        let L = s.quants
        // The eight 32-element sub-blocks in the eight lanes, weighted by rms + |x|.
        s.gather(x, n: 32, stride: 32)
        var sumX2 = Lanes()
        for i in 0..<32 { sumX2 += s.laneX[i] * s.laneX[i] }
        let average = (sumX2 / 32).squareRoot()
        for i in 0..<32 { s.laneWeights[i] = average + magnitude(s.laneX[i]) }
        let fit = makeQKX2Quants(32, nmax, s.laneX, s.laneWeights, s.laneQuants, aux: s.laneAux,
                                 rmin: rmin, rdelta: 0.1, nstep: nstep, useMAD: false)
        s.scatterQuants(n: 32, stride: 32)
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
            s.scales[j] = fit.scale[j]
            s.mins[j] = fit.negatedMin[j]
            if fit.scale[j] > maxScale { maxScale = fit.scale[j] }
            if fit.negatedMin[j] > maxMin { maxMin = fit.negatedMin[j] }
        }
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let scales = (block + 4).assumingMemoryBound(to: UInt8.self)
        for j in 0..<8 {
            let ls = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(inverseScale * s.scales[j])))
            let lm = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(inverseMin * s.mins[j])))
            if j < 4 {
                scales[j] = ls
                scales[j &+ 4] = lm
            } else {
                scales[j &+ 4] = (ls & 0x0F) | (lm & 0x0F) &<< 4
                scales[j &- 4] |= (ls &>> 4) &<< 6
                scales[j] |= (lm &>> 4) &<< 6
            }
        }
        block.storeBytes(of: Float16(maxScale / 63).bitPattern, as: UInt16.self)
        block.storeBytes(of: Float16(maxMin / 63).bitPattern, toByteOffset: 2, as: UInt16.self)
        let d16 = BlockDecode.f16(block, 0), dmin16 = BlockDecode.f16(block, 1)
        for j in 0..<8 {
            let (sc, m) = kScaleMin(scales, j)
            let d = d16 * Float(sc)
            if d == 0 { continue }
            let dm = dmin16 * Float(m)
            for i in 0..<32 {
                let l = Swift.max(0, Swift.min(nmax, nearestInt((x[32 &* j &+ i] + dm) / d)))
                L[32 &* j &+ i] = UInt8(truncatingIfNeeded: l)
            }
        }
    }
}
