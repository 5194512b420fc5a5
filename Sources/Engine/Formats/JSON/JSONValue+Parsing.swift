extension JSONValue {
    /// The deepest nesting of arrays and objects `parse` accepts (deeper input is refused, so
    /// hostile input cannot exhaust the stack).
    public static let maxDepth = 256

    /// Parses `text` as one JSON value (RFC 8259, strictly: no comments, trailing commas or
    /// text after the value; whitespace around it is allowed).
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(JSONParseError) -> JSONValue in
                var parser = JSONParser(bytes)
                return try parser.document()
            }
        }
        return try result.get()
    }

    /// Parses UTF-8 `bytes` as one JSON value (see `parse(_:)`); invalid UTF-8 is an error.
    public static func parse(bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let body = { (buffer: UnsafeBufferPointer<UInt8>) in
            Result { () throws(JSONParseError) -> JSONValue in
                var parser = JSONParser(buffer)
                return try parser.document()
            }
        }
        let result = bytes.withContiguousStorageIfAvailable(body) ?? Array(bytes).withUnsafeBufferPointer(body)
        return try result.get()
    }
}

/// A recursive-descent parser over UTF-8 bytes; recursion is bounded by `JSONValue.maxDepth`.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0
    /// The string being decoded (reused between strings).
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The whole input as one value, with nothing but whitespace after it.
    mutating func document() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try value()
        skipWhitespace()
        if i < bytes.count { throw .trailingCharacters(offset: i, found: found(i)) }
        return value
    }

    private mutating func value() throws(JSONParseError) -> JSONValue {
        let expected = "a value (object, array, string, number, true, false or null)"
        guard i < bytes.count else { throw .unexpectedEnd(offset: i, expected: expected) }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw .unexpectedCharacter(offset: i, found: found(i), expected: expected)
        }
    }

    // MARK: - Containers

    private mutating func object() throws(JSONParseError) -> JSONValue {
        try enter()
        var members: [JSONMember] = []
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return leave(.object(members)) }
        while true {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                let trailing = !members.isEmpty && i < bytes.count && bytes[i] == UInt8(ascii: "}")
                throw unexpected(trailing ? "a member name (a trailing comma is not allowed)" : "a member name in double quotes")
            }
            let key = try string()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw unexpected("':' after the member name") }
            skipWhitespace()
            members.append(JSONMember(key: key, value: try value()))
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return leave(.object(members)) }
            guard consume(UInt8(ascii: ",")) else { throw unexpected("',' or '}'") }
            skipWhitespace()
        }
    }

    private mutating func array() throws(JSONParseError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return leave(.array(elements)) }
        while true {
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { throw unexpected("a value (a trailing comma is not allowed)") }
            elements.append(try value())
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return leave(.array(elements)) }
            guard consume(UInt8(ascii: ",")) else { throw unexpected("',' or ']'") }
            skipWhitespace()
        }
    }

    /// Steps over the opening bracket at `i`, one level deeper.
    private mutating func enter() throws(JSONParseError) {
        guard depth < JSONValue.maxDepth else { throw .tooDeep(offset: i, limit: JSONValue.maxDepth) }
        depth += 1
        i += 1
    }

    private mutating func leave(_ value: JSONValue) -> JSONValue {
        depth -= 1
        return value
    }

    // MARK: - Scalars

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for c in w {
            guard i < bytes.count else { throw .unexpectedEnd(offset: i, expected: "'\(word)'") }
            guard bytes[i] == c else { throw .unexpectedCharacter(offset: i, found: found(i), expected: "'\(word)'") }
            i += 1
        }
    }

    /// The literal text of the number at `i`: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func number() throws(JSONParseError) -> String {
        let start = i
        _ = consume(UInt8(ascii: "-"))
        guard i < bytes.count, isDigit(bytes[i]) else { throw numberError("a digit must follow '-'") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count, isDigit(bytes[i]) { throw .invalidNumber(offset: start, why: "leading zeros are not allowed") }
        } else {
            skipDigits()
        }
        if consume(UInt8(ascii: ".")) {
            guard i < bytes.count, isDigit(bytes[i]) else { throw numberError("a digit must follow '.'") }
            skipDigits()
        }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw numberError("a digit must follow the exponent's 'e'") }
            skipDigits()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    private func numberError(_ why: String) -> JSONParseError {
        i < bytes.count ? .invalidNumber(offset: i, why: why + ", not \(found(i))") : .unexpectedEnd(offset: i, expected: "a digit")
    }

    private mutating func skipDigits() {
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    // MARK: - Strings

    /// The string whose opening quote is at `i`, unescaped.
    private mutating func string() throws(JSONParseError) -> String {
        let start = i
        i += 1
        scratch.removeAll(keepingCapacity: true)
        while true {
            guard i < bytes.count else {
                throw .unexpectedEnd(offset: i, expected: "'\"' to close the string that starts at byte \(start)")
            }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            } else if b == UInt8(ascii: "\\") {
                try escape()
            } else if b < 0x20 {
                throw .invalidString(offset: i, why: "control character \(found(i)) must be escaped (as \\n, \\t, \\r or \\u00XX)")
            } else if b < 0x80 {
                scratch.append(b)
                i += 1
            } else {
                try multibyte()
            }
        }
    }

    /// Copies the UTF-8 sequence at `i`, refusing malformed, overlong and surrogate encodings.
    private mutating func multibyte() throws(JSONParseError) {
        let b = bytes[i]
        let (length, smallest): (Int, UInt32) =
            b & 0xE0 == 0xC0 ? (2, 0x80) : b & 0xF0 == 0xE0 ? (3, 0x800) : b & 0xF8 == 0xF0 ? (4, 0x10000) : (0, 0)
        guard length > 0, i + length <= bytes.count else { throw .invalidString(offset: i, why: "invalid UTF-8") }
        var scalar = UInt32(b) & (0x7F >> length)
        for k in 1..<length {
            let c = bytes[i + k]
            guard c & 0xC0 == 0x80 else { throw .invalidString(offset: i, why: "invalid UTF-8") }
            scalar = scalar << 6 | UInt32(c & 0x3F)
        }
        guard scalar >= smallest, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
            throw .invalidString(offset: i, why: "invalid UTF-8")
        }
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<(i + length)]))
        i += length
    }

    /// Decodes the escape whose backslash is at `i`.
    private mutating func escape() throws(JSONParseError) {
        guard i + 1 < bytes.count else { throw .unexpectedEnd(offset: i + 1, expected: "an escape after '\\'") }
        let simple: UInt8? = switch bytes[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes[i + 1]
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let simple {
            scratch.append(simple)
            i += 2
            return
        }
        guard bytes[i + 1] == UInt8(ascii: "u") else {
            throw .invalidString(offset: i, why: "\\\(found(i + 1)) is not a JSON escape (use \\\\, \\\", \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX)")
        }
        let start = i
        let unit = try hex4(at: i + 2)
        i += 6
        var scalar = unit
        if (0xD800...0xDBFF).contains(unit) {
            // A high surrogate: only valid followed by an escaped low one.
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                  case let low = try hex4(at: i + 2), (0xDC00...0xDFFF).contains(low) else {
                throw .invalidString(offset: start, why: "unpaired UTF-16 surrogate \\u\(hex(unit)) (a high surrogate must be followed by an escaped low surrogate)")
            }
            scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            i += 6
        } else if (0xDC00...0xDFFF).contains(unit) {
            throw .invalidString(offset: start, why: "unpaired UTF-16 surrogate \\u\(hex(unit)) (a low surrogate must follow a high one)")
        }
        appendUTF8(scalar)
    }

    private func hex4(at p: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for k in p..<(p + 4) {
            guard k < bytes.count else { throw .unexpectedEnd(offset: k, expected: "four hex digits after '\\u'") }
            let c = bytes[k]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw .invalidString(offset: k, why: "\\u must be followed by four hex digits, not \(found(k))")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private func hex(_ unit: UInt32) -> String {
        let s = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        if scalar < 0x80 {
            scratch.append(UInt8(scalar))
        } else if scalar < 0x800 {
            scratch.append(contentsOf: [UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F)])
        } else if scalar < 0x10000 {
            scratch.append(contentsOf: [UInt8(0xE0 | scalar >> 12), UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F)])
        } else {
            scratch.append(contentsOf: [UInt8(0xF0 | scalar >> 18), UInt8(0x80 | scalar >> 12 & 0x3F),
                                        UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F)])
        }
    }

    // MARK: - Helpers

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    /// Steps over `byte` if it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        guard i < bytes.count, bytes[i] == byte else { return false }
        i += 1
        return true
    }

    private func unexpected(_ expected: String) -> JSONParseError {
        i < bytes.count ? .unexpectedCharacter(offset: i, found: found(i), expected: expected) : .unexpectedEnd(offset: i, expected: expected)
    }

    /// The byte at `p` for a message: `'x'` when printable ASCII, else its code.
    private func found(_ p: Int) -> String {
        let b = bytes[p]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        let code = String(b, radix: 16, uppercase: true)
        return b < 0x80 ? "U+00\(b < 0x10 ? "0" : "")\(code)" : "byte 0x\(code)"
    }
}
