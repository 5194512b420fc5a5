/// Expressions, by jinja2's precedence from loosest to tightest: `a if c else b`, `or`,
/// `and`, `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary `- +`, then
/// postfix `.name`, `[...]`, `(...)` and filters `|f` / tests `is t`, which bind tighter than
/// any operator (`'a' + x | trim` is `'a' + (x | trim)`).
extension JinjaParser {
    /// An expression, or a tuple of them (`a, b`), as an output or `set` allows.
    mutating func parseTuple() throws(JinjaError) -> JinjaExpression {
        let first = try parseExpression()
        guard isSymbol(",") else { return first }
        var items = [first]
        while skipSymbol(",") {
            if current.kind == .outputEnd || current.kind == .statementEnd { break }
            items.append(try parseExpression())
        }
        return try build(.list(items), at: first.location)
    }

    /// One expression; without `allowConditional`, a trailing `if` is left for the statement
    /// (`for x in xs if x`), as jinja2 parses `for` and `if` tags.
    mutating func parseExpression(allowConditional: Bool = true) throws(JinjaError) -> JinjaExpression {
        try enterNesting(at: current.location)
        defer { nesting -= 1 }
        return try allowConditional ? parseConditional() : parseOr()
    }

    /// An expression of `kind`, refused when it holds more than `maxNesting` levels.
    private func build(_ kind: JinjaExpression.Kind, at location: JinjaSourceLocation) throws(JinjaError) -> JinjaExpression {
        let expression = JinjaExpression(kind: kind, location: location)
        guard expression.depth <= Self.maxNesting else { throw Self.tooDeep(at: location) }
        return expression
    }

    private mutating func parseConditional() throws(JinjaError) -> JinjaExpression {
        var expression = try parseOr()
        while skipName("if") {
            let condition = try parseOr()
            let otherwise = try skipName("else") ? parseExpression() : nil
            expression = try build(.conditional(then: expression, condition: condition, otherwise: otherwise),
                                         at: expression.location)
        }
        return expression
    }

    private mutating func parseOr() throws(JinjaError) -> JinjaExpression {
        var left = try parseAnd()
        while skipName("or") {
            let right = try parseAnd()
            left = try build(.or(left, right), at: left.location)
        }
        return left
    }

    private mutating func parseAnd() throws(JinjaError) -> JinjaExpression {
        var left = try parseNot()
        while skipName("and") {
            let right = try parseNot()
            left = try build(.and(left, right), at: left.location)
        }
        return left
    }

