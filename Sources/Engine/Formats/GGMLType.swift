import StrataRuntime

/// A tensor element type id from a GGUF tensor table, with its storage block geometry.
/// The reader knows the geometry of GGML's common types so that `inspect` can list any
/// file; inference supports the types that map to a Runtime `DType`, whose own table
/// (`DType.geometry`) gives their geometry here.
public struct GGMLType: Equatable, Sendable, CustomStringConvertible {
    public let id: UInt32
    public let name: String
    public let blockElements: Int
    public let blockBytes: Int

    /// The Runtime type for kernels, or nil when inference does not support this type.
    public var dtype: DType? { DType(rawValue: id) }

    /// The type for a Runtime dtype.
    public init(_ dtype: DType) {
        self.init(id: dtype.rawValue, name: dtype.description, blockElements: dtype.blockElements, blockBytes: dtype.blockBytes)
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

    /// GGML types that files may hold but no kernel here reads (sizes from `ggml-common.h`).
    static let storageOnly: [GGMLType] = [
        GGMLType(id: 9, name: "q8_1", blockElements: 32, blockBytes: 36),
        GGMLType(id: 16, name: "iq2_xxs", blockElements: 256, blockBytes: 66),
        GGMLType(id: 17, name: "iq2_xs", blockElements: 256, blockBytes: 74),
        GGMLType(id: 18, name: "iq3_xxs", blockElements: 256, blockBytes: 98),
        GGMLType(id: 19, name: "iq1_s", blockElements: 256, blockBytes: 50),
        GGMLType(id: 21, name: "iq3_s", blockElements: 256, blockBytes: 110),
        GGMLType(id: 22, name: "iq2_s", blockElements: 256, blockBytes: 82),
        GGMLType(id: 24, name: "i8", blockElements: 1, blockBytes: 1),
        GGMLType(id: 25, name: "i16", blockElements: 1, blockBytes: 2),
        GGMLType(id: 26, name: "i32", blockElements: 1, blockBytes: 4),
        GGMLType(id: 27, name: "i64", blockElements: 1, blockBytes: 8),
        GGMLType(id: 28, name: "f64", blockElements: 1, blockBytes: 8),
        GGMLType(id: 29, name: "iq1_m", blockElements: 256, blockBytes: 56),
        GGMLType(id: 34, name: "tq1_0", blockElements: 256, blockBytes: 54),
        GGMLType(id: 35, name: "tq2_0", blockElements: 256, blockBytes: 66),
        GGMLType(id: 39, name: "mxfp4", blockElements: 32, blockBytes: 17),
    ]

    static let known: [UInt32: GGMLType] = {
        var out: [UInt32: GGMLType] = [:]
        for dtype in DType.allCases { out[dtype.rawValue] = GGMLType(dtype) }
        for t in storageOnly { out[t.id] = t }
        return out
    }()
}
