/// One entry of a GGUF tensor table, validated against the file.
public struct GGUFTensorInfo: Equatable, Sendable {
    public let name: String
    /// Dimensions in GGML order: `dims[0]` (ne0) moves fastest.
    public let dims: [Int]
    public let type: GGMLType
    /// Offset of the data from the start of the data section (a multiple of the alignment).
    public let offset: Int
    /// Bytes of data.
    public let byteCount: Int

    /// Number of elements.
    public var elementCount: Int { dims.reduce(1, *) }
    /// `dims[0]`: the length of a row.
    public var columns: Int { dims.first ?? 1 }
    /// The product of the dimensions after the first.
    public var rows: Int { dims.dropFirst().reduce(1, *) }
}
