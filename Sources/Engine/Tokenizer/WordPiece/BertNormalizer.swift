import Foundation

/// BERT's normalizer (Hugging Face `BertNormalizer`), in its order: drop NUL, U+FFFD and
/// control/format/unassigned characters and map whitespace to a space; put spaces around CJK
/// ideographs; strip accents (canonical decomposition, then no nonspacing marks); lowercase.
/// Accents are stripped when the file says so, or, when it says nothing, when lowercasing.
struct BertNormalizer: TextNormalizer {
    var cleanText = true
    var handleChineseCharacters = true
    var stripAccents = true
    var lowercase = true

    func normalize(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool) -> [UInt8] {
        Array(normalize(String(decoding: text, as: UTF8.self)).utf8)
    }

    func normalize(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if cleanText {
                if c.value == 0 || c.value == 0xFFFD || Self.isControl(c) { continue }
                if Self.isWhitespace(c) {
                    scalars.append(" ")
                    continue
                }
            }
            if handleChineseCharacters && Self.isCJK(c) {
                scalars.append(" ")
                scalars.append(c)
                scalars.append(" ")
            } else {
                scalars.append(c)
            }
        }
        var result = String(scalars)
        if stripAccents {
            var kept = String.UnicodeScalarView()
            for c in result.decomposedStringWithCanonicalMapping.unicodeScalars where c.properties.generalCategory != .nonspacingMark {
                kept.append(c)
            }
            result = String(kept)
        }
        return lowercase ? result.lowercased() : result
    }

    /// Tab, newline and carriage return are whitespace here, not control characters.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == "\t" || c == "\n" || c == "\r" || c.properties.isWhitespace
    }

    /// Categories Cc, Cf, Cs and Co, except tab, newline and carriage return. (Unassigned code
    /// points are kept, as Hugging Face keeps them: WordPiece makes them `[UNK]`.)
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT's original tokenizer pads with spaces (its
    /// Extension F range starts at 0x2B920, not 0x2B820; kept as Hugging Face has it).
    static func isCJK(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
