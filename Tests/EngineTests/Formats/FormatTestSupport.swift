import Engine
import Foundation
import Memory
import Testing
import TestSupport

// Helpers shared by the format tests: temporary files, byte patching, error capture.

/// The bytes of a file, read with Foundation (independently of `MappedFile`).
func fileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes `contents` to a fresh temporary file, runs `body` with its path, then deletes it.
@discardableResult
/// Runs `body` and returns the `ModelFileError` it threw, or nil if it returned.
func modelFileError(_ body: () throws(ModelFileError) -> Void) -> ModelFileError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// The error opening `bytes` (written to a temporary file) as a GGUF file, or nil if it opened.
func ggufOpenError(_ bytes: some Collection<UInt8>) throws -> ModelFileError? {
    try withTemporaryFile("malformed.gguf", contents: bytes) { path in
        modelFileError { () throws(ModelFileError) in _ = try GGUFFile(path: path) }
    }
}

extension [UInt8] {
    /// Little-endian integer at `offset`.
    func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        precondition(offset + MemoryLayout<T>.size <= count, "read past the end of the test bytes")
        return withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// Overwrites the little-endian integer at `offset`.
    mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        precondition(offset + MemoryLayout<T>.size <= count, "patch past the end of the test bytes")
        Swift.withUnsafeBytes(of: value.littleEndian) { replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }

    /// A copy with the integer at `offset` replaced.
    func patching<T: FixedWidthInteger>(_ value: T, at offset: Int) -> [UInt8] {
        var copy = self
        copy.patch(value, at: offset)
        return copy
    }
}

extension ModelFileError {
    /// The case, without its payload, so a test can accept any error of a kind.
    enum Kind: String, Sendable, CaseIterable {
        case file, truncated, badMagic, unsupportedVersion, absurdCount, unknownValueType, unknownTensorType
        case badAlignment, nestingTooDeep, duplicate, badDimensions, tensorOutOfBounds, misalignedTensor
        case missingKey, wrongKeyType, missingTensor, wrongShape, unsupportedTensorType, unsupportedArchitecture
        case invalidHyperparameter, nonFiniteValues, invalidTokenizer, malformedJSON, missingFile, wrongModelKind
    }

    var kind: Kind {
        switch self {
        case .file: return .file
        case .truncated: return .truncated
        case .badMagic: return .badMagic
        case .unsupportedVersion: return .unsupportedVersion
        case .absurdCount: return .absurdCount
        case .unknownValueType: return .unknownValueType
        case .unknownTensorType: return .unknownTensorType
        case .badAlignment: return .badAlignment
        case .nestingTooDeep: return .nestingTooDeep
        case .duplicate: return .duplicate
        case .badDimensions: return .badDimensions
        case .tensorOutOfBounds: return .tensorOutOfBounds
        case .misalignedTensor: return .misalignedTensor
        case .missingKey: return .missingKey
        case .wrongKeyType: return .wrongKeyType
        case .missingTensor: return .missingTensor
        case .wrongShape: return .wrongShape
        case .unsupportedTensorType: return .unsupportedTensorType
        case .unsupportedArchitecture: return .unsupportedArchitecture
        case .invalidHyperparameter: return .invalidHyperparameter
        case .nonFiniteValues: return .nonFiniteValues
        case .invalidTokenizer: return .invalidTokenizer
        case .malformedJSON: return .malformedJSON
        case .missingFile: return .missingFile
        case .wrongModelKind: return .wrongModelKind
        }
    }
}

/// What a malformed input must throw.
enum ExpectedError: Sendable, CustomStringConvertible {
    /// Exactly this error, payload included.
    case exactly(ModelFileError)
    /// Any error of one of these kinds.
    case oneOf(Set<ModelFileError.Kind>)
    /// An error of `kind` whose payload passes a check (for payloads that depend on sizes).
    case matching(ModelFileError.Kind, @Sendable (ModelFileError) -> Bool)
    /// Any `ModelFileError`: the input is garbage whose first detected fault is incidental.
    case any

    static func kind(_ kind: ModelFileError.Kind) -> ExpectedError { .oneOf([kind]) }

    func accepts(_ error: ModelFileError) -> Bool {
        switch self {
        case .exactly(let expected): return error == expected
        case .oneOf(let kinds): return kinds.contains(error.kind)
        case .matching(let kind, let check): return error.kind == kind && check(error)
        case .any: return true
        }
    }

    var description: String {
        switch self {
        case .exactly(let e): return "exactly \(e)"
        case .oneOf(let kinds): return "one of " + kinds.map(\.rawValue).sorted().joined(separator: ", ")
        case .matching(let kind, _): return "a matching \(kind.rawValue)"
        case .any: return "any ModelFileError"
        }
    }
}

/// Bitwise equality of metadata values: floats compare by bit pattern (so NaN payloads
/// and signed zeros count), arrays by element type and elements.
func identical(_ a: GGUFValue, _ b: GGUFValue) -> Bool {
    switch (a, b) {
    case (.float32(let x), .float32(let y)): return x.bitPattern == y.bitPattern
    case (.float64(let x), .float64(let y)): return x.bitPattern == y.bitPattern
    case (.array(let ta, let va), .array(let tb, let vb)):
        return ta == tb && va.count == vb.count && zip(va, vb).allSatisfy { identical($0, $1) }
    case (.float32, _), (.float64, _), (.array, _): return false
    default: return a == b
    }
}
