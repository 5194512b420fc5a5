import Memory
import StrataRuntime

/// A safetensors file mapped read-only: an 8-byte little-endian header length, a JSON header
/// naming every tensor's dtype, shape and byte range, then the data. Everything in the header
/// is validated at open (ranges inside the data, sizes matching shapes, no overlaps); tensor
/// data stays in the mapping, untouched until used. (A name given twice keeps its last entry,
/// as JSONSerialization reads it; unused gaps between tensors are allowed.)
public final class SafetensorsFile: @unchecked Sendable {
    /// One tensor of the header.
    public struct Entry: Equatable, Sendable {
        public let name: String
        /// The format's dtype name: `F32`, `F16`, `BF16`, `I64`, ...
        public let dtypeName: String
        /// Dimensions, outermost first (PyTorch order: `[rows, columns]` for a matrix).
        public let shape: [Int]
        /// Absolute offset of the data in the file.
        public let offset: Int
        public let byteCount: Int

        /// The engine's type for this dtype, if it computes with it.
        public var dtype: DType? { SafetensorsFile.dtypes[dtypeName] }
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// Bytes per element of every dtype the format defines.
    static let elementBytes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]
    static let dtypes: [String: DType] = ["F32": .f32, "F16": .f16, "BF16": .bf16]
    /// The header size the format allows at most (100 MB, as the reference implementation).
    static let maxHeaderBytes = 100_000_000

    public let file: MappedFile
    /// Tensors by name.
    public let tensors: [String: Entry]
    /// The header's `__metadata__` strings.
    public let metadata: [String: String]
    /// Absolute offset where the data section starts.
    public let dataOffset: Int

    /// Whether `file` starts as a safetensors file does (a plausible header length, then `{`).
    public static func recognizes(_ file: MappedFile) -> Bool {
        let bytes = file.unsafeBytes
        guard bytes.count >= 10 else { return false }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        return declared >= 2 && declared <= UInt64(bytes.count - 8) && bytes[8] == UInt8(ascii: "{")
    }

    /// Opens and validates `path`.
    public convenience init(path: String) throws(ModelFileError) {
        try self.init(file: MappedFile.modelFile(path))
    }

    public init(file: MappedFile) throws(ModelFileError) {
        self.file = file
        let bytes = file.unsafeBytes
        guard bytes.count >= 8 else { throw .truncated(section: "header length", offset: 0, needed: 8, fileSize: bytes.count) }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared >= 2, declared <= UInt64(min(Self.maxHeaderBytes, bytes.count - 8)) else {
            throw .absurdCount(what: "safetensors header length", count: declared, limit: UInt64(min(Self.maxHeaderBytes, bytes.count - 8)))
        }
        let headerBytes = Int(declared)
        dataOffset = 8 + headerBytes
        let source = "\(file.path) (safetensors header)"
        let header = try JSONObject(bytes: UnsafeRawBufferPointer(rebasing: bytes[8..<dataOffset]), source: source)
        let dataBytes = bytes.count - dataOffset

        var tensors: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Range<Int>, String)] = []
        for (name, value) in header.fields {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw .malformedJSON(file: source, reason: "__metadata__ should be an object") }
                for (key, value) in map {
                    guard let text = value as? String else { throw .malformedJSON(file: source, reason: "__metadata__ '\(key)' should be a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any] else { throw .malformedJSON(file: source, reason: "tensor '\(name)' should be an object") }
            let entry = try Self.entry(name, JSONObject(fields: fields, source: "\(source) tensor '\(name)'"),
                                       dataOffset: dataOffset, dataBytes: dataBytes)
            tensors[name] = entry
            if entry.byteCount > 0 { ranges.append(((entry.offset - dataOffset)..<(entry.offset - dataOffset + entry.byteCount), name)) }
        }
        ranges.sort { $0.0.lowerBound < $1.0.lowerBound }
        for i in ranges.indices.dropFirst() where ranges[i].0.lowerBound < ranges[i - 1].0.upperBound {
            throw .malformedJSON(file: source, reason: "tensors '\(ranges[i - 1].1)' and '\(ranges[i].1)' overlap")
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    static func entry(_ name: String, _ object: JSONObject, dataOffset: Int, dataBytes: Int) throws(ModelFileError) -> Entry {
        let dtypeName = try object.string("dtype")
        guard let size = elementBytes[dtypeName] else {
            throw .malformedJSON(file: object.source, reason: "unknown dtype '\(dtypeName)'")
        }
        let rawShape = try object.array("shape")
        // Every dimension checked before any product, so that the error below can list them all.
        let shape = rawShape.compactMap { JSONObject.integer($0) }.filter { $0 >= 0 }
        guard shape.count == rawShape.count else {
            throw .malformedJSON(file: object.source, reason: "shape \(rawShape) holds a non-integer or negative dimension")
        }
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, product <= dataBytes else {
                throw .badDimensions(tensor: name, dims: shape.map(UInt64.init), reason: "more elements than the file holds")
            }
            elements = product
        }
        let offsets = try object.array("data_offsets")
        guard offsets.count == 2, let begin = JSONObject.integer(offsets[0]), let end = JSONObject.integer(offsets[1]),
              begin >= 0, end >= begin else {
            throw .malformedJSON(file: object.source, reason: "data_offsets should be two increasing integers")
        }
        guard end <= dataBytes else {
            throw .tensorOutOfBounds(tensor: name, offset: UInt64(begin), bytes: UInt64(end - begin), available: UInt64(dataBytes))
        }
        guard end - begin == elements * size else {
            throw .badDimensions(tensor: name, dims: shape.map(UInt64.init),
                                 reason: "\(elements) \(dtypeName) elements need \(elements * size) bytes, data_offsets give \(end - begin)")
        }
        return Entry(name: name, dtypeName: dtypeName, shape: shape, offset: dataOffset + begin, byteCount: end - begin)
    }

    /// The start of a tensor's bytes; valid while this file is alive.
    public func unsafeData(of entry: Entry) -> UnsafeRawPointer {
        file.unsafeBytes.baseAddress! + entry.offset
    }
}
