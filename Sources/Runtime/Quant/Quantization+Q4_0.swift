/// Q4_0: blocks of 32 values, an f16 scale `d` then 16 bytes; byte `j` holds element `j` in its
/// low nibble and element `j + 16` in its high nibble, each stored as `q + 8`.
extension Quantization {
    static func dequantizeQ4_0(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let blocks = count / 32
        for b in 0..<blocks {
            let (v0, v1, v2, v3) = BlockDecode.q4_0(src + b &* DType.q4_0.blockBytes)
            let out = dst + b &* 32
            out.store8(v0, at: 0)
            out.store8(v1, at: 8)
            out.store8(v2, at: 16)
            out.store8(v3, at: 24)
        }
    }

    /// ggml's reference: `max` is the value of largest magnitude (sign kept), `d = max / -8`,
    /// `q = min(15, Int8(x / d + 8.5))` (truncation), so `max` itself maps to 0 (exactly `-8 d`)
    /// and `-max` clamps to 15 (`7 d`).
    static func quantizeQ4_0(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        let blocks = count / 32
        for b in 0..<blocks {
            let x = src + b &* 32
            let block = dst + b &* DType.q4_0.blockBytes
            let d = signedMaximum(x, count: 32) / -8
            let inverse: Float = d != 0 ? 1 / d : 0
            block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
            for j in 0..<16 {
                let low = min(15, Int8(x[j] * inverse + 8.5))
                let high = min(15, Int8(x[j &+ 16] * inverse + 8.5))
                block.storeBytes(of: UInt8(low) | UInt8(high) &<< 4, toByteOffset: 2 &+ j, as: UInt8.self)
            }
        }
    }

    /// The value of largest magnitude among `count` floats, sign kept (the first such), as
    /// ggml's quantizers search it; 0 for an all-zero block.
    static func signedMaximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var amax: Float = 0, signedMax: Float = 0
        for j in 0..<count where amax < abs(x[j]) {
            amax = abs(x[j])
            signedMax = x[j]
        }
        return signedMax
    }
}
