import Memory

/// A GGUF v2/v3 file mapped read-only: metadata and the tensor table are parsed and
/// validated at open; tensor data stays in the mapping, untouched until used.
public final class GGUFFile: @unchecked Sendable {
    /// The "GGUF" magic as a little-endian UInt32.
    public static let magic: UInt32 = 0x4655_4747
    /// Default data alignment when `general.alignment` is absent.
    public static let defaultAlignment = 32
    /// Arrays nest at most this deep (the spec allows nesting; hostile files abuse it).
    static let maxNesting = 4
    /// Metadata array elements in a whole file at most: real vocabularies hold about a
    /// million (tokens, scores, types, merges); each parsed element costs ~40 bytes.
    static let maxMetadataElements = 4 << 20
    /// Counts read from a file size nothing up front beyond this: storage grows only with
    /// what actually parses, so a lying count cannot reserve memory the file does not back.
    static let maxReservation = 1 << 16
    /// GGML's maximum tensor rank.
    static let maxDims = 4

    public let file: MappedFile
    public let version: UInt32
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// The tensor table in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Absolute file offset of the data section.
    public let dataOffset: Int
    private let tensorIndex: [String: Int]

    /// Opens and validates `path`.
    public convenience init(path: String) throws(ModelFileError) {
        let file = try MappedFile.modelFile(path)
        try self.init(file: file)
    }

    /// Parses an already mapped file.
    public init(file: MappedFile) throws(ModelFileError) {
        self.file = file
        let bytes = file.unsafeBytes
        var r = ByteReader(bytes, section: "header")
        let magic = try r.read(UInt32.self)
        guard magic == GGUFFile.magic else { throw .badMagic(expected: "GGUF", found: magic) }
        let version = try r.read(UInt32.self)
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        self.version = version
        // A tensor info is at least 8 (name) + 4 (n_dims) + 4 (type) + 8 (offset) bytes; a kv at least 8 + 4 + 1.
        let tensorCount = try r.readCount(UInt64.self, what: "tensor count", minimumElementBytes: 24)
        let kvCount = try r.readCount(UInt64.self, what: "metadata count", minimumElementBytes: 13)

        var keys: [String] = []
        var elementBudget = GGUFFile.maxMetadataElements
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(min(kvCount, GGUFFile.maxReservation))
        for i in 0..<kvCount {
            r.section = "metadata entry \(i)"
            let key = try GGUFFile.readString(&r, what: "metadata key length")
            r.section = "metadata '\(key)'"
            let rawType = try r.read(UInt32.self)
            guard let type = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(key: key, type: rawType) }
            let value = try GGUFFile.readValue(&r, type: type, key: key, depth: 0, budget: &elementBudget)
            guard metadata.updateValue(value, forKey: key) == nil else { throw .duplicate(what: "metadata key", name: key) }
            keys.append(key)
        }
        self.metadataKeys = keys
        self.metadata = metadata

