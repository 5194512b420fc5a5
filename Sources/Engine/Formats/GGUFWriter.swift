#if canImport(Glibc)
import Glibc
#endif

/// Writes GGUF v3 files: metadata in insertion order, a tensor table with aligned offsets,
/// then each tensor's bytes produced by a caller's closure (so large files stream out
/// without being held in memory).
public struct GGUFWriter {
    /// Failures while writing.
    public enum WriteError: Error, CustomStringConvertible {
        case cannotCreate(path: String, errno: Int32)
        case writeFailed(path: String, errno: Int32)
        case badTensor(name: String, reason: String)

        public var description: String {
            switch self {
            case .cannotCreate(let path, let e): return "\(path): cannot create (errno \(e))"
            case .writeFailed(let path, let e): return "\(path): write failed (errno \(e))"
            case .badTensor(let name, let reason): return "tensor '\(name)': \(reason)"
            }
        }
    }

    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    public private(set) var tensors: [GGUFTensorInfo] = []
    public let alignment: Int
    private var dataSize = 0

    /// A writer whose tensor data is aligned to `alignment` bytes (a power of two).
    public init(alignment: Int = GGUFFile.defaultAlignment) {
        precondition(alignment > 0 && alignment.nonzeroBitCount == 1, "alignment must be a power of two")
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment {
            metadata.append(("general.alignment", .uint32(UInt32(alignment))))
        }
    }

    /// Appends a metadata entry. An array's elements must all be of its element type.
    public mutating func add(_ key: String, _ value: GGUFValue) {
        precondition(value.isWellTyped, "metadata '\(key)': array elements do not match the array's element type")
        metadata.append((key, value))
    }

    /// Appends a tensor of `dims` (GGML order, ne0 first) and `type`; returns its table entry.
    @discardableResult
    public mutating func addTensor(_ name: String, dims: [Int], type: GGMLType) throws(WriteError) -> GGUFTensorInfo {
        guard !dims.isEmpty, dims.count <= GGUFFile.maxDims, dims.allSatisfy({ $0 >= 1 }) else {
            throw .badTensor(name: name, reason: "dimensions \(dims) are invalid")
        }
        guard dims[0] % type.blockElements == 0 else {
            throw .badTensor(name: name, reason: "ne0 \(dims[0]) is not a multiple of \(type.blockElements)")
        }
        let bytes = dims.reduce(1, *) / type.blockElements * type.blockBytes
        let info = GGUFTensorInfo(name: name, dims: dims, type: type, offset: dataSize, byteCount: bytes)
        tensors.append(info)
        dataSize = align(dataSize + bytes)
        return info
    }

    private func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// The header, metadata and tensor table, padded to the data section.
    public func encodeHeader() -> [UInt8] {
        var out: [UInt8] = []
        out.append(le: GGUFFile.magic)
        out.append(le: UInt32(3))
        out.append(le: UInt64(tensors.count))
        out.append(le: UInt64(metadata.count))
        for (key, value) in metadata {
            out.appendString(key)
            out.append(le: value.type.rawValue)
            out.appendValue(value)
        }
        for t in tensors {
            out.appendString(t.name)
            out.append(le: UInt32(t.dims.count))
            for d in t.dims { out.append(le: UInt64(d)) }
            out.append(le: t.type.id)
            out.append(le: UInt64(t.offset))
        }
        out.append(contentsOf: repeatElement(0, count: align(out.count) - out.count))
        return out
    }

    /// The whole file in memory; `fill` writes each tensor's bytes (zeroed beforehand).
    public func encode(fill: (GGUFTensorInfo, UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> [UInt8] {
        var out = encodeHeader()
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: dataSize))
        try out.withUnsafeMutableBytes { all in
            for t in tensors {
                try fill(t, UnsafeMutableRawBufferPointer(rebasing: all[(start + t.offset)..<(start + t.offset + t.byteCount)]))
            }
        }
        return out
    }

    /// Streams the file to `path`; `fill` writes each tensor's bytes into a reused buffer.
    public func write(to path: String, fill: (GGUFTensorInfo, UnsafeMutableRawBufferPointer) throws -> Void) throws {
        guard let f = fopen(path, "wb") else { throw WriteError.cannotCreate(path: path, errno: errno) }
        defer { fclose(f) }
        func put(_ p: UnsafeRawPointer, _ n: Int) throws {
            if n > 0, fwrite(p, 1, n, f) != n { throw WriteError.writeFailed(path: path, errno: errno) }
        }
        let header = encodeHeader()
        try header.withUnsafeBytes { try put($0.baseAddress!, $0.count) }
        let largest = tensors.map(\.byteCount).max() ?? 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(largest, alignment), alignment: 64)
        defer { buffer.deallocate() }
        var written = 0
        for t in tensors {
            if t.offset > written {
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
                try put(buffer.baseAddress!, t.offset - written)
            }
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<t.byteCount])
            slice.initializeMemory(as: UInt8.self, repeating: 0)
            try fill(t, slice)
            try put(slice.baseAddress!, t.byteCount)
            written = t.offset + t.byteCount
        }
        if dataSize > written {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            try put(buffer.baseAddress!, dataSize - written)
        }
        if fflush(f) != 0 { throw WriteError.writeFailed(path: path, errno: errno) }
    }
}

extension [UInt8] {
    mutating func append<T: FixedWidthInteger>(le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendString(_ s: String) {
        let utf8 = Array(s.utf8)
        append(le: UInt64(utf8.count))
        append(contentsOf: utf8)
    }

    mutating func appendValue(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): append(le: v)
        case .int8(let v): append(le: v)
        case .uint16(let v): append(le: v)
        case .int16(let v): append(le: v)
        case .uint32(let v): append(le: v)
        case .int32(let v): append(le: v)
        case .float32(let v): append(le: v.bitPattern)
        case .bool(let v): append(le: UInt8(v ? 1 : 0))
        case .string(let v): appendString(v)
        case .uint64(let v): append(le: v)
        case .int64(let v): append(le: v)
        case .float64(let v): append(le: v.bitPattern)
        case .array(let t, let values):
            append(le: t.rawValue)
            append(le: UInt64(values.count))
            for v in values { appendValue(v) }
        }
    }
}
