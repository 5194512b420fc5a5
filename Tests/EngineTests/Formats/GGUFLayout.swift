/// The offset of every field of a well-formed GGUF file, found by a walker written for the
/// tests from the specification (ggml-org/ggml docs/gguf.md), independently of `GGUFFile`.
/// Malformed files are made by patching the fields it locates.
struct GGUFLayout {
    /// One metadata entry: `key_length u64, key, type u32, value`.
    struct Entry {
        let key: String
        /// Offset of the key's u64 length.
        let start: Int
        /// Offset of the value type (u32).
        let typeOffset: Int
        /// Offset of the value.
        let valueOffset: Int
        /// Offset just past the value.
        let end: Int
        let valueType: UInt32
        /// For an array: offset of each element of the outer array.
        let elementOffsets: [Int]

        /// For an array: offset of its element type (u32) and of its count (u64).
        var arrayElementTypeOffset: Int { valueOffset }
        var arrayCountOffset: Int { valueOffset + 4 }
    }

    /// One tensor info: `name_length u64, name, n_dims u32, dims u64[n_dims], type u32, offset u64`.
    struct TensorEntry {
        let name: String
        let start: Int
        let nDimsOffset: Int
        let dimOffsets: [Int]
        let dims: [UInt64]
        let typeOffset: Int
        let type: UInt32
        let offsetOffset: Int
        /// Data offset relative to the data section.
        let dataOffset: UInt64
        let end: Int
    }

    static let versionOffset = 4
    static let tensorCountOffset = 8
    static let metadataCountOffset = 16

    var entries: [Entry] = []
    var tensors: [TensorEntry] = []
    /// Offset just past the tensor table.
    var tableEnd = 0
    var alignment = 32
    /// Offset of the data section (the table end rounded up to the alignment).
    var dataStart: Int { (tableEnd + alignment - 1) / alignment * alignment }

    init(_ bytes: [UInt8]) {
        var at = 8
        func u32() -> UInt32 { defer { at += 4 }; return bytes.load(UInt32.self, at: at) }
        func u64() -> UInt64 { defer { at += 8 }; return bytes.load(UInt64.self, at: at) }
        func string() -> String {
            let n = Int(u64())
            defer { at += n }
            return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
        }
        func skipValue(_ type: UInt32) -> [Int] {
            switch type {
            case 0, 1, 7: at += 1
            case 2, 3: at += 2
            case 4, 5, 6: at += 4
            case 10, 11, 12: at += 8
            case 8: _ = string()
            case 9:
                let elementType = u32()
                let count = Int(u64())
                var starts: [Int] = []
                for _ in 0..<count {
                    starts.append(at)
                    _ = skipValue(elementType)
                }
                return starts
            default: preconditionFailure("GGUFLayout walks well-formed files only")
            }
            return []
        }
        let tensorCount = Int(u64())
        let metadataCount = Int(u64())
        for _ in 0..<metadataCount {
            let start = at
            let key = string()
            let typeOffset = at
            let type = u32()
            let valueOffset = at
            let elements = skipValue(type)
            entries.append(Entry(key: key, start: start, typeOffset: typeOffset, valueOffset: valueOffset,
                                 end: at, valueType: type, elementOffsets: elements))
            if key == "general.alignment", type == 4 {
                alignment = Int(bytes.load(UInt32.self, at: valueOffset))
            }
        }
        for _ in 0..<tensorCount {
            let start = at
            let name = string()
            let nDimsOffset = at
            let rank = Int(u32())
            var dimOffsets: [Int] = []
            var dims: [UInt64] = []
            for _ in 0..<rank {
                dimOffsets.append(at)
                dims.append(u64())
            }
            let typeOffset = at
            let type = u32()
            let offsetOffset = at
            let offset = u64()
            tensors.append(TensorEntry(name: name, start: start, nDimsOffset: nDimsOffset, dimOffsets: dimOffsets,
                                       dims: dims, typeOffset: typeOffset, type: type, offsetOffset: offsetOffset,
                                       dataOffset: offset, end: at))
        }
        tableEnd = at
    }

    func entry(_ key: String) -> Entry { entries.first { $0.key == key }! }
    func tensor(_ name: String) -> TensorEntry { tensors.first { $0.name == name }! }
}