        var alignment = GGUFFile.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard let v = a.int else { throw .wrongKeyType(key: "general.alignment", expected: "an integer") }
            guard v > 0, v.nonzeroBitCount == 1, v <= 1 << 20 else {
                throw .badAlignment(UInt64(truncatingIfNeeded: v))
            }
            alignment = v
        }
        self.alignment = alignment

        // Read the table first: the data section starts after it.
        var raw: [(name: String, dims: [UInt64], type: UInt32, offset: UInt64)] = []
        raw.reserveCapacity(min(tensorCount, GGUFFile.maxReservation))
        for i in 0..<tensorCount {
            r.section = "tensor info \(i)"
            let name = try GGUFFile.readString(&r, what: "tensor name length")
            r.section = "tensor info '\(name)'"
            let nDims = try r.read(UInt32.self)
            guard nDims >= 1, nDims <= GGUFFile.maxDims else {
                throw .badDimensions(tensor: name, dims: [], reason: "rank \(nDims) is not in 1...\(GGUFFile.maxDims)")
            }
            var dims: [UInt64] = []
            for _ in 0..<nDims { dims.append(try r.read(UInt64.self)) }
            let type = try r.read(UInt32.self)
            let offset = try r.read(UInt64.self)
            raw.append((name, dims, type, offset))
        }
        let tableEnd = r.offset
        let (padded, overflow) = tableEnd.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw .badAlignment(UInt64(alignment)) }
        let dataOffset = padded / alignment * alignment
        // A file with no tensors (a vocab-only file) may end right after the table.
        if tensorCount > 0, dataOffset > bytes.count {
            throw .truncated(section: "data section padding", offset: tableEnd, needed: dataOffset - tableEnd, fileSize: bytes.count)
        }
        self.dataOffset = dataOffset
        let available = UInt64(max(0, bytes.count - dataOffset))

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        tensors.reserveCapacity(raw.count)
        for t in raw {
            guard let type = GGMLType(id: t.type) else { throw .unknownTensorType(tensor: t.name, type: t.type) }
            var elements: UInt64 = 1
            for d in t.dims {
                guard d >= 1 else { throw .badDimensions(tensor: t.name, dims: t.dims, reason: "a dimension is zero") }
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard !o, p <= UInt64(Int.max / 8) else {
                    throw .badDimensions(tensor: t.name, dims: t.dims, reason: "element count overflows")
                }
                elements = p
            }
            guard t.dims[0] % UInt64(type.blockElements) == 0 else {
                throw .badDimensions(tensor: t.name, dims: t.dims, reason: "ne0 is not a multiple of the \(type.name) block size \(type.blockElements)")
            }
            let byteCount = elements / UInt64(type.blockElements) * UInt64(type.blockBytes)
            guard t.offset % UInt64(alignment) == 0 else {
                throw .misalignedTensor(tensor: t.name, offset: t.offset, alignment: alignment)
            }
            guard t.offset <= available, byteCount <= available - t.offset else {
                throw .tensorOutOfBounds(tensor: t.name, offset: t.offset, bytes: byteCount, available: available)
            }
            guard index.updateValue(tensors.count, forKey: t.name) == nil else {
                throw .duplicate(what: "tensor", name: t.name)
            }
            tensors.append(GGUFTensorInfo(
                name: t.name, dims: t.dims.map { Int($0) }, type: type,
                offset: Int(t.offset), byteCount: Int(byteCount)))
        }
        self.tensors = tensors
        self.tensorIndex = index
    }

    /// The tensor named `name`, if present.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The start of a tensor's bytes in the mapping; valid while this file is alive.
    public func unsafeData(of tensor: GGUFTensorInfo) -> UnsafeRawPointer {
        file.unsafeBytes.baseAddress! + dataOffset + tensor.offset
    }

    /// `general.architecture`, if present.
    public var architecture: String? { metadata["general.architecture"]?.string }

    // MARK: - Parsing

    static func readString(_ r: inout ByteReader, what: String) throws(ModelFileError) -> String {
        let length = try r.readCount(UInt64.self, what: what, minimumElementBytes: 1)
        let raw = try r.readBytes(length)
        return String(decoding: raw, as: UTF8.self)
    }

    static func readValue(_ r: inout ByteReader, type: GGUFValueType, key: String, depth: Int, budget: inout Int) throws(ModelFileError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try r.read())
        case .int8: return .int8(try r.read())
        case .uint16: return .uint16(try r.read())
        case .int16: return .int16(try r.read())
        case .uint32: return .uint32(try r.read())
        case .int32: return .int32(try r.read())
        case .float32: return .float32(try r.readFloat())
        case .bool:
            let b: UInt8 = try r.read()
            guard b <= 1 else { throw .wrongKeyType(key: key, expected: "a bool (0 or 1), found \(b)") }
            return .bool(b == 1)
        case .string: return .string(try readString(&r, what: "length of string '\(key)'"))
        case .uint64: return .uint64(try r.read())
        case .int64: return .int64(try r.read())
        case .float64: return .float64(try r.readDouble())
        case .array:
            guard depth < maxNesting else { throw .nestingTooDeep(key: key) }
            let rawType = try r.read(UInt32.self)
            guard let elementType = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(key: key, type: rawType) }
            let count = try r.readCount(UInt64.self, what: "length of array '\(key)'", minimumElementBytes: elementType.minimumEncodedBytes)
            guard count <= budget else {
                throw .absurdCount(what: "metadata array elements (at '\(key)')", count: UInt64(count), limit: UInt64(budget))
            }
            budget -= count
            var values: [GGUFValue] = []
            values.reserveCapacity(min(count, GGUFFile.maxReservation))
            for _ in 0..<count {
                values.append(try readValue(&r, type: elementType, key: key, depth: depth + 1, budget: &budget))
            }
            return .array(elementType: elementType, values: values)
        }
    }
}
