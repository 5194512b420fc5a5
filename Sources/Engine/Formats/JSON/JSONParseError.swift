/// Why a text is not JSON: what was wrong, at which byte offset of the input.
public enum JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text ends before the value does.
    case unexpectedEnd(offset: Int, expected: String)
    /// A character that cannot appear here.
    case unexpectedCharacter(offset: Int, found: String, expected: String)
    /// A string with a bad escape, a raw control character, an unpaired surrogate or bad UTF-8.
    case invalidString(offset: Int, why: String)
    /// A number that does not follow the JSON number grammar.
    case invalidNumber(offset: Int, why: String)
    /// Arrays and objects nested deeper than `limit`.
    case tooDeep(offset: Int, limit: Int)
    /// More text after the value.
    case trailingCharacters(offset: Int, found: String)

    /// The byte offset in the input where the problem is.
    public var offset: Int {
        switch self {
        case .unexpectedEnd(let o, _), .unexpectedCharacter(let o, _, _), .invalidString(let o, _),
             .invalidNumber(let o, _), .tooDeep(let o, _), .trailingCharacters(let o, _):
            return o
        }
    }

    public var description: String {
        switch self {
        case .unexpectedEnd(let o, let expected):
            return "invalid JSON: the text ends at byte \(o) where \(expected) was expected"
        case .unexpectedCharacter(let o, let found, let expected):
            return "invalid JSON at byte \(o): found \(found) where \(expected) was expected"
        case .invalidString(let o, let why):
            return "invalid JSON string at byte \(o): \(why)"
        case .invalidNumber(let o, let why):
            return "invalid JSON number at byte \(o): \(why)"
        case .tooDeep(let o, let limit):
            return "invalid JSON at byte \(o): arrays and objects are nested more than \(limit) deep"
        case .trailingCharacters(let o, let found):
            return "invalid JSON at byte \(o): found \(found) after the end of the value"
        }
    }
}
