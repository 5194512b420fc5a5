import StrataRuntime

/// Random block-quantized weights: random bytes (every bit pattern of the quants is a valid
/// block) with their f16 scale fields rewritten so the values have a chosen RMS. Scales and
/// minimums scale every value of a block linearly, so one pass fixes the magnitude.
public enum RandomBlocks {
    /// Byte offsets of each block's f16 scale fields (`d`, and `m`/`dmin` where there is one).
    public static func halfFields(_ dtype: DType) -> [Int] {
        switch dtype {
        case .q4_0, .q5_0, .q8_0, .iq4_nl, .iq4_xs: return [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
        case .q2_K: return [80, 82]
        case .q3_K: return [108]
        case .q6_K: return [208]
        case .f32, .f16, .bf16, .q8_K: return []
        }
    }

    /// `count` blocks of `dtype` whose values have about `rms` root mean square; every block's
    /// scales are random in 0.5...1 of the common size, with random signs.
    public static func bytes(_ dtype: DType, count: Int, rms: Float = 0.02, random: inout TestRandom) -> [UInt8] {
        var bytes = (0..<(count * dtype.blockBytes)).map { _ in UInt8.random(in: 0...255, using: &random) }
        let fields = halfFields(dtype)
        var factors = [Float](repeating: 1, count: count * fields.count)
        func write(_ scale: Float) {
            for b in 0..<count {
                if dtype == .q8_K {  // an F32 scale
                    withUnsafeBytes(of: scale * factors[b]) { for i in 0..<4 { bytes[b * dtype.blockBytes + i] = $0[i] } }
                }
                for (f, offset) in fields.enumerated() {
                    let bits = Float16(scale * factors[b * fields.count + f]).bitPattern
                    bytes[b * dtype.blockBytes + offset] = UInt8(bits & 0xFF)
                    bytes[b * dtype.blockBytes + offset + 1] = UInt8(bits >> 8)
                }
            }
        }
        if dtype == .q8_K { factors = (0..<count).map { _ in Float.random(in: 0.5...1, using: &random) } }
        for i in factors.indices where dtype != .q8_K {
            factors[i] = Float.random(in: 0.5...1, using: &random) * (Bool.random(using: &random) ? 1 : -1)
        }
        write(1)
        var values = [Float](repeating: 0, count: count * dtype.blockElements)
        bytes.withUnsafeBytes { Quantization.dequantize($0.baseAddress!, dtype: dtype, count: values.count, into: &values) }
        let measured = (values.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(1, values.count))).squareRoot()
        if measured > 0 { write(rms / Float(measured)) }
        return bytes
    }
}
