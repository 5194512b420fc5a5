/// The JSON lexical rules every JSON grammar shares (whitespace, strings, numbers, literals, and
/// any value), following llama.cpp's json-schema-to-grammar: whitespace and number lengths are
/// bounded, so a small model cannot loop forever in indentation or digits. The rules are named
/// `json-*` and defined once per builder, so several schemas in one grammar share them.
struct JSONLexicon {
    typealias Rule = GrammarBuilder.Rule
    typealias Item = GrammarBuilder.Item

    /// `( " " | "\n" [ \t]{0,20} )?`: between tokens, at most one space or a newline and indent.
    let space: Rule
    /// One character of a string's body: `[^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})`.
    let char: Rule
    /// `"\"" char* "\""`.
    let string: Rule
    /// `"-"? ("0" | [1-9] [0-9]{0,15})`.
    let integer: Rule
    /// `integer ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?`.
    let number: Rule
    /// `"true" | "false"`.
    let boolean: Rule
    /// `"null"`.
    let null: Rule
    /// Any JSON value.
    let value: Rule
    /// Any JSON object.
    let object: Rule
    /// Any JSON array.
    let array: Rule

    static let indentLimit = 20
    static let integerDigits = 16, fractionDigits = 16, exponentDigits = 3

    init(_ b: inout GrammarBuilder) {
        space = b.rule("json-space")
        char = b.rule("json-char")
        string = b.rule("json-string")
        integer = b.rule("json-integer")
        number = b.rule("json-number")
        boolean = b.rule("json-boolean")
        null = b.rule("json-null")
        value = b.rule("json-value")
        object = b.rule("json-object")
        array = b.rule("json-array")
        if !b.isDefined(value) { define(&b) }
    }

    private func define(_ b: inout GrammarBuilder) {
        let indent = b.repeated([.anyOf(" \t")], min: 0, max: Self.indentLimit, name: "json-indent")
        b.define(space, [[.literal(" ")], [.literal("\n"), .rule(indent)], []])
        defineString(&b)
        defineNumbers(&b)
        b.define(boolean, [[.literal("true")], [.literal("false")]])
        b.define(null, [[.literal("null")]])
        b.define(value, [object, array, string, number, boolean, null].map { [.rule($0)] })
        let member = b.rule("json-member")
        b.define(member, [[.rule(string), .rule(space), .literal(":"), .rule(space), .rule(value)]])
        b.define(object, [Self.list(member, open: "{", close: "}", min: 0, max: nil, space: space, name: "json-object", in: &b)])
        b.define(array, [Self.list(value, open: "[", close: "]", min: 0, max: nil, space: space, name: "json-array", in: &b)])
    }

    private func defineString(_ b: inout GrammarBuilder) {
        let hex = Self.hexDigit
        b.define(char, [
            [.chars([0x22...0x22, 0x5C...0x5C, 0x00...0x1F], negated: true)],
            [.literal("\\"), .anyOf("\"\\/bfnrt")],
            [.literal("\\u"), hex, hex, hex, hex],
        ])
        let body = b.repeated([.rule(char)], min: 0, max: nil, name: "json-string-body")
        b.define(string, [[.literal("\""), .rule(body), .literal("\"")]])
    }

    private func defineNumbers(_ b: inout GrammarBuilder) {
        let digit = Self.digit
        let digits = b.repeated([digit], min: 0, max: Self.integerDigits - 1, name: "json-integer-digits")
        let magnitude = b.rule("json-integer-magnitude")
        b.define(magnitude, [[.literal("0")], [.chars([0x31...0x39], negated: false), .rule(digits)]])
        b.define(integer, [[.literal("-"), .rule(magnitude)], [.rule(magnitude)]])
        let fractionDigits = b.repeated([digit], min: 1, max: Self.fractionDigits, name: "json-fraction-digits")
        let fraction = b.rule("json-fraction")
        b.define(fraction, [[.literal("."), .rule(fractionDigits)], []])
        let exponentDigits = b.repeated([digit], min: 1, max: Self.exponentDigits, name: "json-exponent-digits")
        let exponent = b.rule("json-exponent")
        b.define(exponent, [[.anyOf("eE"), .anyOf("-+"), .rule(exponentDigits)], [.anyOf("eE"), .rule(exponentDigits)], []])
        b.define(number, [[.rule(integer), .rule(fraction), .rule(exponent)]])
    }

    static let digit = Item.chars([0x30...0x39], negated: false)
    static let hexDigit = Item.chars([0x30...0x39, 0x41...0x46, 0x61...0x66], negated: false)

    /// The items of a bracketed list: `open space (item space ("," space item space){min-1,max-1})? close`
    /// (no leading or trailing whitespace: the enclosing rule places it).
    static func list(_ item: Rule, open: String, close: String, min: Int, max: Int?, space: Rule, name: String,
                     in b: inout GrammarBuilder) -> [Item] {
        precondition(min >= 0 && (max.map { $0 >= min } ?? true))
        if max == 0 { return [.literal(open), .rule(space), .literal(close)] }
        let more = b.repeated([.literal(","), .rule(space), .rule(item), .rule(space)],
                              min: Swift.max(min - 1, 0), max: max.map { $0 - 1 }, name: name + "-more")
        let items: [Item] = [.rule(item), .rule(space), .rule(more)]
        if min > 0 { return [.literal(open), .rule(space)] + items + [.literal(close)] }
        let optional = b.freshRule(name + "-items")
        b.define(optional, [items, []])
        return [.literal(open), .rule(space), .rule(optional), .literal(close)]
    }
}
