/// Conversion between F32 and the GGUF storage formats (`DType`).
///
/// Layouts (from ggml's `ggml-common.h`), 32 elements per quantized block:
/// - Q8_0, 34 bytes: `d: f16`, `qs: [32] Int8`; value `i` is `d * qs[i]`.
/// - Q4_0, 18 bytes: `d: f16`, `qs: [16] UInt8`; value `j` is `d * ((qs[j] & 0xF) - 8)` and
///   value `j + 16` is `d * ((qs[j] >> 4) - 8)`.
/// - F16: IEEE binary16. BF16: the upper 16 bits of an F32.
///
/// Quantization follows ggml's reference (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`),
/// so files we write quantize like llama.cpp's. Inputs must be finite.
public enum Quantization {
    /// Dequantizes `count` elements (a whole number of blocks) of `dtype` at `src` into `dst`.
    /// - Complexity: O(count).
    public static func dequantize(_ src: UnsafeRawPointer, dtype: DType, count: Int, into dst: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && count % dtype.blockElements == 0,
                     "dequantize: \(count) is not a whole number of \(dtype) blocks")
        switch dtype {
        case .f32: dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16: dequantizeF16(src, count: count, into: dst)
        case .bf16: dequantizeBF16(src, count: count, into: dst)
        case .q8_0: dequantizeQ8_0(src, count: count, into: dst)
        case .q4_0: dequantizeQ4_0(src, count: count, into: dst)
        }
    }

    /// Quantizes/converts `count` floats (a whole number of blocks of `dtype`) into `dst`
    /// (`dtype.rowBytes(count)!` bytes).
    /// - Complexity: O(count).
    public static func quantize(_ src: UnsafePointer<Float>, count: Int, to dtype: DType, into dst: UnsafeMutableRawPointer) {
        precondition(count >= 0 && count % dtype.blockElements == 0,
                     "quantize: \(count) is not a whole number of \(dtype) blocks")
        switch dtype {
        case .f32: dst.copyMemory(from: src, byteCount: count &* 4)
        case .f16: quantizeF16(src, count: count, into: dst)
        case .bf16: quantizeBF16(src, count: count, into: dst)
        case .q8_0: quantizeQ8_0(src, count: count, into: dst)
        case .q4_0: quantizeQ4_0(src, count: count, into: dst)
        }
    }
}
