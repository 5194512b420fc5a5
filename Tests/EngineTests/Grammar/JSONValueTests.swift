import Engine
import Testing

/// `JSONValue`: strict RFC 8259 parsing (escapes, surrogates, numbers, errors with offsets, the
/// depth limit), order-preserving objects, accessors, and compact serialization.
@Suite struct JSONValueTests {
    /// The error `text` fails with (nil when it parses).
    static func error(_ text: String) -> JSONParseError? {
        switch Result(catching: { () throws(JSONParseError) in try JSONValue.parse(text) }) {
        case .success: return nil
        case .failure(let e): return e
        }
    }

    // MARK: - Round trips

    @Test("compact texts round-trip unchanged, laid-out ones come back compact")
    func roundTrips() throws {
        let compact = [
            "null", "true", "false", "0", "-0", "12", "-1.5e3", "1E+10", "2.50", "\"\"", "\"héllo 🦙\"", "[]", "{}",
            "[1,[2,[3,[]]],{\"a\":{}}]", "{\"z\":1,\"a\":[true,false,null],\"m\":{\"k\":\"v\"}}",
            "\"quote\\\" backslash\\\\ nl\\n tab\\t cr\\r bs\\b ff\\f nul\\u0000 us\\u001f\"",
        ]
        for text in compact {
            let value = try JSONValue.parse(text)
            #expect(value.serialized == text)
            #expect(try JSONValue.parse(value.serialized) == value)
        }
        let laidOut = " {\n  \"a\" : [ 1 ,\t2 ] ,\r\n  \"b\" : { }\n}\n"
        #expect(try JSONValue.parse(laidOut).serialized == "{\"a\":[1,2],\"b\":{}}")
    }

    @Test("numbers keep their literal text")
    func numberText() throws {
        for text in ["-1.5E+3", "0.000", "1e-7", "123456789012345678901234567890"] {
            #expect(try JSONValue.parse(text) == .number(text))
        }
    }

    @Test("object members keep their order and duplicates; the subscript finds the first")
    func keyOrder() throws {
        let value = try JSONValue.parse("{\"b\":1,\"a\":2,\"b\":3}")
        #expect(value.objectValue?.map(\.key) == ["b", "a", "b"])
        #expect(value["b"] == .number("1") && value["a"] == .number("2") && value["c"] == nil)
        #expect(JSONValue.array([])["a"] == nil)
        // Names are compared code point for code point, not by canonical equivalence.
        let accents = try JSONValue.parse("{\"e\\u0301\":1,\"\\u00e9\":2}")
        #expect(accents["\u{E9}"] == .number("2") && accents["e\u{301}"] == .number("1"))
    }

    // MARK: - Strings

    @Test("escapes decode, including surrogate pairs")
    func escapes() throws {
        let value = try JSONValue.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u65E5\ud83e\udd99""#)
        #expect(value.stringValue == "\"\\/\u{8}\u{C}\n\r\tAé日🦙")
        #expect(try JSONValue.parse("\"\\uD834\\uDD1E\"").stringValue == "𝄞")
    }

    @Test("serialization escapes quotes, backslashes and control characters only")
    func serializedEscapes() {
        let s = JSONValue.string("a\"b\\c\n\t\r\u{8}\u{C}\u{0}\u{1F}\u{7F}/é🦙")
        #expect(s.serialized == #""a\"b\\c\n\t\r\b\f\u0000\u001f"# + "\u{7F}/é🦙\"")
        let object = JSONValue.object([JSONMember(key: "k\"\n", value: .array([.null, .bool(true), .number("1")]))])
        #expect(object.serialized == #"{"k\"\n":[null,true,1]}"#)
    }

