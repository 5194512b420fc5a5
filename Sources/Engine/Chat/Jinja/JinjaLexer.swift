/// Splits a template into tokens, with whitespace control applied as Hugging Face's jinja2
/// environment applies it (`trim_blocks` and `lstrip_blocks` on, as `apply_chat_template`
/// sets them, and as llama.cpp's Jinja engine follows):
///
/// - `{%-`, `{{-`, `{#-` strip all whitespace before the tag; `-%}`, `-}}`, `-#}` all after it.
/// - trim_blocks: the first newline after `%}` or `#}` is removed (`+%}` keeps it).
/// - lstrip_blocks: spaces and tabs from the start of a line to `{%` or `{#` are removed
///   (`{%+` keeps them; `{{` is never stripped).
/// - `\r\n` and `\r` read as `\n`, and one trailing newline of the source is dropped
///   (jinja2's `keep_trailing_newline=False`).
/// - `{% raw %}...{% endraw %}` is text.
struct JinjaLexer {
    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    private var column = 1
    private var tokens: [JinjaToken] = []
    /// Whether the text that follows starts a line: at the start, or after a tag whose end
    /// consumed a newline (jinja2's `line_starting`, which lstrip_blocks needs).
    private var lineStarting = true

    /// The tokens of `source`, ending with `.end`.
    static func tokenize(_ source: String) throws(JinjaError) -> [JinjaToken] {
        var lexer = JinjaLexer(bytes: normalizedNewlines(source))
        try lexer.run()
        lexer.tokens.append(JinjaToken(kind: .end, location: lexer.here))
        return lexer.tokens
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// `source` as UTF-8 with `\r\n` and `\r` as `\n`, less one trailing newline.
    private static func normalizedNewlines(_ source: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(source.utf8.count)
        var previousCR = false
        for b in source.utf8 {
            if b == 0x0D {
                out.append(0x0A)
                previousCR = true
                continue
            }
            if b == 0x0A && previousCR {
                previousCR = false
                continue
            }
            previousCR = false
            out.append(b)
        }
        if out.last == 0x0A { out.removeLast() }
        return out
    }

    private var here: JinjaSourceLocation { JinjaSourceLocation(line: line, column: column) }

    /// Advances to `target`, counting lines and (Unicode scalar) columns.
    private mutating func move(to target: Int) {
        while i < target {
            let b = bytes[i]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
    }

    private func byte(_ at: Int) -> UInt8? { at < bytes.count ? bytes[at] : nil }

    private func matches(_ literal: StaticString, at start: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard start + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { buffer in
            for k in 0..<count where bytes[start + k] != buffer[k] { return false }
            return true
        }
    }

    private mutating func run() throws(JinjaError) {
        while i < bytes.count {
            let textStart = i
            let textLocation = here
            guard let tag = nextTag(from: i) else {
                emitText(String(decoding: bytes[textStart...], as: UTF8.self), at: textLocation)
                move(to: bytes.count)
                return
            }
            let kind = bytes[tag + 1]
            let sign = byte(tag + 2).flatMap { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") ? $0 : nil }
            var text = String(decoding: bytes[textStart..<tag], as: UTF8.self)
            if sign == UInt8(ascii: "-") {
                text = PythonText.rstrip(text)
            } else if sign != UInt8(ascii: "+") && kind != UInt8(ascii: "{") {
                text = lstripBlock(text)
            }
            emitText(text, at: textLocation)
            move(to: tag)
            let tagLocation = here
            move(to: tag + 2 + (sign == nil ? 0 : 1))
            switch kind {
            case UInt8(ascii: "#"):
                try skipComment(openedAt: tagLocation)
            case UInt8(ascii: "{"):
                tokens.append(JinjaToken(kind: .outputBegin, location: tagLocation))
                try lexTag(output: true, openedAt: tagLocation)
            default:
                if try !lexRaw(openedAt: tagLocation) {
                    tokens.append(JinjaToken(kind: .statementBegin, location: tagLocation))
                    try lexTag(output: false, openedAt: tagLocation)
                }
            }
        }
    }

    /// The index of the next `{{`, `{%` or `{#` at or after `start`.
    private func nextTag(from start: Int) -> Int? {
        var k = start
        while k + 1 < bytes.count {
            if bytes[k] == UInt8(ascii: "{") {
                let next = bytes[k + 1]
                if next == UInt8(ascii: "{") || next == UInt8(ascii: "%") || next == UInt8(ascii: "#") { return k }
            }
            k += 1
        }
        return nil
    }

    private mutating func emitText(_ text: String, at location: JinjaSourceLocation) {
        guard !text.isEmpty else { return }
        tokens.append(JinjaToken(kind: .text(text), location: location))
    }

    /// lstrip_blocks: `text` without the whitespace between its last newline (or its start,
    /// when it starts a line) and the tag that follows, if only whitespace is there.
    private func lstripBlock(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let lastNewline = scalars.lastIndex(of: "\n")
        guard lastNewline != nil || lineStarting else { return text }
        let tailStart = lastNewline.map { scalars.index(after: $0) } ?? scalars.startIndex
        let tail = scalars[tailStart...]
        guard !tail.isEmpty, tail.allSatisfy(PythonText.isWhitespace) else { return text }
        return String(scalars[..<tailStart])
    }

    /// Skips whitespace after a `-` end (`-%}`, `-}}`, `-#}`), Unicode whitespace included.
    private mutating func skipWhitespaceAfterTag() {
        var k = i
        while k < bytes.count {
            let (scalar, length) = PythonText.scalar(in: bytes, at: k)
            guard PythonText.isWhitespace(scalar) else { break }
            k += length
        }
        move(to: k)
    }

    /// After `{#`: skips to the first `#}` and handles its whitespace control.
    private mutating func skipComment(openedAt location: JinjaSourceLocation) throws(JinjaError) {
        var k = i
        while k + 1 < bytes.count, !(bytes[k] == UInt8(ascii: "#") && bytes[k + 1] == UInt8(ascii: "}")) { k += 1 }
        guard k + 1 < bytes.count else { throw .syntax("the comment opened here has no closing '#}'", location) }
        let sign = k > i ? bytes[k - 1] : 0
        move(to: k + 2)
        finishTag(sign: sign)
    }

    /// Whitespace control after a tag's end, given the byte before it (`-`, `+` or other).
    private mutating func finishTag(sign: UInt8, trims: Bool = true) {
        if sign == UInt8(ascii: "-") {
            skipWhitespaceAfterTag()
        } else if sign != UInt8(ascii: "+"), trims, byte(i) == 0x0A {
            move(to: i + 1)
        }
        lineStarting = i > 0 && bytes[i - 1] == 0x0A
    }

    /// Lexes the expression tokens of a `{{ }}` (`output`) or `{% %}` tag up to and including
    /// its end. Ends are recognised only outside brackets, as in jinja2.
    private mutating func lexTag(output: Bool, openedAt location: JinjaSourceLocation) throws(JinjaError) {
        var brackets: [UInt8] = []
        var previousWasDot = false
        while true {
            skipTagWhitespace()
            guard i < bytes.count else {
                throw .syntax(output ? "the '{{' opened here is never closed with '}}'" : "the '{%' opened here is never closed with '%}'", location)
            }
            if brackets.isEmpty, let end = tagEnd(output: output) {
                let endLocation = here
                move(to: i + end.length)
                tokens.append(JinjaToken(kind: output ? .outputEnd : .statementEnd, location: endLocation))
                // trim_blocks removes a newline after `%}` only, never after `}}`.
                finishTag(sign: end.sign, trims: !output)
                return
            }
            let start = here
            let b = bytes[i]
            if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
                tokens.append(JinjaToken(kind: .string(try lexString()), location: start))
            } else if isDigit(b) {
                tokens.append(JinjaToken(kind: try lexNumber(allowFloat: !previousWasDot), location: start))
            } else if isNameStart(b) {
                var k = i
                while k < bytes.count, isNameStart(bytes[k]) || isDigit(bytes[k]) { k += 1 }
                tokens.append(JinjaToken(kind: .name(String(decoding: bytes[i..<k], as: UTF8.self)), location: start))
                move(to: k)
            } else if let symbol = symbol(at: i) {
                switch symbol {
                case "(", "[", "{": brackets.append(bytes[i])
                case ")", "]", "}":
                    let open: UInt8 = symbol == ")" ? UInt8(ascii: "(") : symbol == "]" ? UInt8(ascii: "[") : UInt8(ascii: "{")
                    guard brackets.last == open else { throw .syntax("unexpected '\(symbol)'", start) }
                    brackets.removeLast()
                default: break
                }
                tokens.append(JinjaToken(kind: .symbol(symbol), location: start))
                move(to: i + symbol.utf8.count)
            } else {
                let (scalar, _) = PythonText.scalar(in: bytes, at: i)
                throw .syntax("unexpected character '\(Character(scalar))' inside a tag", start)
            }
            previousWasDot = tokens.last.map { $0.kind == .symbol(".") } ?? false
        }
    }

    /// The length of the tag end at `i` and the whitespace-control sign before it (0 if none).
    private func tagEnd(output: Bool) -> (length: Int, sign: UInt8)? {
        if output {
            if matches("-}}", at: i) { return (3, UInt8(ascii: "-")) }
            if matches("}}", at: i) { return (2, 0) }
        } else {
            if matches("-%}", at: i) { return (3, UInt8(ascii: "-")) }
            if matches("+%}", at: i) { return (3, UInt8(ascii: "+")) }
            if matches("%}", at: i) { return (2, 0) }
        }
        return nil
    }

    private mutating func skipTagWhitespace() {
        var k = i
        while k < bytes.count {
            let (scalar, length) = PythonText.scalar(in: bytes, at: k)
            guard PythonText.isWhitespace(scalar) else { break }
            k += length
        }
        move(to: k)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    private func isNameStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
    }

    private static let twoCharacterSymbols: Set<String> = ["//", "**", "==", "!=", ">=", "<="]
    private static let oneCharacterSymbols: Set<UInt8> = Set("+-/*%~[](){}><=.:|,;".utf8)

    private func symbol(at k: Int) -> String? {
        if k + 1 < bytes.count {
            let two = String(decoding: bytes[k...(k + 1)], as: UTF8.self)
            if Self.twoCharacterSymbols.contains(two) { return two }
        }
        return Self.oneCharacterSymbols.contains(bytes[k]) ? String(UnicodeScalar(bytes[k])) : nil
    }

    /// An integer or float literal (`42`, `1_000`, `0x1F`, `3.5`, `1e-3`); a float needs digits
    /// on both sides of its point. After `.` (as in `x.0`) only an integer is read.
    private mutating func lexNumber(allowFloat: Bool) throws(JinjaError) -> JinjaToken.Kind {
        let start = here
        var k = i
        func digits(_ k: inout Int) { while k < bytes.count, isDigit(bytes[k]) || bytes[k] == UInt8(ascii: "_") { k += 1 } }
        if bytes[k] == UInt8(ascii: "0"), let marker = byte(k + 1), let base = Self.radix(marker) {
            var end = k + 2
            while end < bytes.count, bytes[end] == UInt8(ascii: "_") || Self.digitValue(bytes[end]).map({ $0 < base }) == true { end += 1 }
            let text = String(decoding: bytes[(k + 2)..<end].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
            guard let value = Int(text, radix: base) else { throw .syntax("malformed number literal", start) }
            move(to: end)
            return .integer(value)
        }
        digits(&k)
        var isFloat = false
        if allowFloat, byte(k) == UInt8(ascii: "."), let next = byte(k + 1), isDigit(next) {
            isFloat = true
            k += 1
            digits(&k)
        }
        if allowFloat, byte(k) == UInt8(ascii: "e") || byte(k) == UInt8(ascii: "E") {
            var e = k + 1
            if byte(e) == UInt8(ascii: "+") || byte(e) == UInt8(ascii: "-") { e += 1 }
            if let d = byte(e), isDigit(d) {
                isFloat = true
                k = e
                digits(&k)
            }
        }
        let text = String(decoding: bytes[i..<k].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        move(to: k)
        if isFloat {
            guard let value = Double(text) else { throw .syntax("malformed number literal", start) }
            return .float(value)
        }
        guard let value = Int(text) else { throw .syntax("the integer \(text) is too large", start) }
        return .integer(value)
    }

    /// The base a `0x`, `0o` or `0b` prefix names.
    private static func radix(_ marker: UInt8) -> Int? {
        switch marker | 0x20 {
        case UInt8(ascii: "x"): return 16
        case UInt8(ascii: "o"): return 8
        case UInt8(ascii: "b"): return 2
        default: return nil
        }
    }

    /// The value of a hexadecimal digit.
    private static func digitValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(b - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(b - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    /// A quoted string literal with Python's escapes decoded (`\n`, `\t`, `\\`, `\'`, `\xhh`,
    /// `\uXXXX`, ...; an unknown escape keeps its backslash, as Python does).
    private mutating func lexString() throws(JinjaError) -> String {
        let start = here
        let quote = bytes[i]
        var k = i + 1
        var out: [UInt8] = []
        while k < bytes.count, bytes[k] != quote {
            guard bytes[k] == UInt8(ascii: "\\"), k + 1 < bytes.count else {
                out.append(bytes[k])
                k += 1
                continue
            }
            let e = bytes[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case 0x0A: break  // a backslash-newline continues the line
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                guard k + count <= bytes.count,
                      let code = UInt32(String(decoding: bytes[k..<(k + count)], as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(code) else {
                    throw .syntax("malformed \\\(Character(UnicodeScalar(e))) escape in a string literal", start)
                }
                out.append(contentsOf: Array(String(scalar).utf8))
                k += count
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var code = UInt32(e - UInt8(ascii: "0"))
                var n = 1
                while n < 3, k < bytes.count, bytes[k] >= UInt8(ascii: "0"), bytes[k] <= UInt8(ascii: "7") {
                    code = code * 8 + UInt32(bytes[k] - UInt8(ascii: "0"))
                    k += 1
                    n += 1
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(code)!).utf8))
            default:
                out.append(UInt8(ascii: "\\"))
                out.append(e)
            }
        }
        guard k < bytes.count else { throw .syntax("the string literal opened here is never closed", start) }
        move(to: k + 1)
        return String(decoding: out, as: UTF8.self)
    }

    /// `{% raw %}` at `i` (after `{%` and its sign): if it is one, emits the text up to
    /// `{% endraw %}` and returns true.
    private mutating func lexRaw(openedAt location: JinjaSourceLocation) throws(JinjaError) -> Bool {
        var k = i
        func spaces(_ k: inout Int) { while k < bytes.count, bytes[k] == 0x20 || (0x09...0x0D).contains(bytes[k]) { k += 1 } }
        spaces(&k)
        guard matches("raw", at: k) else { return false }
        k += 3
        spaces(&k)
        let minus = byte(k) == UInt8(ascii: "-")
        if minus { k += 1 }
        guard matches("%}", at: k) else { return false }
        move(to: k + 2)
        if minus { skipWhitespaceAfterTag() }
        lineStarting = i > 0 && bytes[i - 1] == 0x0A
        // Find `{%[-+]? endraw [-+]?%}`.
        let bodyStart = i
        let bodyLocation = here
        var search = i
        while let tag = nextTag(from: search) {
            search = tag + 1
            guard bytes[tag + 1] == UInt8(ascii: "%") else { continue }
            var e = tag + 2
            let sign = byte(e).flatMap { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") ? $0 : nil }
            if sign != nil { e += 1 }
            spaces(&e)
            guard matches("endraw", at: e) else { continue }
            e += 6
            spaces(&e)
            let end: (length: Int, sign: UInt8)
            if matches("-%}", at: e) {
                end = (3, UInt8(ascii: "-"))
            } else if matches("+%}", at: e) {
                end = (3, UInt8(ascii: "+"))
            } else if matches("%}", at: e) {
                end = (2, 0)
            } else {
                continue
            }
            var text = String(decoding: bytes[bodyStart..<tag], as: UTF8.self)
            if sign == UInt8(ascii: "-") {
                text = PythonText.rstrip(text)
            } else if sign != UInt8(ascii: "+") {
                text = lstripBlock(text)
            }
            emitText(text, at: bodyLocation)
            move(to: e + end.length)
            finishTag(sign: end.sign)
            return true
        }
        throw .syntax("the '{% raw %}' opened here has no '{% endraw %}'", location)
    }
}
