import ArgumentParser
import StrataRuntime

/// Parses `--kv-type`.
enum KVTypeOption {
    static func parse(_ text: String) throws -> DType {
        switch text.lowercased() {
        case "f16": return .f16
        case "f32": return .f32
        case "q8_0": return .q8_0
        default: throw ValidationError("--kv-type must be f16, f32 or q8_0, not '\(text)'")
        }
    }
}
