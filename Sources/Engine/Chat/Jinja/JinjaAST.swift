/// A statement of a parsed template.
indirect enum JinjaNode: Sendable {
    /// Text outside tags, written as it is.
    case text(String)
    /// `{{ expression }}`
    case output(JinjaExpression)
    /// `{% if %}...{% elif %}...{% else %}...{% endif %}`: the first branch whose condition
    /// holds, else `otherwise`.
    case conditional([JinjaBranch], otherwise: [JinjaNode])
    /// `{% for %}...{% else %}...{% endfor %}`
    case loop(JinjaLoop)
    /// `{% set target = value %}`
    case assign(JinjaAssignTarget, JinjaExpression, JinjaSourceLocation)
    /// `{% set name %}body{% endset %}`: the body's output becomes the variable.
    case assignBlock(String, body: [JinjaNode])
    /// `{% macro name(parameters) %}body{% endmacro %}`: defines a callable.
    case macro(JinjaMacro)
    /// `{% break %}` or `{% continue %}` (jinja2's loopcontrols extension, which Hugging Face enables).
    case loopControl(isBreak: Bool, JinjaSourceLocation)
    /// The body of `{% generation %}...{% endgeneration %}` (Hugging Face's marker for
    /// assistant tokens; it writes its body unchanged).
    case block([JinjaNode])
}

/// One `if`/`elif` branch.
struct JinjaBranch: Sendable {
    var condition: JinjaExpression
    var body: [JinjaNode]
}

/// `{% for targets in iterable if filter %}body{% else %}otherwise{% endfor %}`.
struct JinjaLoop: Sendable {
    /// One name, or several when each item is unpacked (`for key, value in ...`).
    var targets: [String]
    var unpacks: Bool
    var iterable: JinjaExpression
    /// Items for which this is false are skipped, and not counted by `loop`.
    var filter: JinjaExpression?
    var body: [JinjaNode]
    /// Runs when no item was iterated.
    var otherwise: [JinjaNode]
    var location: JinjaSourceLocation
}

/// What `{% set %}` assigns to.
enum JinjaAssignTarget: Sendable {
    case name(String)
    /// `set a, b = pair`
    case names([String])
    /// `set ns.attribute = value`
    case attribute(namespace: String, attribute: String)
}

/// A `{% macro %}` definition.
struct JinjaMacro: Sendable {
    struct Parameter: Sendable {
        var name: String
        /// Evaluated at each call that does not pass the parameter, as jinja2 does.
        var defaultValue: JinjaExpression?
    }

    var name: String
    var parameters: [Parameter]
    var body: [JinjaNode]
    var location: JinjaSourceLocation
}

/// An expression and where it starts in the source.
struct JinjaExpression: Sendable {
    indirect enum Kind: Sendable {
        case literal(JinjaValue)
        case variable(String)
        /// A list or tuple literal.
        case list([JinjaExpression])
        case dict(keys: [JinjaExpression], values: [JinjaExpression])
        /// `value.name`
        case attribute(JinjaExpression, String)
        /// `value[key]`
        case item(JinjaExpression, JinjaExpression)
        /// `value[start:stop:step]`
        case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
        /// `callee(arguments)`: a macro or global function.
        case call(JinjaExpression, JinjaArguments)
        /// `receiver.name(arguments)`: a string, dict or loop method.
        case methodCall(JinjaExpression, JinjaMethod, JinjaArguments)
        /// `value | filter(arguments)`
        case filter(JinjaExpression, JinjaFilter, JinjaArguments)
        /// `value is [not] test(arguments)`
        case test(JinjaExpression, JinjaTest, JinjaArguments, negated: Bool)
        case not(JinjaExpression)
        case negate(JinjaExpression)
        case plus(JinjaExpression)
        case binary(JinjaBinaryOperator, JinjaExpression, JinjaExpression)
        /// `a and b`, `a or b`: the right side is evaluated only when needed.
        case and(JinjaExpression, JinjaExpression)
        case or(JinjaExpression, JinjaExpression)
        /// `a < b <= c`: a chain, each operand evaluated once.
        case comparison(JinjaExpression, [(JinjaComparisonOperator, JinjaExpression)])
        /// `then if condition else otherwise` (without `else`: undefined).
        case conditional(then: JinjaExpression, condition: JinjaExpression, otherwise: JinjaExpression?)
    }

    let kind: Kind
    let location: JinjaSourceLocation
    /// Levels of expressions in this one, itself included (1 for a literal or a variable):
    /// evaluating it, and freeing it, recurses this deep (the parser bounds it).
    let depth: Int

    init(kind: Kind, location: JinjaSourceLocation) {
        self.kind = kind
        self.location = location
        self.depth = 1 + kind.operandDepth
    }
}

extension JinjaExpression.Kind {
    /// The depth of the deepest operand (0 for none).
    var operandDepth: Int {
        func deepest(_ expressions: [JinjaExpression?]) -> Int { expressions.reduce(0) { max($0, $1?.depth ?? 0) } }
        switch self {
        case .literal, .variable: return 0
        case .list(let items): return deepest(items)
        case .dict(let keys, let values): return max(deepest(keys), deepest(values))
        case .attribute(let base, _), .not(let base), .negate(let base), .plus(let base): return base.depth
        case .item(let base, let key): return max(base.depth, key.depth)
        case .slice(let base, let start, let stop, let step): return deepest([base, start, stop, step])
        case .call(let base, let arguments), .methodCall(let base, _, let arguments), .filter(let base, _, let arguments),
             .test(let base, _, let arguments, _):
            return max(base.depth, arguments.depth)
        case .binary(_, let left, let right), .and(let left, let right), .or(let left, let right): return max(left.depth, right.depth)
        case .comparison(let first, let operations): return max(first.depth, deepest(operations.map(\.1)))
        case .conditional(let then, let condition, let otherwise): return deepest([then, condition, otherwise])
        }
    }
}

/// Call arguments: positional, then keyword.
struct JinjaArguments: Sendable {
    var positional: [JinjaExpression] = []
    var keywords: [(name: String, value: JinjaExpression)] = []

    static let none = JinjaArguments()

    /// The depth of the deepest argument (0 for none).
    var depth: Int { max(positional.reduce(0) { max($0, $1.depth) }, keywords.reduce(0) { max($0, $1.value.depth) }) }
}

enum JinjaBinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    /// `~`: both sides as strings, joined.
    case concatenate = "~"
}

enum JinjaComparisonOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains = "in", notContains = "not in"
}
