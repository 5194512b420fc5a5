/// Element types of tensors, with GGML's type ids as raw values (the GGUF tensor table
/// stores these ids). Quantized types are stored in blocks of `blockElements` values.
public enum DType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q8_0 = 8
    case bf16 = 30

    /// Elements per storage block (1 for plain floats).
    public var blockElements: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q8_0: return 32
        }
    }

    /// Bytes per storage block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18  // f16 scale + 16 bytes of 4-bit quants
        case .q8_0: return 34  // f16 scale + 32 int8 quants
        }
    }

    /// Bytes of a row of `elements` values; nil when `elements` is not a whole number of blocks.
    public func rowBytes(_ elements: Int) -> Int? {
        guard elements >= 0, elements % blockElements == 0 else { return nil }
        let (bytes, overflow) = (elements / blockElements).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// GGML's lower-case name (`f32`, `q8_0`, ...).
    public var description: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .q4_0: return "q4_0"
        case .q8_0: return "q8_0"
        case .bf16: return "bf16"
        }
    }
}
