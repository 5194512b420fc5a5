/// ggml's reference Q2_K quantizer (`quantize_row_q2_K_ref`): per 16 elements a `|x|`-weighted
/// asymmetric 2-bit fit (`make_qkx2_quants`, least absolute error), then the sixteen scales and
/// minimums as 4-bit multiples of the block's f16 `d = max scale / 15` and `dmin = max min / 15`,
/// and the quants redone against those stored scales.
extension Quantization {
    static func quantizeQ2_K(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        withKQuantScratch { s in
            let L = s.quants
            for b in 0..<(count / 256) {
                let x = src + b &* 256
                let block = dst + b &* DType.q2_K.blockBytes
                // Sixteen 16-element sub-blocks, eight at a time, weighted by |x|.
                for half in 0..<2 {
                    s.gather(x, n: 16, stride: 16, first: 8 &* half)
                    for i in 0..<16 { s.laneWeights[i] = magnitude(s.laneX[i]) }
                    let (scales, mins) = makeQKX2Quants(16, 3, s.laneX, s.laneWeights, s.laneQuants, aux: s.laneAux,
                                                        rmin: -0.5, rdelta: 0.1, nstep: 15, useMAD: true)
                    s.scatterQuants(n: 16, stride: 16, first: 8 &* half)
                    for j in 0..<8 {
                        s.scales[8 &* half &+ j] = scales[j]
                        s.mins[8 &* half &+ j] = mins[j]
                    }
                }
                var maxScale: Float = 0, maxMin: Float = 0
                for j in 0..<16 {
                    if s.scales[j] > maxScale { maxScale = s.scales[j] }
                    if s.mins[j] > maxMin { maxMin = s.mins[j] }
                }
                let scales = block.assumingMemoryBound(to: UInt8.self)
                if maxScale > 0 {
                    let iscale = 15 / maxScale
                    for j in 0..<16 { scales[j] = UInt8(truncatingIfNeeded: nearestInt(iscale * s.scales[j])) }
                    block.storeBytes(of: Float16(maxScale / 15).bitPattern, toByteOffset: 80, as: UInt16.self)
                } else {
                    for j in 0..<16 { scales[j] = 0 }
                    block.storeBytes(of: Float16(Float(0)).bitPattern, toByteOffset: 80, as: UInt16.self)
                }
                if maxMin > 0 {
                    let iscale = 15 / maxMin
                    for j in 0..<16 { scales[j] |= UInt8(truncatingIfNeeded: nearestInt(iscale * s.mins[j]) &<< 4) }
                    block.storeBytes(of: Float16(maxMin / 15).bitPattern, toByteOffset: 82, as: UInt16.self)
                } else {
                    block.storeBytes(of: Float16(Float(0)).bitPattern, toByteOffset: 82, as: UInt16.self)
                }
                let d16 = BlockDecode.f16(block + 80, 0), dmin16 = BlockDecode.f16(block + 80, 1)
                for j in 0..<16 {
                    let d = d16 * Float(scales[j] & 0x0F)
                    if d == 0 { continue }
                    let dm = dmin16 * Float(scales[j] >> 4)
                    for i in 0..<16 {
                        let l = nearestInt((x[16 &* j &+ i] + dm) / d)
                        L[16 &* j &+ i] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(3, l)))
                    }
                }
                let qs = block + 16
                for chunk in 0..<2 {
                    let q = L + 128 &* chunk
                    for l in 0..<32 {
                        qs.storeBytes(of: q[l] | q[l &+ 32] &<< 2 | q[l &+ 64] &<< 4 | q[l &+ 96] &<< 6,
                                      toByteOffset: 32 &* chunk &+ l, as: UInt8.self)
                    }
                }
            }
        }
    }
}
