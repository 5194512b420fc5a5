/// Q8_0: blocks of 32 values, an f16 scale `d` then 32 `Int8`; value = `d * q`.
extension Quantization {
    static func dequantizeQ8_0(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let blocks = count / 32
        for b in 0..<blocks {
            let (v0, v1, v2, v3) = BlockDecode.q8_0(src + b &* DType.q8_0.blockBytes)
            let out = dst + b &* 32
            out.store8(v0, at: 0)
            out.store8(v1, at: 8)
            out.store8(v2, at: 16)
            out.store8(v3, at: 24)
        }
    }

    /// ggml's reference: `d = amax / 127`, `q = round(x / d)` (computed as `x * (1 / d)`,
    /// rounding half away from zero). The stored scale is `d` rounded to f16.
    static func quantizeQ8_0(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        let blocks = count / 32
        for b in 0..<blocks {
            let x = src + b &* 32
            let block = dst + b &* DType.q8_0.blockBytes
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(x[j])) }
            let d = amax / 127
            let inverse: Float = d != 0 ? 1 / d : 0
            block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
            for j in 0..<32 {
                let q = Int8((x[j] * inverse).rounded(.toNearestOrAwayFromZero))
                block.storeBytes(of: q, toByteOffset: 2 &+ j, as: Int8.self)
            }
        }
    }
}
