/// ggml's reference Q6_K quantizer (`quantize_row_q6_K_ref`): per 16 elements a symmetric 6-bit
/// fit whose scale is searched among 19 candidates (`make_qx_quants`), the sixteen scales as
/// Int8 multiples of the block's f16 `d = max scale / -128`, then the quants redone against the
/// stored scales (low 4 bits in `ql`, high 2 in `qh`). An all-zero block is all zero bytes.
extension Quantization {
    static func quantizeQ6_K(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        withKQuantScratch { s in
            let L = s.signedQuants
            for b in 0..<(count / 256) {
                let x = src + b &* 256
                let block = dst + b &* DType.q6_K.blockBytes
                // Sixteen 16-element sub-blocks, eight at a time.
                for half in 0..<2 {
                    s.gather(x, n: 16, stride: 16, first: 8 &* half)
                    let scales = makeQXQuants(16, 32, s.laneX, s.laneQuants, aux: s.laneAux)
                    s.scatterQuants(n: 16, stride: 16, first: 8 &* half)
                    for j in 0..<8 { s.scales[8 &* half &+ j] = scales[j] }
                }
                var maxScale: Float = 0, maxAbsScale: Float = 0
                for j in 0..<16 {
                    let scale = s.scales[j]
                    if abs(scale) > maxAbsScale {
                        maxAbsScale = abs(scale)
                        maxScale = scale
                    }
                }
                if maxAbsScale < groupMaxEpsilon {
                    block.initializeMemory(as: UInt8.self, repeating: 0, count: DType.q6_K.blockBytes)
                    continue
                }
                let iscale = -128 / maxScale
                block.storeBytes(of: Float16(1 / iscale).bitPattern, toByteOffset: 208, as: UInt16.self)
                let scales = (block + 192).assumingMemoryBound(to: Int8.self)
                for j in 0..<16 {
                    scales[j] = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * s.scales[j])))
                }
                let d16 = BlockDecode.f16(block + 208, 0)
                for j in 0..<16 {
                    let d = d16 * Float(scales[j])
                    if d == 0 { continue }
                    for i in 0..<16 {
                        let l = Swift.max(-32, Swift.min(31, nearestInt(x[16 &* j &+ i] / d)))
                        L[16 &* j &+ i] = Int8(truncatingIfNeeded: l &+ 32)
                    }
                }
                // Per 128 elements: ql gets 64 bytes (elements l and l + 64 in byte l, l + 32 and
                // l + 96 in byte l + 32), qh 32 bytes of four 2-bit high parts.
                let q = s.quants
                for half in 0..<2 {
                    let e = q + 128 &* half
                    let ql = block + 64 &* half, qh = block + (128 &+ 32 &* half)
                    for l in 0..<32 {
                        let q1 = e[l], q2 = e[l &+ 32], q3 = e[l &+ 64], q4 = e[l &+ 96]
                        ql.storeBytes(of: (q1 & 0x0F) | (q3 & 0x0F) &<< 4, toByteOffset: l, as: UInt8.self)
                        ql.storeBytes(of: (q2 & 0x0F) | (q4 & 0x0F) &<< 4, toByteOffset: 32 &+ l, as: UInt8.self)
                        qh.storeBytes(of: q1 &>> 4 | (q2 &>> 4) &<< 2 | (q3 &>> 4) &<< 4 | (q4 &>> 4) &<< 6,
                                      toByteOffset: l, as: UInt8.self)
                    }
                }
            }
        }
    }
}
