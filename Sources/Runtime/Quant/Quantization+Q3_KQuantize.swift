/// ggml's reference Q3_K quantizer (`quantize_row_q3_K_ref`): per 16 elements a symmetric 3-bit
/// fit refined by single-quant moves (`make_q3_quants`), the sixteen scales as signed 6-bit
/// multiples of the block's f16 `d = max scale / -32`, then the quants redone against the stored
/// scales (low 2 bits in `qs`, the third in `hmask`).
extension Quantization {
    static func quantizeQ3_K(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        withKQuantScratch { s in
            let L = s.signedQuants
            for b in 0..<(count / 256) {
                let x = src + b &* 256
                let block = dst + b &* DType.q3_K.blockBytes
                var maxScale: Float = 0, amax: Float = 0
                for j in 0..<16 {
                    let scale = makeQ3Quants(16, 4, x + 16 &* j, L + 16 &* j)
                    s.scales[j] = scale
                    if abs(scale) > amax {
                        amax = abs(scale)
                        maxScale = scale
                    }
                }
                let scales = (block + 96).assumingMemoryBound(to: UInt8.self)
                scales.update(repeating: 0, count: 12)
                if maxScale != 0 {
                    let iscale = -32 / maxScale
                    for j in 0..<16 {
                        let rounded = Int8(truncatingIfNeeded: nearestInt(iscale * s.scales[j]))
                        let l = UInt8(Swift.max(-32, Swift.min(31, rounded)) &+ 32)
                        if j < 8 {
                            scales[j] = l & 0x0F
                        } else {
                            scales[j &- 8] |= (l & 0x0F) &<< 4
                        }
                        scales[8 &+ j % 4] |= (l &>> 4) &<< UInt8(2 &* (j / 4))
                    }
                    block.storeBytes(of: Float16(1 / iscale).bitPattern, toByteOffset: 108, as: UInt16.self)
                } else {
                    block.storeBytes(of: Float16(Float(0)).bitPattern, toByteOffset: 108, as: UInt16.self)
                }
                let d16 = BlockDecode.f16(block + 108, 0)
                for j in 0..<16 {
                    let d = d16 * Float(q3KScale(scales, j))
                    if d == 0 { continue }
                    for i in 0..<16 {
                        let l = Swift.max(-4, Swift.min(3, nearestInt(x[16 &* j &+ i] / d)))
                        L[16 &* j &+ i] = Int8(truncatingIfNeeded: l &+ 4)
                    }
                }
                // The third bit of element j is bit j / 32 of hmask[j % 32].
                let hmask = block.assumingMemoryBound(to: UInt8.self)
                hmask.update(repeating: 0, count: 32)
                for j in 0..<256 where L[j] > 3 {
                    hmask[j & 31] |= UInt8(1) &<< UInt8(j &>> 5)
                    L[j] &-= 4
                }
                let qs = block + 32
                for chunk in 0..<2 {
                    let q = s.quants + 128 &* chunk
                    for l in 0..<32 {
                        qs.storeBytes(of: q[l] | q[l &+ 32] &<< 2 | q[l &+ 64] &<< 4 | q[l &+ 96] &<< 6,
                                      toByteOffset: 32 &* chunk &+ l, as: UInt8.self)
                    }
                }
            }
        }
    }
}
