/// Python's string semantics, which chat templates assume (they are written for jinja2):
/// whitespace, `strip`, `split`, `title`, `repr`, float formatting. Strings index by Unicode
/// scalar, as Python's `str` indexes by code point.
enum PythonText {
    /// Python's `str.isspace()` for one character: Unicode White_Space, plus the
    /// separators U+001C...U+001F that Python counts too.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09...0x0D, 0x1C...0x1F: return true
        case 0..<0x80: return false
        default: return scalar.properties.isWhitespace
        }
    }

    /// The scalar starting at byte `k` of valid UTF-8 and its length in bytes.
    static func scalar(in bytes: [UInt8], at k: Int) -> (Unicode.Scalar, Int) {
        let b = bytes[k]
        if b < 0x80 { return (Unicode.Scalar(b), 1) }
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        var value = UInt32(b) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
        var n = 1
        while n < length, k + n < bytes.count {
            value = value << 6 | UInt32(bytes[k + n] & 0x3F)
            n += 1
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", n)
    }

    /// `text.strip(chars)`: without leading and trailing whitespace, or characters of `chars`.
    static func strip(_ text: String, _ chars: String? = nil) -> String {
        trim(text, chars, leading: true, trailing: true)
    }

    /// `text.lstrip(chars)`.
    static func lstrip(_ text: String, _ chars: String? = nil) -> String {
        trim(text, chars, leading: true, trailing: false)
    }

    /// `text.rstrip(chars)`.
    static func rstrip(_ text: String, _ chars: String? = nil) -> String {
        trim(text, chars, leading: false, trailing: true)
    }

    private static func trim(_ text: String, _ chars: String?, leading: Bool, trailing: Bool) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        func strips(_ s: Unicode.Scalar) -> Bool { set.map { $0.contains(s) } ?? isWhitespace(s) }
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        if leading { while start < end, strips(scalars[start]) { start = scalars.index(after: start) } }
        if trailing {
            while end > start {
                let before = scalars.index(before: end)
                guard strips(scalars[before]) else { break }
                end = before
            }
        }
        if start == scalars.startIndex && end == scalars.endIndex { return text }
        return String(scalars[start..<end])
    }

    /// `text.split(separator, maxsplit)`: on runs of whitespace (dropping empty parts) when
    /// `separator` is nil, else on each occurrence of it.
    static func split(_ text: String, _ separator: String?, maxSplits: Int = -1) -> [String] {
        var parts: [String] = []
        let scalars = Array(text.unicodeScalars)
        guard let separator else {
            var k = 0
            while k < scalars.count {
                while k < scalars.count, isWhitespace(scalars[k]) { k += 1 }
                guard k < scalars.count else { break }
                if maxSplits >= 0, parts.count == maxSplits {
                    // Python keeps the remainder as it is, trailing whitespace included.
                    parts.append(string(scalars[k...]))
                    return parts
                }
                let start = k
                while k < scalars.count, !isWhitespace(scalars[k]) { k += 1 }
                parts.append(string(scalars[start..<k]))
            }
            return parts
        }
        // UTF-8 is self-synchronising: a byte match of valid text is a scalar match.
        let haystack = Array(text.utf8)
        let needle = Array(separator.utf8)
        var start = 0
        while maxSplits < 0 || parts.count < maxSplits, let found = find(needle, in: haystack, from: start) {
            parts.append(String(decoding: haystack[start..<found], as: UTF8.self))
            start = found + needle.count
        }
        parts.append(String(decoding: haystack[start...], as: UTF8.self))
        return parts
    }

    /// The byte offset of the first `needle` in `haystack` at or after `start`.
    /// - Complexity: O(n + m) (Knuth-Morris-Pratt): a naive search takes O(n * m) on
    ///   `aaa…a` for `aa…ab`, which a template can build.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard !needle.isEmpty else { return start <= haystack.count ? start : nil }
        guard start >= 0, haystack.count - start >= needle.count else { return nil }
        // fallback[k]: the length of the longest proper prefix of needle[...k] that ends there.
        var fallback = [Int](repeating: 0, count: needle.count)
        var matched = 0
        for k in 1..<max(1, needle.count) {
            while matched > 0, needle[k] != needle[matched] { matched = fallback[matched - 1] }
            if needle[k] == needle[matched] { matched += 1 }
            fallback[k] = matched
        }
        matched = 0
        for k in start..<haystack.count {
            while matched > 0, haystack[k] != needle[matched] { matched = fallback[matched - 1] }
            if haystack[k] == needle[matched] { matched += 1 }
            if matched == needle.count { return k - needle.count + 1 }
        }
        return nil
    }

    /// Non-overlapping occurrences of `needle` (not empty) in `text`, as Python's `str.count`.
    static func countOccurrences(of needle: String, in text: String) -> Int {
        let haystack = Array(text.utf8), pattern = Array(needle.utf8)
        var count = 0, start = 0
        while let found = find(pattern, in: haystack, from: start) {
            count += 1
            start = found + pattern.count
        }
        return count
    }

    /// Whether `needle` occurs in `text` (Python's `in` on strings).
    static func contains(_ text: String, _ needle: String) -> Bool {
        find(Array(needle.utf8), in: Array(text.utf8)) != nil
    }

    /// `text.replace(old, new, count)`; nil when the result would be longer than `maxLength`
    /// bytes (checked before it is built).
    static func replace(_ text: String, _ old: String, _ new: String, count: Int = -1, maxLength: Int = .max) -> String? {
        guard count != 0 else { return text }
        let occurrences = old.isEmpty ? text.unicodeScalars.count + 1 : countOccurrences(of: old, in: text)
        let replaced = count < 0 ? occurrences : min(count, occurrences)
        let (grown, overflow) = replaced.multipliedReportingOverflow(by: new.utf8.count)
        guard !overflow, grown <= maxLength, text.utf8.count + grown - replaced * old.utf8.count <= maxLength else { return nil }
        if old.isEmpty {
            // Python inserts `new` between every character and at both ends.
            var out = new
            var done = 0
            for s in text.unicodeScalars {
                out.unicodeScalars.append(s)
                done += 1
                if count < 0 || done < count { out += new }
            }
            return out
        }
        let pieces = split(text, old, maxSplits: count)
        return pieces.joined(separator: new)
    }

    /// Python's `str.capitalize()`: the first character upper-cased, the rest lower-cased.
    static func capitalize(_ text: String) -> String {
        guard let first = text.unicodeScalars.first else { return text }
        return String(first).uppercased() + String(text.unicodeScalars.dropFirst()).lowercased()
    }

    /// Python's `str.title()`: each run of letters starts upper-case, the rest lower-case.
    static func title(_ text: String) -> String {
        var out = ""
        var previousIsLetter = false
        for s in text.unicodeScalars {
            let isLetter = s.properties.isAlphabetic
            out += previousIsLetter ? String(s).lowercased() : String(s).uppercased()
            previousIsLetter = isLetter
        }
        return out
    }

    /// `Array(text.unicodeScalars)` pieces back to a String.
    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        return String(s)
    }

    /// Python's `repr()` of a string: single quotes unless the text holds `'` and no `"`.
    static func repr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for s in text.unicodeScalars {
            switch s {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(s) == quote {
                    out += "\\" + String(quote)
                } else if s.value < 0x20 || s.value == 0x7F {
                    out += "\\x" + hex(s.value, digits: 2)
                } else {
                    out.unicodeScalars.append(s)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// `value` in lower-case hexadecimal, zero-padded to `digits`.
    static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// Python's `repr()` of a float: the shortest text that reads back as the same value,
    /// positional for exponents -4...15 (`1.0`, `0.0001`, `1234.5`), scientific otherwise
    /// (`1e-05`, `1e+16`, `1.5e+20`); `inf`, `-inf`, `nan`.
    static func formatFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description is also shortest round-trip; take its digits and exponent.
        var text = "\(value.magnitude)"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            text = String(text[..<e])
        }
        var digits = text.filter { $0 != "." }
        let point = text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? text.count
        exponent += point - 1
        // Normalise: no leading zeros (0.001 -> "1", exponent -3), no trailing zeros.
        while digits.first == "0", digits.count > 1 {
            digits.removeFirst()
            exponent -= 1
        }
        while digits.last == "0", digits.count > 1 { digits.removeLast() }
        let sign = value < 0 ? "-" : ""
        if exponent < -4 || exponent >= 16 {
            let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
            let e = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + e
        }
        if exponent < 0 { return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits }
        if digits.count <= exponent + 1 { return sign + digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0" }
        let split = digits.index(digits.startIndex, offsetBy: exponent + 1)
        return sign + digits[..<split] + "." + digits[split...]
    }
}
