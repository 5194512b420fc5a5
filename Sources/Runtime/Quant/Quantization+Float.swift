/// F16 and BF16: 16-bit floats, one element per "block".
extension Quantization {
    static func dequantizeF16(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        var i = 0
        while i &+ 8 <= count {
            dst.store8(BlockDecode.f16x8(src, i), at: i)
            i &+= 8
        }
        while i < count {
            dst[i] = BlockDecode.f16(src, i)
            i &+= 1
        }
    }

    static func dequantizeBF16(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        var i = 0
        while i &+ 8 <= count {
            dst.store8(BlockDecode.bf16x8(src, i), at: i)
            i &+= 8
        }
        while i < count {
            dst[i] = BlockDecode.bf16(src, i)
            i &+= 1
        }
    }

    /// Round-to-nearest-even F32 -> F16 (`Float16.init`), overflowing to infinity like ggml.
    static func quantizeF16(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for i in 0..<count {
            dst.storeBytes(of: Float16(src[i]).bitPattern, toByteOffset: i &* 2, as: UInt16.self)
        }
    }

    static func quantizeBF16(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for i in 0..<count {
            dst.storeBytes(of: bfloat16Bits(src[i]), toByteOffset: i &* 2, as: UInt16.self)
        }
    }

    /// F32 -> BF16 bits, round to nearest even; a NaN stays a (quiet) NaN.
    /// Same rule as ggml's `ggml_compute_fp32_to_bf16`.
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let roundingBias: UInt32 = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }
}
