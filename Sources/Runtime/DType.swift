/// Element types the engine computes with, with GGML's type ids as raw values (the GGUF tensor
/// table stores these ids). Quantized types are stored in blocks of `blockElements` values.
///
/// `geometry` is the one table of block sizes: every other size (row bytes, the GGUF reader's
/// type table, the KV cache's element bytes, the kernels' block strides) derives from it.
/// Adding a type means a case here, its row of `geometry`, its block decoder
/// (`Quantization+<Type>.swift`) and its dot kernels (`CQuantDot`).
public enum DType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    /// The activation side of K-quant dot products (llama.cpp never stores weights in it).
    case q8_K = 15
    case iq4_nl = 20
    case iq4_xs = 23
    case bf16 = 30

    /// Elements and bytes per storage block, from ggml's `ggml-common.h` block structs.
    public var geometry: (elements: Int, bytes: Int) {
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .q4_0: return (32, 18)    // d: f16, qs: [16] nibbles
        case .q4_1: return (32, 20)    // d, m: f16, qs: [16] nibbles
        case .q5_0: return (32, 22)    // d: f16, qh: [4] fifth bits, qs: [16] nibbles
        case .q5_1: return (32, 24)    // d, m: f16, qh: [4], qs: [16]
        case .q8_0: return (32, 34)    // d: f16, qs: [32] Int8
        case .q2_K: return (256, 84)   // scales: [16] (4-bit scale | 4-bit min), qs: [64] 2-bit, d, dmin: f16
        case .q3_K: return (256, 110)  // hmask: [32], qs: [64] 2-bit, scales: [12] 6-bit, d: f16
        case .q4_K: return (256, 144)  // d, dmin: f16, scales: [12] 6-bit scales and mins, qs: [128] nibbles
        case .q5_K: return (256, 176)  // d, dmin: f16, scales: [12], qh: [32], qs: [128]
        case .q6_K: return (256, 210)  // ql: [128] nibbles, qh: [64] 2-bit, scales: [16] Int8, d: f16
        case .q8_K: return (256, 292)  // d: f32, qs: [256] Int8, bsums: [16] Int16
        case .iq4_nl: return (32, 18)  // d: f16, qs: [16] nibbles indexing a 16-value table
        case .iq4_xs: return (256, 136) // d: f16, scales_h: u16, scales_l: [4], qs: [128]
        }
    }

    /// Elements per storage block (1 for plain floats).
    @inline(__always)
    public var blockElements: Int { geometry.elements }

    /// Bytes per storage block.
    @inline(__always)
    public var blockBytes: Int { geometry.bytes }

    /// Whether values are stored in multi-element blocks (and matmuls take the integer path).
    public var isBlockQuantized: Bool { blockElements > 1 }

    /// Bytes of a row of `elements` values; nil when `elements` is not a whole number of blocks.
    public func rowBytes(_ elements: Int) -> Int? {
        guard elements >= 0, elements % blockElements == 0 else { return nil }
        let (bytes, overflow) = (elements / blockElements).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// GGML's name (`f32`, `q8_0`, `q4_K`, `iq4_xs`, ...).
    public var description: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .q4_0: return "q4_0"
        case .q4_1: return "q4_1"
        case .q5_0: return "q5_0"
        case .q5_1: return "q5_1"
        case .q8_0: return "q8_0"
        case .q2_K: return "q2_K"
        case .q3_K: return "q3_K"
        case .q4_K: return "q4_K"
        case .q5_K: return "q5_K"
        case .q6_K: return "q6_K"
        case .q8_K: return "q8_K"
        case .iq4_nl: return "iq4_nl"
        case .iq4_xs: return "iq4_xs"
        case .bf16: return "bf16"
        }
    }

    /// The type named `name` (GGML's spelling, any letter case), or nil.
    public init?(name: String) {
        let lowered = name.lowercased()
        guard let match = DType.allCases.first(where: { $0.description.lowercased() == lowered }) else { return nil }
        self = match
    }

    /// How the matmul input must be quantized for weights of this type (llama.cpp's
    /// `vec_dot_type`): floats for float weights, 32-element 8-bit blocks for the 32-element
    /// types, 256-element blocks with 16-element sums for the K-quants and IQ4_XS.
    public var activationFormat: ActivationFormat {
        switch self {
        case .f32, .f16, .bf16: return .floats
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_nl: return .q8
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs, .q8_K: return .q8K
        }
    }

    /// Whether matmuls read weights of this type (every type but `q8_K`, an activation format).
    public var isWeightType: Bool { self != .q8_K }

    /// The names of every weight type, comma-separated, for messages.
    public static var weightTypeNames: String {
        allCases.filter(\.isWeightType).map(\.description).joined(separator: ", ")
    }
}
