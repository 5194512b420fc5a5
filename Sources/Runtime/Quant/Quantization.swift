/// Conversion between F32 and the GGUF storage formats (`DType`).
///
/// Layouts are ggml's (`ggml-common.h`); each type's file (`Quantization+<Type>.swift`) spells
/// its own. Dequantization computes every value in the order gguf-py's `quants.py` does, so it
/// matches that reference bit for bit. Quantization follows the quantizers `llama-quantize` runs
/// without an importance matrix (ggml's `quantize_row_<type>_ref`; `quantize_iq4_nl`/`_xs` for
/// the IQ4 types), so the bytes we write are llama.cpp's. Inputs must be finite.
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
        case .q4_1: dequantizeQ4_1(src, count: count, into: dst)
        case .q5_0: dequantizeQ5_0(src, count: count, into: dst)
        case .q5_1: dequantizeQ5_1(src, count: count, into: dst)
        case .q2_K: dequantizeQ2_K(src, count: count, into: dst)
        case .q3_K: dequantizeQ3_K(src, count: count, into: dst)
        case .q4_K: dequantizeQ4_K(src, count: count, into: dst)
        case .q5_K: dequantizeQ5_K(src, count: count, into: dst)
        case .q6_K: dequantizeQ6_K(src, count: count, into: dst)
        case .q8_K: dequantizeQ8_K(src, count: count, into: dst)
        case .iq4_nl: dequantizeIQ4_NL(src, count: count, into: dst)
        case .iq4_xs: dequantizeIQ4_XS(src, count: count, into: dst)
        }
    }

    /// Whether `quantize` writes `dtype`.
    public static func canQuantize(to dtype: DType) -> Bool {
        switch dtype {
        case .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1,
             .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq4_nl, .iq4_xs: return true
        }
    }

    /// Quantizes/converts `count` floats (a whole number of blocks of `dtype`) into `dst`
    /// (`dtype.rowBytes(count)!` bytes).
    /// - Precondition: `canQuantize(to: dtype)`.
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
        case .q4_1: quantizeQ4_1(src, count: count, into: dst)
        case .q5_0: quantizeQ5_0(src, count: count, into: dst)
        case .q5_1: quantizeQ5_1(src, count: count, into: dst)
        case .q2_K: quantizeQ2_K(src, count: count, into: dst)
        case .q3_K: quantizeQ3_K(src, count: count, into: dst)
        case .q4_K: quantizeQ4_K(src, count: count, into: dst)
        case .q5_K: quantizeQ5_K(src, count: count, into: dst)
        case .q6_K: quantizeQ6_K(src, count: count, into: dst)
        case .q8_K: quantizeQ8_K(src, count: count, into: dst)
        case .iq4_nl: quantizeIQ4_NL(src, count: count, into: dst)
        case .iq4_xs: quantizeIQ4_XS(src, count: count, into: dst)
        }
    }
}
