/// One token of a template: text between tags, a tag's delimiters, or a piece of an
/// expression inside a tag.
struct JinjaToken: Sendable {
    enum Kind: Sendable, Equatable {
        /// Text outside tags, whitespace control already applied.
        case text(String)
        /// `{{`
        case outputBegin
        /// `}}`
        case outputEnd
        /// `{%`
        case statementBegin
        /// `%}`
        case statementEnd
        case name(String)
        /// A string literal, escapes decoded (adjacent literals are joined by the parser).
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation: `+`, `//`, `==`, `(`, `|`, `.`, ...
        case symbol(String)
        /// After the last token.
        case end
    }

    var kind: Kind
    var location: JinjaSourceLocation

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .text: return "text"
        case .outputBegin: return "'{{'"
        case .outputEnd: return "'}}'"
        case .statementBegin: return "'{%'"
        case .statementEnd: return "'%}'"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string \(PythonText.repr(s))"
        case .integer(let i): return "'\(i)'"
        case .float(let d): return "'\(PythonText.formatFloat(d))'"
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end of the template"
        }
    }
}
