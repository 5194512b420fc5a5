import Engine
import Testing

/// The grammar matcher on hand-built grammars: sequences, alternatives, repetition, UTF-8.
@Suite struct GrammarMatcherTests {
    /// `root ::= "[" (item ("," item)*)? "]"`, `item ::= [a-z]+ | "é"`.
    static func list() throws -> Grammar {
        var b = GrammarBuilder()
        let root = b.rule("root"), item = b.rule("item")
        let letters = b.repeated([.chars([97...122], negated: false)], min: 1, max: nil)
        b.define(item, [[.rule(letters)], [.literal("é")]])
        let more = b.repeated([.literal(","), .rule(item)], min: 0, max: nil)
        let items = b.optional([.rule(item), .rule(more)])
        b.define(root, [[.literal("["), .rule(items), .literal("]")]])
        return try b.build(root: root)
    }

    @Test("accepts the sentences and refuses the rest")
    func sentences() throws {
        let g = try Self.list()
        for text in ["[]", "[a]", "[abc,de]", "[é,x,é]"] { #expect(g.accepts(text), "\(text)") }
        for text in ["", "[", "[a,]", "[,a]", "[A]", "[a]]", "[e\u{301}]", "[ab c]"] { #expect(!g.accepts(text), "\(text)") }
        #expect(g.acceptsPrefix("[ab,") && !g.acceptsPrefix("[ab,,"))
    }

    @Test("bounded repetition stops at its maximum")
    func bounded() throws {
        var b = GrammarBuilder()
        let root = b.rule("root")
        let digits = b.repeated([.anyOf("0123456789")], min: 2, max: 4)
        b.define(root, [[.rule(digits)]])
        let g = try b.build(root: root)
        #expect(!g.accepts("1") && g.accepts("12") && g.accepts("1234") && !g.accepts("12345"))
    }

    @Test("left recursion and undefined rules are refused")
    func refusals() throws {
        var b = GrammarBuilder()
        let root = b.rule("root"), expr = b.rule("expr")
        b.define(root, [[.rule(expr)]])
        b.define(expr, [[.rule(expr), .literal("+")], [.literal("x")]])
        #expect(throws: GrammarError.leftRecursion("expr")) { try b.build(root: root) }
        var c = GrammarBuilder()
        let r = c.rule("root")
        c.define(r, [[.rule(c.rule("missing"))]])
        #expect(throws: GrammarError.undefinedRule("missing")) { try c.build(root: r) }
    }
}
