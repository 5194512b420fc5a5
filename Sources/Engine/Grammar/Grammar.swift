/// A context-free grammar over Unicode scalars, in the flat form the matcher walks: each rule is a
/// list of alternatives, each alternative a run of elements (character sets and rule references)
/// ended by `.end`. Built with `GrammarBuilder` (from a JSON schema, or GBNF text); rule 0 is the root.
public struct Grammar: Sendable, Equatable {
    /// One element of an alternative.
    public struct Element: Sendable, Equatable, BitwiseCopyable {
        public enum Kind: UInt8, Sendable, BitwiseCopyable { case end, chars, negatedChars, rule }
        public var kind: Kind
        /// `chars`: the first of its ranges in `ranges`; `rule`: the rule.
        public var a: Int32
        /// `chars`: one past its last range.
        public var b: Int32
    }

    /// Every alternative's elements, each run ended by `.end`.
    public internal(set) var elements: [Element]
    /// Character ranges (inclusive) the `chars` elements point into.
    public internal(set) var ranges: [ClosedRange<UInt32>]
    /// Per rule, the positions in `elements` where its alternatives start.
    public internal(set) var alternatives: [[Int32]]
    /// Per rule, its name (for errors and `description`).
    public internal(set) var names: [String]

    /// Whether the character set element at `position` matches `scalar`.
    @inline(__always)
    func matches(_ position: Int32, _ scalar: UInt32) -> Bool {
        let e = elements[Int(position)]
        var i = Int(e.a)
        var found = false
        while i < Int(e.b) {
            if ranges[i].lowerBound <= scalar && scalar <= ranges[i].upperBound { found = true; break }
            i += 1
        }
        return found != (e.kind == .negatedChars)
    }
}

/// Why a grammar (or the schema or text it came from) cannot be used.
public enum GrammarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A rule is referenced but never defined.
    case undefinedRule(String)
    /// A rule can reach itself without consuming a character (the matcher would never stop).
    case leftRecursion(String)
    /// The grammar is larger than the matcher accepts.
    case tooLarge(String)
    /// GBNF text that does not parse.
    case syntax(String)
    /// A JSON schema keyword (or value) this server cannot enforce.
    case unsupportedSchema(keyword: String, why: String)
    /// A JSON schema that is not valid.
    case invalidSchema(String)

    public var description: String {
        switch self {
        case .undefinedRule(let name): return "the grammar references rule '\(name)', which it does not define"
        case .leftRecursion(let name): return "rule '\(name)' is left-recursive (it can reach itself without consuming a character)"
        case .tooLarge(let why): return "the grammar is too large: \(why)"
        case .syntax(let why): return "grammar syntax error: \(why)"
        case .unsupportedSchema(let keyword, let why): return "the JSON schema keyword '\(keyword)' is not supported: \(why)"
        case .invalidSchema(let why): return "invalid JSON schema: \(why)"
        }
    }
}
