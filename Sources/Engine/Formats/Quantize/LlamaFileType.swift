import StrataRuntime

/// llama.cpp's file types (`llama_ftype`, stored as `general.file_type`): what `strata quantize`
/// writes. Each has a default tensor type; the K-quant mixes (`_S`, `_M`, `_L`, and `q2_K`) and
/// the others too (their `output.weight` becomes Q6_K) give some tensors more bits, by
/// llama.cpp's per-tensor rule (`QuantizationPlan`). Only the types Strata can write are here.
public enum LlamaFileType: UInt32, CaseIterable, Sendable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 7
    case q5_0 = 8
    case q5_1 = 9
    case q2_K = 10
    case q3_K_S = 11
    case q3_K_M = 12
    case q3_K_L = 13
    case q4_K_S = 14
    case q4_K_M = 15
    case q5_K_S = 16
    case q5_K_M = 17
    case q6_K = 18
    case iq4_nl = 25
    case iq4_xs = 30
    case bf16 = 32

    /// The type of every matrix the mix does not single out (`llama_ftype_get_default_type`).
    public var defaultType: DType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q5_1: return .q5_1
        case .q8_0: return .q8_0
        case .q2_K: return .q2_K
        case .q3_K_S, .q3_K_M, .q3_K_L: return .q3_K
        case .q4_K_S, .q4_K_M: return .q4_K
        case .q5_K_S, .q5_K_M: return .q5_K
        case .q6_K: return .q6_K
        case .iq4_nl: return .iq4_nl
        case .iq4_xs: return .iq4_xs
        }
    }

    /// The file type of a model whose matrices are all `type`: the K-quants map to their `_S`
    /// mixes, the mostly-one-type ones. Nil for Q8_K, which no model stores.
    public init?(mostly type: DType) {
        switch type {
        case .q3_K: self = .q3_K_S
        case .q4_K: self = .q4_K_S
        case .q5_K: self = .q5_K_S
        case .q8_K: return nil
        default:
            guard let match = LlamaFileType.allCases.first(where: { $0.defaultType == type }) else { return nil }
            self = match
        }
    }

    /// llama-quantize's name: the tensor type's name, with `_S`, `_M`, `_L` for the mixes.
    public var description: String {
        switch self {
        case .q3_K_S: return "q3_K_S"
        case .q3_K_M: return "q3_K_M"
        case .q3_K_L: return "q3_K_L"
        case .q4_K_S: return "q4_K_S"
        case .q4_K_M: return "q4_K_M"
        case .q5_K_S: return "q5_K_S"
        case .q5_K_M: return "q5_K_M"
        default: return defaultType.description
        }
    }

    /// The file type named `name` (any letter case), as llama-quantize reads it: `q3_K`, `q4_K`
    /// and `q5_K` are its aliases for the `_M` mixes. Nil for an unknown name.
    public init?(name: String) {
        let lowered = name.lowercased()
        switch lowered {
        case "q3_k": self = .q3_K_M
        case "q4_k": self = .q4_K_M
        case "q5_k": self = .q5_K_M
        default:
            guard let match = LlamaFileType.allCases.first(where: { $0.description.lowercased() == lowered }) else { return nil }
            self = match
        }
    }

    /// The names `init(name:)` accepts, canonical ones first, for help and error messages.
    public static var names: [String] { allCases.map(\.description) }
}