    private mutating func parseNot() throws(JinjaError) -> JinjaExpression {
        let location = current.location
        if skipName("not") {
            try enterNesting(at: location)
            defer { nesting -= 1 }
            return try build(.not(try parseNot()), at: location)
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(JinjaError) -> JinjaExpression {
        let first = try parseAdditive()
        var operations: [(JinjaComparisonOperator, JinjaExpression)] = []
        while true {
            let op: JinjaComparisonOperator
            if case .symbol(let s) = current.kind, let comparison = JinjaComparisonOperator(rawValue: s) {
                op = comparison
                advance()
            } else if isName("in") {
                op = .contains
                advance()
            } else if isName("not"), peekIsName("in") {
                op = .notContains
                advance()
                advance()
            } else {
                break
            }
            operations.append((op, try parseAdditive()))
        }
        return operations.isEmpty ? first : try build(.comparison(first, operations), at: first.location)
    }

    private mutating func parseAdditive() throws(JinjaError) -> JinjaExpression {
        var left = try parseConcatenation()
        while isSymbol("+") || isSymbol("-") {
            let op: JinjaBinaryOperator = isSymbol("+") ? .add : .subtract
            advance()
            let right = try parseConcatenation()
            left = try build(.binary(op, left, right), at: left.location)
        }
        return left
    }

    private mutating func parseConcatenation() throws(JinjaError) -> JinjaExpression {
        var left = try parseMultiplicative()
        while skipSymbol("~") {
            let right = try parseMultiplicative()
            left = try build(.binary(.concatenate, left, right), at: left.location)
        }
        return left
    }

    private mutating func parseMultiplicative() throws(JinjaError) -> JinjaExpression {
        var left = try parsePower()
        while case .symbol(let s) = current.kind, ["*", "/", "//", "%"].contains(s), let op = JinjaBinaryOperator(rawValue: s) {
            advance()
            let right = try parsePower()
            left = try build(.binary(op, left, right), at: left.location)
        }
        return left
    }

    private mutating func parsePower() throws(JinjaError) -> JinjaExpression {
        var left = try parseUnary(withFilters: true)
        while skipSymbol("**") {
            let right = try parseUnary(withFilters: true)
            left = try build(.binary(.power, left, right), at: left.location)
        }
        return left
    }

    /// `-x`, `+x` or a primary, then its postfix operations; filters and tests apply to the
    /// whole (`-x | abs` is `(-x) | abs`), as in jinja2.
    private mutating func parseUnary(withFilters: Bool) throws(JinjaError) -> JinjaExpression {
        let location = current.location
        var expression: JinjaExpression
        if isSymbol("-") || isSymbol("+") {
            let negates = isSymbol("-")
            advance()
            try enterNesting(at: location)
            defer { nesting -= 1 }
            let operand = try parseUnary(withFilters: false)
            expression = try build(negates ? .negate(operand) : .plus(operand), at: location)
        } else {
            expression = try parsePrimary()
        }
        expression = try parsePostfix(expression)
        if withFilters { expression = try parseFiltersAndTests(expression) }
        return expression
    }

    private mutating func parsePrimary() throws(JinjaError) -> JinjaExpression {
        let token = current
        let location = token.location
        switch token.kind {
        case .name(let name):
            advance()
            switch name {
            case "true", "True": return JinjaExpression(kind: .literal(.bool(true)), location: location)
            case "false", "False": return JinjaExpression(kind: .literal(.bool(false)), location: location)
            case "none", "None": return JinjaExpression(kind: .literal(.none), location: location)
            default: return JinjaExpression(kind: .variable(name), location: location)
            }
        case .string(var text):
            advance()
            // Adjacent literals join, as in Python.
            while case .string(let more) = current.kind {
                text += more
                advance()
            }
            return JinjaExpression(kind: .literal(.string(text)), location: location)
        case .integer(let value):
            advance()
            return JinjaExpression(kind: .literal(.int(value)), location: location)
        case .float(let value):
            advance()
            return JinjaExpression(kind: .literal(.double(value)), location: location)
        case .symbol("("):
            advance()
            if skipSymbol(")") { return try build(.list([]), at: location) }
            let first = try parseExpression()
            if skipSymbol(")") { return first }
            var items = [first]
            while skipSymbol(",") {
                if isSymbol(")") { break }
                items.append(try parseExpression())
            }
            try expectSymbol(")", "to close the tuple")
            return try build(.list(items), at: location)
        case .symbol("["):
            advance()
            var items: [JinjaExpression] = []
            while !skipSymbol("]") {
                if !items.isEmpty {
                    try expectSymbol(",", "between list items")
                    if skipSymbol("]") { break }
                }
                items.append(try parseExpression())
            }
            return try build(.list(items), at: location)
        case .symbol("{"):
            advance()
            var keys: [JinjaExpression] = []
            var values: [JinjaExpression] = []
            while !skipSymbol("}") {
                if !keys.isEmpty {
                    try expectSymbol(",", "between dict items")
                    if skipSymbol("}") { break }
                }
                keys.append(try parseExpression())
                try expectSymbol(":", "after a dict key")
                values.append(try parseExpression())
            }
            return try build(.dict(keys: keys, values: values), at: location)
        default:
            throw .syntax("expected an expression, found \(token.display)", location)
        }
    }

    /// `.name`, `.0`, `[key]`, `[start:stop:step]`, `(arguments)` and `.method(arguments)`.
    private mutating func parsePostfix(_ start: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        var expression = start
        while true {
            let location = current.location
            if skipSymbol(".") {
                if case .integer(let index) = current.kind {
                    advance()
                    let key = JinjaExpression(kind: .literal(.int(index)), location: location)
                    expression = try build(.item(expression, key), at: expression.location)
                    continue
                }
                let nameLocation = current.location
                let name = try expectName("after '.'")
                if isSymbol("(") {
                    guard let method = JinjaMethod(rawValue: name) else { throw .unsupported("the method '\(name)()'", nameLocation) }
                    advance()
                    let arguments = try parseArguments()
                    expression = try build(.methodCall(expression, method, arguments), at: location)
                } else {
                    expression = try build(.attribute(expression, name), at: expression.location)
                }
            } else if skipSymbol("[") {
                expression = try parseSubscript(expression, at: location)
            } else if isSymbol("(") {
                guard case .variable(let name) = expression.kind else {
                    throw .unsupported("calling something other than a macro or a global function by name", location)
                }
                advance()
                calledNames.append((name, expression.location))
                expression = try build(.call(expression, try parseArguments()), at: expression.location)
            } else {
                return expression
            }
        }
    }

    /// After `[`: an item or a slice, through `]`.
    private mutating func parseSubscript(_ base: JinjaExpression, at location: JinjaSourceLocation) throws(JinjaError) -> JinjaExpression {
        var parts: [JinjaExpression?] = [nil]
        var sliced = false
        while !skipSymbol("]") {
            if skipSymbol(":") {
                guard parts.count < 3 else { throw .syntax("a slice takes at most start:stop:step", location) }
                parts.append(nil)
                sliced = true
            } else {
                guard parts[parts.count - 1] == nil else { throw .syntax("expected ':' or ']' in the subscript, found \(current.display)", current.location) }
                parts[parts.count - 1] = try parseExpression()
            }
        }
        if !sliced {
            guard let key = parts[0] else { throw .syntax("an empty subscript '[]'", location) }
            return try build(.item(base, key), at: base.location)
        }
        while parts.count < 3 { parts.append(nil) }
        return try build(.slice(base, start: parts[0], stop: parts[1], step: parts[2]), at: base.location)
    }

    /// After `(`: positional then keyword (`name=value`) arguments, through `)`.
    mutating func parseArguments() throws(JinjaError) -> JinjaArguments {
        var arguments = JinjaArguments()
        while !skipSymbol(")") {
            if !arguments.positional.isEmpty || !arguments.keywords.isEmpty {
                try expectSymbol(",", "between arguments")
                if skipSymbol(")") { break }
            }
            if isSymbol("*") || isSymbol("**") { throw .unsupported("'*' or '**' arguments", current.location) }
            if case .name(let name) = current.kind, peekIsSymbol("=") {
                advance()
                advance()
                arguments.keywords.append((name, try parseExpression()))
            } else {
                guard arguments.keywords.isEmpty else {
                    throw .syntax("a positional argument after a keyword argument", current.location)
                }
                arguments.positional.append(try parseExpression())
            }
        }
        return arguments
    }

    /// `| filter`, `| filter(arguments)`, `is [not] test`, `is test argument`, `is test(arguments)`.
    private mutating func parseFiltersAndTests(_ start: JinjaExpression) throws(JinjaError) -> JinjaExpression {
        var expression = start
        while true {
            if skipSymbol("|") {
                let location = current.location
                let name = try expectName("after '|'")
                guard let filter = JinjaFilter(named: name) else { throw .unsupported("the filter '\(name)'", location) }
                let arguments = try skipSymbol("(") ? parseArguments() : JinjaArguments.none
                try checkNamedArgument(of: filter, arguments)
                expression = try build(.filter(expression, filter, arguments), at: location)
            } else if skipName("is") {
                let negated = skipName("not")
                let location = current.location
                let name = try expectName("after 'is'")
                guard let test = JinjaTest(named: name) else { throw .unsupported("the test '\(name)'", location) }
                var arguments = JinjaArguments.none
                if skipSymbol("(") {
                    arguments = try parseArguments()
                } else if startsBareTestArgument {
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                expression = try build(.test(expression, test, arguments, negated: negated), at: location)
            } else {
                return expression
            }
        }
    }

    /// The filter or test that `map`, `select`, `reject`, `selectattr` and `rejectattr` name
    /// by a literal must exist, so that a template using one this interpreter lacks fails at
    /// load.
    private func checkNamedArgument(of filter: JinjaFilter, _ arguments: JinjaArguments) throws(JinjaError) {
        let index: Int
        switch filter {
        case .map, .select, .reject: index = 0
        case .selectattr, .rejectattr: index = 1
        default: return
        }
        guard arguments.positional.count > index, case .literal(.string(let name)) = arguments.positional[index].kind else { return }
        let location = arguments.positional[index].location
        if filter == .map {
            guard JinjaFilter(named: name) != nil else { throw .unsupported("the filter '\(name)'", location) }
        } else {
            guard JinjaTest(named: name) != nil else { throw .unsupported("the test '\(name)'", location) }
        }
    }

    /// Whether a test's single argument follows without parentheses (`is divisibleby 3`,
    /// `is sameas false`), as jinja2 decides it.
    private var startsBareTestArgument: Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and", "if", "is", "in", "not"].contains(n)
        case .string, .integer, .float, .symbol("["), .symbol("{"): return true
        default: return false
        }
    }
}
