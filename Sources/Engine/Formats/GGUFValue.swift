/// A GGUF metadata value: every scalar type of the specification, strings, and arrays
/// (which may nest).
public indirect enum GGUFValue: Equatable, Sendable, CustomStringConvertible {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    /// An array of values that all have the GGUF type `elementType`.
    case array(elementType: GGUFValueType, values: [GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The GGUF type id of this value.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// The value as an integer, for any integer type that fits in `Int`.
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(exactly: v)
        default: return nil
        }
    }

    /// The value as a float, for float types (and integers, which convert exactly enough).
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    /// True unless an array (at any depth) holds an element of another type than it declares.
    public var isWellTyped: Bool {
        guard case .array(let t, let values) = self else { return true }
        return values.allSatisfy { $0.type == t && $0.isWellTyped }
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: [GGUFValue]? {
        if case .array(_, let values) = self { return values }
        return nil
    }

    /// A string array's elements, or nil if this is not an array of strings.
    public var strings: [String]? {
        guard case .array(let t, let values) = self, t == .string else { return nil }
        return values.map { $0.string ?? "" }
    }

    /// A numeric array's elements as floats.
    public var floats: [Float]? {
        guard let values = array else { return nil }
        var out: [Float] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard let d = v.double else { return nil }
            out.append(Float(d))
        }
        return out
    }

    /// An integer array's elements.
    public var ints: [Int]? {
        guard let values = array else { return nil }
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard let i = v.int else { return nil }
            out.append(i)
        }
        return out
    }

    public var description: String {
        switch self {
        case .uint8(let v): return "\(v)"
        case .int8(let v): return "\(v)"
        case .uint16(let v): return "\(v)"
        case .int16(let v): return "\(v)"
        case .uint32(let v): return "\(v)"
        case .int32(let v): return "\(v)"
        case .float32(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .string(let v): return "\"\(v)\""
        case .uint64(let v): return "\(v)"
        case .int64(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        case .array(let t, let values):
            let shown = values.prefix(6).map(\.description).joined(separator: ", ")
            let more = values.count > 6 ? ", ... (\(values.count) \(t))" : ""
            return "[\(shown)\(more)]"
        }
    }
}

/// GGUF metadata value type ids.
public enum GGUFValueType: UInt32, Sendable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Encoded size of a scalar; nil for strings and arrays.
    var scalarBytes: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The fewest bytes one element of this type can occupy in a file.
    var minimumEncodedBytes: Int {
        switch self {
        case .string: return 8
        case .array: return 12
        default: return scalarBytes!
        }
    }

    public var description: String {
        ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"][Int(rawValue)]
    }
}
