import StrataRuntime
import Memory

/// Why a model or tokenizer file cannot be used; every case names what is wrong and where.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case file(MemoryError)
    /// The file ends before `section` does.
    case truncated(section: String, offset: Int, needed: Int, fileSize: Int)
    /// The first four bytes are not the format's magic.
    case badMagic(expected: String, found: UInt32)
    /// A format version this reader does not know.
    case unsupportedVersion(UInt32)
    /// A count or length that cannot fit in the file (or exceeds a hard limit).
    case absurdCount(what: String, count: UInt64, limit: UInt64)
    /// A metadata value type id outside the GGUF specification.
    case unknownValueType(key: String, type: UInt32)
    /// A tensor type id this reader does not know.
    case unknownTensorType(tensor: String, type: UInt32)
    /// `general.alignment` is zero or not a power of two.
    case badAlignment(UInt64)
    /// Arrays nested deeper than the reader allows.
    case nestingTooDeep(key: String)
    /// The same metadata key or tensor name appears twice.
    case duplicate(what: String, name: String)
    /// A tensor's dimensions are invalid (zero, too many, overflow, not a whole number of blocks).
    case badDimensions(tensor: String, dims: [UInt64], reason: String)
    /// A tensor's data lies outside the file.
    case tensorOutOfBounds(tensor: String, offset: UInt64, bytes: UInt64, available: UInt64)
    /// A tensor's data offset is not a multiple of the alignment.
    case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
    /// A required metadata key is missing.
    case missingKey(String)
    /// A metadata key holds the wrong kind of value.
    case wrongKeyType(key: String, expected: String)
    /// A required tensor is missing.
    case missingTensor(String)
    /// A tensor's shape does not match the architecture's hyperparameters.
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    /// A tensor's element type is not supported for inference.
    case unsupportedTensorType(tensor: String, type: String)
    /// The `general.architecture` is not one this engine runs.
    case unsupportedArchitecture(String)
    /// A hyperparameter is out of range.
    case invalidHyperparameter(name: String, value: String, reason: String)
    /// A norm weight, bias or factor vector holds NaN or infinity.
    case nonFiniteValues(tensor: String, index: Int)
    /// The tokenizer data is inconsistent.
    case invalidTokenizer(String)
    /// A JSON document (safetensors header, config.json, tokenizer.json) is not what the format says.
    case malformedJSON(file: String, reason: String)
    /// A model directory lacks a file its format needs.
    case missingFile(String)
    /// The model is of another kind than the command runs (an embedding model given to `run`).
    case wrongModelKind(path: String, advice: String)

    public var description: String {
        switch self {
        case .file(let e):
            return e.description
        case .truncated(let section, let offset, let needed, let fileSize):
            return "file truncated in \(section): needs \(needed) bytes at offset \(offset), file has \(fileSize)"
        case .badMagic(let expected, let found):
            return "not a \(expected) file (magic 0x\(String(found, radix: 16)))"
        case .unsupportedVersion(let v):
            return "unsupported format version \(v)"
        case .absurdCount(let what, let count, let limit):
            return "\(what) is \(count), more than the file can hold (limit \(limit))"
        case .unknownValueType(let key, let type):
            return "metadata key '\(key)' has unknown value type \(type)"
        case .unknownTensorType(let tensor, let type):
            return "tensor '\(tensor)' has unknown type id \(type)"
        case .badAlignment(let a):
            return "general.alignment \(a) is not a positive power of two"
        case .nestingTooDeep(let key):
            return "metadata key '\(key)' nests arrays too deeply"
        case .duplicate(let what, let name):
            return "duplicate \(what) '\(name)'"
        case .badDimensions(let tensor, let dims, let reason):
            return "tensor '\(tensor)' has bad dimensions \(dims): \(reason)"
        case .tensorOutOfBounds(let tensor, let offset, let bytes, let available):
            return "tensor '\(tensor)' data (\(bytes) bytes at data offset \(offset)) lies past the end of the file (\(available) data bytes)"
        case .misalignedTensor(let tensor, let offset, let alignment):
            return "tensor '\(tensor)' offset \(offset) is not a multiple of the alignment \(alignment)"
        case .missingKey(let key):
            return "required metadata key '\(key)' is missing"
        case .wrongKeyType(let key, let expected):
            return "metadata key '\(key)' should be \(expected)"
        case .missingTensor(let name):
            return "required tensor '\(name)' is missing"
        case .wrongShape(let tensor, let expected, let found):
            return "tensor '\(tensor)' has shape \(found), the architecture needs \(expected)"
        case .unsupportedTensorType(let tensor, let type):
            return "tensor '\(tensor)' has type \(type), which inference does not support (supported: \(DType.weightTypeNames))"
        case .unsupportedArchitecture(let arch):
            return "architecture '\(arch)' is not supported (supported: \(ModelRegistry.supported.joined(separator: ", ")))"
        case .invalidHyperparameter(let name, let value, let reason):
            return "hyperparameter \(name) = \(value) is invalid: \(reason)"
        case .nonFiniteValues(let tensor, let index):
            return "tensor \(tensor) holds a non-finite value (NaN or infinity) at element \(index): the file is damaged"
        case .invalidTokenizer(let reason):
            return "invalid tokenizer: \(reason)"
        case .malformedJSON(let file, let reason):
            return "\(file): \(reason)"
        case .missingFile(let path):
            return "required file '\(path)' is missing"
        case .wrongModelKind(let path, let advice):
            return "\(path): \(advice)"
        }
    }
}

extension ModelFileError {
    /// Throws `.nonFiniteValues` at the first NaN or infinity among `count` floats (norms,
    /// biases, factors: small vectors, read once at load, that would poison every output).
    /// Read without the kernel's read-around: opening a model reads these vectors, not the
    /// weights beside them.
    static func checkFinite(_ values: UnsafePointer<Float>, count: Int, tensor: String) throws(ModelFileError) {
        let bad = Syscalls.withoutReadAround(values, bytes: count * MemoryLayout<Float>.stride) {
            (0..<count).first { !values[$0].isFinite }
        }
        if let bad { throw .nonFiniteValues(tensor: tensor, index: bad) }
    }
}
