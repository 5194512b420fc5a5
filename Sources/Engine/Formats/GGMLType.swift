import StrataRuntime

/// A tensor element type id from a GGUF tensor table, with its storage block geometry.
/// The reader knows the geometry of GGML's common types so that `inspect` can list any
/// file; inference supports the subset that maps to a Runtime `DType`.
public struct GGMLType: Equatable, Sendable, CustomStringConvertible {
    public let id: UInt32
    public let name: String
    public let blockElements: Int
    public let blockBytes: Int

    /// The Runtime type for kernels, or nil when inference does not support this type.
    public var dtype: DType? { DType(rawValue: id) }

    /// The type for a Runtime dtype.
    public init(_ dtype: DType) {
        self = GGMLType.known[dtype.rawValue]!
    }

    init(id: UInt32, name: String, blockElements: Int, blockBytes: Int) {
        self.id = id
        self.name = name
        self.blockElements = blockElements
        self.blockBytes = blockBytes
    }

    /// Looks up a type id; nil when unknown.
    public init?(id: UInt32) {
        guard let t = GGMLType.known[id] else { return nil }
        self = t
    }

    public var description: String { name }

    static let known: [UInt32: GGMLType] = {
        let table: [(UInt32, String, Int, Int)] = [
            (0, "f32", 1, 4), (1, "f16", 1, 2), (2, "q4_0", 32, 18), (3, "q4_1", 32, 20),
            (6, "q5_0", 32, 22), (7, "q5_1", 32, 24), (8, "q8_0", 32, 34), (9, "q8_1", 32, 36),
            (10, "q2_k", 256, 84), (11, "q3_k", 256, 110), (12, "q4_k", 256, 144),
            (13, "q5_k", 256, 176), (14, "q6_k", 256, 210), (15, "q8_k", 256, 292),
            (24, "i8", 1, 1), (25, "i16", 1, 2), (26, "i32", 1, 4), (27, "i64", 1, 8),
            (28, "f64", 1, 8), (30, "bf16", 1, 2),
        ]
        var out: [UInt32: GGMLType] = [:]
        for (id, name, e, b) in table { out[id] = GGMLType(id: id, name: name, blockElements: e, blockBytes: b) }
        return out
    }()
}
