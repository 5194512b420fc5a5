/// The form a matmul input takes for the weights that read it (llama.cpp's `vec_dot_type`).
public enum ActivationFormat: Sendable, CaseIterable {
    /// F32 rows, for F32/F16/BF16 weights.
    case floats
    /// 8-bit quants per 32-element block with an f16-rounded scale, the block's quant sum and
    /// its scaled sum (`Q8_0` and `Q8_1` in one): for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL.
    case q8
    /// 8-bit quants per 256-element block with an F32 scale and a sum per 16 elements
    /// (`Q8_K`): for the K-quants and IQ4_XS.
    case q8K

    /// Elements per activation block (1 for floats).
    public var blockElements: Int {
        switch self {
        case .floats: return 1
        case .q8: return DType.q8_0.blockElements
        case .q8K: return DType.q8_K.blockElements
        }
    }
}
