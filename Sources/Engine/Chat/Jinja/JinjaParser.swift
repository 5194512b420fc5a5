/// Parses a template's tokens into statements (this file) and expressions
/// (`JinjaParser+Expressions.swift`), following jinja2's grammar and operator precedence.
///
/// Everything a render could need is resolved here, so that a template this interpreter cannot
/// run fails at load, not per request: unknown tags, filters, tests, methods and functions are
/// `.unsupported` errors.
struct JinjaParser {
    let tokens: [JinjaToken]
    var p = 0
    /// Names of the macros the template defines.
    private var macroNames: Set<String> = []
    /// Functions called by name, checked once all macros are known.
    var calledNames: [(String, JinjaSourceLocation)] = []
    /// How many for loops enclose the current statement (for `break`/`continue`).
    private var loopDepth = 0
    /// How many statements and expressions enclose the one being parsed.
    var nesting = 0

    /// Statements and expressions nest at most this deep, and an expression holds at most this
    /// many levels of operations (`a ~ b ~ c` is three): parsing, rendering and freeing a
    /// template recurse once per level, so a deeper one would overflow the stack. Real chat
    /// templates nest about ten.
    static let maxNesting = 128

    /// The statements of `source`.
    static func parse(_ source: String) throws(JinjaError) -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        let (nodes, _) = try parser.parseBody(until: [], opener: nil)
        for (name, location) in parser.calledNames
        where JinjaFunction(rawValue: name) == nil && !parser.macroNames.contains(name) {
            throw .unsupported("the function '\(name)()'", location)
        }
        return nodes
    }

    private init(tokens: [JinjaToken]) { self.tokens = tokens }

    // MARK: - Token access

    var current: JinjaToken { tokens[p] }

    mutating func advance() { if p < tokens.count - 1 { p += 1 } }

    func isSymbol(_ s: String) -> Bool { current.kind == .symbol(s) }
    func isName(_ n: String) -> Bool { current.kind == .name(n) }

    func peekIsSymbol(_ s: String, offset: Int = 1) -> Bool {
        p + offset < tokens.count && tokens[p + offset].kind == .symbol(s)
    }

    func peekIsName(_ n: String, offset: Int = 1) -> Bool {
        p + offset < tokens.count && tokens[p + offset].kind == .name(n)
    }

    mutating func skipSymbol(_ s: String) -> Bool {
        guard isSymbol(s) else { return false }
        advance()
        return true
    }

    mutating func skipName(_ n: String) -> Bool {
        guard isName(n) else { return false }
        advance()
        return true
    }

    mutating func expectSymbol(_ s: String, _ context: String) throws(JinjaError) {
        guard skipSymbol(s) else { throw .syntax("expected '\(s)' \(context), found \(current.display)", current.location) }
    }

    mutating func expectName(_ context: String) throws(JinjaError) -> String {
        guard case .name(let name) = current.kind else {
            throw .syntax("expected a name \(context), found \(current.display)", current.location)
        }
        advance()
        return name
    }

    /// Enters one more level of nesting at `location`; the caller leaves it (`nesting -= 1`).
    mutating func enterNesting(at location: JinjaSourceLocation) throws(JinjaError) {
        nesting += 1
        guard nesting <= Self.maxNesting else { throw Self.tooDeep(at: location) }
    }

    static func tooDeep(at location: JinjaSourceLocation) -> JinjaError {
        .unsupported("statements or expressions nested more than \(maxNesting) levels deep", location)
    }

    private mutating func expectStatementEnd(_ tag: String) throws(JinjaError) {
        guard current.kind == .statementEnd else {
            throw .syntax("expected '%}' to end the '\(tag)' tag, found \(current.display)", current.location)
        }
        advance()
    }

    // MARK: - Statements

    /// Statements up to a `{% tag %}` whose name is in `endTags`; returns them and that name,
    /// positioned after the name. At the end of the template: an error naming the `opener`
    /// unless `endTags` is empty.
    private mutating func parseBody(until endTags: Set<String>, opener: (String, JinjaSourceLocation)?) throws(JinjaError) -> ([JinjaNode], String?) {
        if let (_, location) = opener { try enterNesting(at: location) }
        defer { if opener != nil { nesting -= 1 } }
        var nodes: [JinjaNode] = []
        while true {
            let token = current
            switch token.kind {
            case .end:
                if let (tag, location) = opener {
                    let expected = endTags.sorted().map { "'{% \($0) %}'" }.joined(separator: " or ")
                    throw .syntax("the '{% \(tag) %}' opened at \(location) is never closed: expected \(expected)", token.location)
                }
                return (nodes, nil)
            case .text(let text):
                nodes.append(.text(text))
                advance()
            case .outputBegin:
                advance()
                let expression = try parseTuple()
                guard current.kind == .outputEnd else {
                    throw .syntax("expected '}}' to end the output, found \(current.display)", current.location)
                }
                advance()
                nodes.append(.output(expression))
            case .statementBegin:
                advance()
                guard case .name(let tag) = current.kind else {
                    throw .syntax("expected a tag name after '{%', found \(current.display)", current.location)
                }
                if endTags.contains(tag) {
                    advance()
                    return (nodes, tag)
                }
                nodes.append(try parseStatement(tag, at: token.location))
            default:
                throw .syntax("unexpected \(token.display)", token.location)
            }
        }
    }

    /// The statement whose tag, named `tag`, opens at `location`.
    private mutating func parseStatement(_ tag: String, at location: JinjaSourceLocation) throws(JinjaError) -> JinjaNode {
        advance()
        switch tag {
        case "if":
            return try parseIf(location)
        case "for":
            return try parseFor(location)
        case "set":
            return try parseSet(location)
        case "macro":
            return try parseMacro(location)
        case "break", "continue":
            guard loopDepth > 0 else { throw .syntax("'{% \(tag) %}' outside a for loop", location) }
            try expectStatementEnd(tag)
            return .loopControl(isBreak: tag == "break", location)
        case "generation":
            try expectStatementEnd(tag)
            let (body, _) = try parseBody(until: ["endgeneration"], opener: (tag, location))
            try expectStatementEnd("endgeneration")
            return .block(body)
        case "elif", "else", "endif", "endfor", "endset", "endmacro", "endgeneration", "endraw":
            throw .syntax("unexpected '{% \(tag) %}' with no open tag it could close", location)
        default:
            throw .unsupported("the '{% \(tag) %}' tag", location)
        }
    }

    private mutating func parseIf(_ location: JinjaSourceLocation) throws(JinjaError) -> JinjaNode {
        var branches: [JinjaBranch] = []
        var tag = "if"
        while true {
            let condition = try parseExpression(allowConditional: false)
            try expectStatementEnd(tag)
            let (body, end) = try parseBody(until: ["elif", "else", "endif"], opener: ("if", location))
            branches.append(JinjaBranch(condition: condition, body: body))
            switch end {
            case "elif":
                tag = "elif"
            case "else":
                try expectStatementEnd("else")
                let (otherwise, _) = try parseBody(until: ["endif"], opener: ("if", location))
                try expectStatementEnd("endif")
                return .conditional(branches, otherwise: otherwise)
            default:
                try expectStatementEnd("endif")
                return .conditional(branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor(_ location: JinjaSourceLocation) throws(JinjaError) -> JinjaNode {
        let parenthesised = skipSymbol("(")
        var targets = [try expectName("after 'for'")]
        while skipSymbol(",") {
            if isName("in") || isSymbol(")") { break }
            targets.append(try expectName("in the targets of 'for'"))
        }
        if parenthesised { try expectSymbol(")", "after the targets of 'for'") }
        guard skipName("in") else { throw .syntax("expected 'in' in the 'for' tag, found \(current.display)", current.location) }
        let iterable = try parseExpression(allowConditional: false)
        var filter: JinjaExpression?
        if skipName("if") { filter = try parseExpression() }
        if isName("recursive") { throw .unsupported("a recursive for loop", current.location) }
        try expectStatementEnd("for")
        loopDepth += 1
        let (body, end) = try parseBody(until: ["else", "endfor"], opener: ("for", location))
        loopDepth -= 1
        var otherwise: [JinjaNode] = []
        if end == "else" {
            try expectStatementEnd("else")
            (otherwise, _) = try parseBody(until: ["endfor"], opener: ("for", location))
        }
        try expectStatementEnd("endfor")
        return .loop(JinjaLoop(targets: targets, unpacks: targets.count > 1 || parenthesised, iterable: iterable,
                               filter: filter, body: body, otherwise: otherwise, location: location))
    }

    private mutating func parseSet(_ location: JinjaSourceLocation) throws(JinjaError) -> JinjaNode {
        let name = try expectName("after 'set'")
        var target = JinjaAssignTarget.name(name)
        if skipSymbol(".") {
            target = .attribute(namespace: name, attribute: try expectName("after '\(name).'"))
        } else if isSymbol(",") {
            var names = [name]
            while skipSymbol(",") { names.append(try expectName("in the targets of 'set'")) }
            target = .names(names)
        }
        if current.kind == .statementEnd, case .name(let variable) = target {
            advance()
            let (body, _) = try parseBody(until: ["endset"], opener: ("set", location))
            try expectStatementEnd("endset")
            return .assignBlock(variable, body: body)
        }
        if isSymbol("|") { throw .unsupported("a filtered '{% set %}' block", current.location) }
        try expectSymbol("=", "in the 'set' tag")
        let value = try parseTuple()
        try expectStatementEnd("set")
        return .assign(target, value, location)
    }

    private mutating func parseMacro(_ location: JinjaSourceLocation) throws(JinjaError) -> JinjaNode {
        let name = try expectName("after 'macro'")
        try expectSymbol("(", "after the macro's name")
        var parameters: [JinjaMacro.Parameter] = []
        while !skipSymbol(")") {
            if !parameters.isEmpty { try expectSymbol(",", "between the macro's parameters") }
            if skipSymbol(")") { break }
            let parameter = try expectName("for a macro parameter")
            let defaultValue = try skipSymbol("=") ? parseExpression() : nil
            parameters.append(JinjaMacro.Parameter(name: parameter, defaultValue: defaultValue))
        }
        try expectStatementEnd("macro")
        macroNames.insert(name)
        // A macro's body is not inside the loops around its definition.
        let depth = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(until: ["endmacro"], opener: ("macro", location))
        loopDepth = depth
        try expectStatementEnd("endmacro")
        return .macro(JinjaMacro(name: name, parameters: parameters, body: body, location: location))
    }
}
