/// JSON in and out, keeping object keys in order: tools arrive as JSON and templates write
/// them back with `tojson`, whose output must list keys as the request did (Foundation's
/// parsers do not keep the order).
extension JinjaValue {
    /// Why a JSON text could not be read.
    public enum JSONError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not valid JSON; `offset` is the byte where reading stopped.
        case invalid(String, offset: Int)

        public var description: String {
            switch self {
            case .invalid(let why, let offset): return "invalid JSON at byte \(offset): \(why)"
            }
        }
    }

    /// The value of a JSON text: objects keep their key order; numbers without a fraction or
    /// exponent that fit in Int are `.int`, others `.double`.
    public init(json text: String) throws(JSONError) {
        var reader = JSONReader(bytes: Array(text.utf8))
        reader.skipSpace()
        self = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.i == reader.bytes.count else { throw .invalid("unexpected text after the value", offset: reader.i) }
    }

    /// The JSON text as Python's `json.dumps` writes it (Hugging Face's `tojson`): separators
    /// `", "` and `": "`, or `","` and `": "` with an indent; non-ASCII kept unless
    /// `asciiOnly`; keys in order unless `sortKeys`. Nil for values JSON cannot hold
    /// (undefined, macros, ...), where Python raises. Past `maxLength` bytes writing stops: the
    /// text is cut there, longer than `maxLength` (a render refuses it).
    public func json(indent: String? = nil, asciiOnly: Bool = false, sortKeys: Bool = false,
                     separators: (item: String, key: String)? = nil, maxLength: Int = .max) -> String? {
        var writer = JSONWriter(indent: indent, asciiOnly: asciiOnly, sortKeys: sortKeys,
                                itemSeparator: separators?.item ?? (indent == nil ? ", " : ","),
                                keySeparator: separators?.key ?? ": ", maxLength: maxLength)
        guard writer.write(self, depth: 0) else { return nil }
        return writer.out
    }
}

private struct JSONWriter {
    let indent: String?
    let asciiOnly: Bool
    let sortKeys: Bool
    let itemSeparator: String
    let keySeparator: String
    let maxLength: Int
    var out = ""

    /// Whether the text is past `maxLength`, so writing stops.
    var isFull: Bool { out.utf8.count > maxLength }

    mutating func newline(_ depth: Int) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<depth where !isFull { out += indent }
    }

    mutating func write(_ value: JinjaValue, depth: Int) -> Bool {
        if isFull { return true }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            // Python writes the float's repr, and NaN/Infinity bare.
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : PythonText.formatFloat(d)
        case .string(let s): writeString(s)
        case .array(let items):
            guard !items.isEmpty else {
                out += "[]"
                return true
            }
            out += "["
            for (k, item) in items.enumerated() {
                if k > 0 { out += itemSeparator }
                newline(depth + 1)
                guard write(item, depth: depth + 1) else { return false }
            }
            newline(depth)
            out += "]"
        case .object(let object):
            guard !object.isEmpty else {
                out += "{}"
                return true
            }
            out += "{"
            var order = Array(object.keys.indices)
            if sortKeys { order.sort { object.keys[$0].unicodeScalars.lexicographicallyPrecedes(object.keys[$1].unicodeScalars) } }
            for (n, k) in order.enumerated() {
                if n > 0 { out += itemSeparator }
                newline(depth + 1)
                writeString(object.keys[k])
                out += keySeparator
                guard write(object.values[k], depth: depth + 1) else { return false }
            }
            newline(depth)
            out += "}"
        case .undefined, .runtime:
            return false
        }
        return true
    }

    mutating func writeString(_ s: String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + PythonText.hex(scalar.value, digits: 4)
                } else if asciiOnly && scalar.value > 0x7E {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += "\\u" + PythonText.hex(0xD800 + (v >> 10), digits: 4) + "\\u" + PythonText.hex(0xDC00 + (v & 0x3FF), digits: 4)
                    } else {
                        out += "\\u" + PythonText.hex(scalar.value, digits: 4)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var i = 0

    /// Deeper nesting is refused rather than risking the stack on hostile input.
    static let maxDepth = 512

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
    }

    func fail(_ why: String) -> JinjaValue.JSONError { .invalid(why, offset: i) }

    mutating func literal(_ word: StaticString, _ value: JinjaValue) throws(JinjaValue.JSONError) -> JinjaValue {
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { w in i + count <= bytes.count && (0..<count).allSatisfy { bytes[i + $0] == w[$0] } }
        guard matches else { throw fail("expected a value") }
        i += count
        return value
    }

    mutating func value(depth: Int) throws(JinjaValue.JSONError) -> JinjaValue {
        guard depth < Self.maxDepth else { throw fail("nested deeper than \(Self.maxDepth) levels") }
        guard i < bytes.count else { throw fail("expected a value, found the end") }
        switch bytes[i] {
        case UInt8(ascii: "n"): return try literal("null", .none)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            i += 1
            var items: [JinjaValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unclosed array") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                } else if bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(items)
                } else {
                    throw fail("expected ',' or ']'")
                }
            }
        case UInt8(ascii: "{"):
            i += 1
            var object = JinjaObject()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(object)
            }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key string") }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                object[key] = try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw fail("unclosed object") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                } else if bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(object)
                } else {
                    throw fail("expected ',' or '}'")
                }
            }
        default:
            return try number()
        }
    }

    mutating func number() throws(JinjaValue.JSONError) -> JinjaValue {
        let start = i
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count {
            let b = bytes[i]
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                i += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") {
                isInteger = false
                i += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let value = Int(text) { return .int(value) }
        guard !text.isEmpty, text != "-", let value = Double(text) else {
            i = start
            throw fail("expected a value")
        }
        return .double(value)
    }

    mutating func string() throws(JinjaValue.JSONError) -> String {
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            guard b == UInt8(ascii: "\\") else {
                guard b >= 0x20 else { throw fail("a control character inside a string") }
                out.append(b)
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { break }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        out.append(contentsOf: Array(String(Unicode.Scalar(0xFFFD)!).utf8))
                        code = low
                    }
                }
                let scalar = Unicode.Scalar(code) ?? Unicode.Scalar(0xFFFD)!
                out.append(contentsOf: Array(String(scalar).utf8))
            default:
                throw fail("unknown escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        throw fail("unclosed string")
    }

    mutating func hex4() throws(JinjaValue.JSONError) -> UInt32 {
        guard i + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw fail("malformed \\u escape")
        }
        i += 4
        return code
    }
}