    @Test("unpaired surrogates, bad escapes, raw control characters and bad UTF-8 are refused")
    func badStrings() throws {
        #expect(Self.error(#""ab\ud83d""#) == .invalidString(offset: 3, why: "unpaired UTF-16 surrogate \\uD83D (a high surrogate must be followed by an escaped low surrogate)"))
        #expect(Self.error(#""\ud83dx""#)?.offset == 1)
        #expect(Self.error(#""\ud83d\u0041""#)?.offset == 1)
        #expect(Self.error(#""\ude00""#)?.offset == 1)
        #expect(Self.error(#""\x""#)?.offset == 1)
        #expect(Self.error(#""\u12g4""#)?.offset == 5)
        #expect(Self.error(#""\u12""#) == .invalidString(offset: 5, why: "\\u must be followed by four hex digits, not '\"'"))
        #expect(Self.error("\"a\nb\"") == .invalidString(offset: 2, why: "control character U+000A must be escaped (as \\n, \\t, \\r or \\u00XX)"))
        #expect(Self.error("\"abc") == .unexpectedEnd(offset: 4, expected: "'\"' to close the string that starts at byte 0"))
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
                               [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE6, 0x97]] {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: bytes) }
        }
        #expect(try JSONValue.parse(bytes: [0x22, 0xE6, 0x97, 0xA5, 0x22]) == .string("日"))
    }

    // MARK: - Errors

    @Test("syntax errors say what was expected, at which byte")
    func syntaxErrors() {
        let cases: [(String, JSONParseError)] = [
            ("", .unexpectedEnd(offset: 0, expected: "a value (object, array, string, number, true, false or null)")),
            ("   ", .unexpectedEnd(offset: 3, expected: "a value (object, array, string, number, true, false or null)")),
            ("[1,]", .unexpectedCharacter(offset: 3, found: "']'", expected: "a value (a trailing comma is not allowed)")),
            ("{\"a\":1,}", .unexpectedCharacter(offset: 7, found: "'}'", expected: "a member name (a trailing comma is not allowed)")),
            ("{\"a\" 1}", .unexpectedCharacter(offset: 5, found: "'1'", expected: "':' after the member name")),
            ("{a:1}", .unexpectedCharacter(offset: 1, found: "'a'", expected: "a member name in double quotes")),
            ("[1 2]", .unexpectedCharacter(offset: 3, found: "'2'", expected: "',' or ']'")),
            ("[1", .unexpectedEnd(offset: 2, expected: "',' or ']'")),
            ("{\"a\":1", .unexpectedEnd(offset: 6, expected: "',' or '}'")),
            ("tru", .unexpectedEnd(offset: 3, expected: "'true'")),
            ("nul1", .unexpectedCharacter(offset: 3, found: "'1'", expected: "'null'")),
            ("[1] x", .trailingCharacters(offset: 4, found: "'x'")),
            ("1 2", .trailingCharacters(offset: 2, found: "'2'")),
            ("\u{FEFF}1", .unexpectedCharacter(offset: 0, found: "byte 0xEF", expected: "a value (object, array, string, number, true, false or null)")),
            ("[1,\u{C}2]", .unexpectedCharacter(offset: 3, found: "U+000C", expected: "a value (object, array, string, number, true, false or null)")),
            ("// c\n1", .unexpectedCharacter(offset: 0, found: "'/'", expected: "a value (object, array, string, number, true, false or null)")),
        ]
        for (text, expected) in cases { #expect(Self.error(text) == expected, "\(text)") }
        #expect(Self.error("[1,]")?.description == "invalid JSON at byte 3: found ']' where a value (a trailing comma is not allowed) was expected")
    }

    @Test("numbers follow the JSON grammar")
    func badNumbers() {
        let cases: [(String, Int)] = [("01", 0), ("-01", 0), ("-", 1), ("-a", 1), ("1.", 2), ("1.e3", 2), (".5", 0), ("+1", 0),
                                      ("1e", 2), ("1e+", 3), ("1E-x", 3), ("0x10", 1), ("NaN", 0), ("Infinity", 0), ("-Infinity", 1)]
        for (text, offset) in cases { #expect(Self.error(text)?.offset == offset, "\(text)") }
        #expect(Self.error("1.x") == .invalidNumber(offset: 2, why: "a digit must follow '.', not 'x'"))
        #expect(Self.error("01") == .invalidNumber(offset: 0, why: "leading zeros are not allowed"))
    }

    @Test("nesting deeper than 256 is refused, however deep the input")
    func depthLimit() throws {
        let deepest = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect(try JSONValue.parse(deepest).serialized == deepest)
        #expect(Self.error(String(repeating: "[", count: 257) + String(repeating: "]", count: 257)) == .tooDeep(offset: 256, limit: 256))
        #expect(Self.error(String(repeating: "{\"a\":", count: 300)) == .tooDeep(offset: 256 * 5, limit: 256))
        #expect(Self.error(String(repeating: "[", count: 1_000_000))?.offset == 256)
    }

    @Test("hostile input never traps: every prefix and every one-byte change of a document")
    func hostileInput() {
        let document = Array(#"{"a":[1,-2.5e3,true,null,{"b":"x\u00e9\ud83e\udd99\n"}],"c":""}"#.utf8)
        for end in 0...document.count { _ = try? JSONValue.parse(bytes: document[0..<end]) }
        for i in document.indices {
            for b: UInt8 in [0x00, 0x22, 0x2C, 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0x80, 0xC3, 0xED, 0xFF, 0x30, 0x65, 0x2D] {
                var mutated = document
                mutated[i] = b
                _ = try? JSONValue.parse(bytes: mutated)
            }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...24, using: &rng)).map { _ in Array("[]{}\":,\\u0123eE.-+ tfnrl\u{1}".utf8).randomElement(using: &rng)! }
            _ = try? JSONValue.parse(bytes: bytes)
        }
    }

    @Test("parse(bytes:) takes any collection of bytes")
    func bytes() throws {
        let text = "{\"a\":[1,\"é\"]}"
        let expected = try JSONValue.parse(text)
        #expect(try JSONValue.parse(bytes: Array(text.utf8)) == expected)
        #expect(try JSONValue.parse(bytes: text.utf8) == expected)
        #expect(try JSONValue.parse(bytes: text.utf8.lazy.map { $0 }) == expected)  // not contiguous
    }

    // MARK: - Accessors

    @Test("accessors return values of their type only")
    func accessors() throws {
        #expect(JSONValue.number("3").intValue == 3 && JSONValue.number("-3.0").intValue == -3 && JSONValue.number("3e2").intValue == 300)
        #expect(JSONValue.number("3.5").intValue == nil && JSONValue.number("1e400").intValue == nil)
        #expect(JSONValue.number("99999999999999999999").intValue == nil)
        #expect(JSONValue.number("-1.5e3").doubleValue == -1500 && JSONValue.string("1").doubleValue == nil)
        #expect(JSONValue.string("1").intValue == nil && JSONValue.bool(true).intValue == nil)
        #expect(JSONValue.bool(false).boolValue == false && JSONValue.null.boolValue == nil)
        #expect(JSONValue.string("s").stringValue == "s" && JSONValue.number("1").stringValue == nil)
        let array = try JSONValue.parse("[1,{\"k\":null}]")
        #expect(array.arrayValue?.count == 2 && array.objectValue == nil)
        #expect(array.arrayValue?[1]["k"] == .null && array.arrayValue?[1]["k"]?.isNull == true)
    }
}
