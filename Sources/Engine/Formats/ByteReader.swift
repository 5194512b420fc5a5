/// A bounds-checked little-endian cursor over untrusted bytes. Every read checks the
/// remaining length first and throws `.truncated` naming the section being read.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    /// Name of what is being read, for error messages.
    var section: String

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, section: String) {
        self.bytes = bytes
        self.offset = offset
        self.section = section
    }

    var remaining: Int { bytes.count - offset }

    mutating func require(_ count: Int) throws(ModelFileError) {
        guard count >= 0, count <= remaining else {
            throw .truncated(section: section, offset: offset, needed: count, fileSize: bytes.count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(ModelFileError) -> T {
        try require(MemoryLayout<T>.size)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readFloat() throws(ModelFileError) -> Float {
        Float(bitPattern: try read(UInt32.self))
    }

    mutating func readDouble() throws(ModelFileError) -> Double {
        Double(bitPattern: try read(UInt64.self))
    }

    /// Reads `count` raw bytes, lent without copying.
    mutating func readBytes(_ count: Int) throws(ModelFileError) -> UnsafeRawBufferPointer {
        try require(count)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return slice
    }

    /// Reads a count from the file and checks that `count * minimumElementBytes` fits in
    /// what is left, so no allocation is ever sized by a hostile number.
    mutating func readCount<T: FixedWidthInteger>(_: T.Type, what: String, minimumElementBytes: Int) throws(ModelFileError) -> Int {
        let raw = try read(T.self)
        let limit = UInt64(remaining / max(1, minimumElementBytes))
        guard raw >= 0, UInt64(raw) <= limit else {
            throw .absurdCount(what: what, count: UInt64(truncatingIfNeeded: raw), limit: limit)
        }
        return Int(raw)
    }

    mutating func seek(to newOffset: Int) throws(ModelFileError) {
        guard newOffset >= 0, newOffset <= bytes.count else {
            throw .truncated(section: section, offset: offset, needed: newOffset - offset, fileSize: bytes.count)
        }
        offset = newOffset
    }
}
