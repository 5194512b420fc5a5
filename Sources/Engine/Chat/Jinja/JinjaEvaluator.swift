/// The state of one render: the output so far, the variables in scope, the namespaces.
///
/// Scopes follow jinja2: the template's top level is one scope (an `if` opens none); each
/// iteration of a for loop gets a fresh scope over it, so a `set` inside a loop is gone at the
/// next iteration and after the loop (hence `namespace()`); a macro sees only its parameters
/// and the top level. Variables live in one flat stack with a marker per scope, so entering
/// and leaving scopes allocates nothing once the stack has grown.
struct JinjaEvaluator {
    struct Binding {
        var name: String
        var value: JinjaValue
    }

    struct Scope {
        /// Index of the scope's first binding.
        var start: Int
        /// A macro's scope: look-ups skip from it to the top level.
        var isolated: Bool
    }

    /// What a statement asks of the loop around it.
    enum Flow {
        case normal, breakLoop, continueLoop
    }

    /// The rendered text so far.
    var output = ""
    var bindings: [Binding] = []
    var scopes: [Scope] = [Scope(start: 0, isolated: false)]
    /// The objects behind `namespace()` values (`JinjaRuntimeValue.Kind.namespace`).
    var namespaces: [JinjaObject] = []
    /// What `strftime_now` formats.
    let now: JinjaDate
    var macroDepth = 0
    /// Statements, expressions and macro calls being evaluated, one inside the other
    /// (`JinjaEvaluator+Limits.swift`).
    var depth = 0
    /// Work units spent so far, and the most a render may spend (`JinjaEvaluator+Limits.swift`).
    var work = 0
    var workLimit: Int
    /// Where the expression evaluated last starts, for errors raised between expressions.
    var lastLocation = JinjaSourceLocation(line: 1, column: 1)

    /// Macro calls nest at most this deep: a template that recurses without end fails with an
    /// error instead of overflowing the stack of a serving thread.
    static let maxMacroDepth = 64

    /// An evaluator whose top level holds the global functions, then `context`.
    init(context: JinjaObject, now: JinjaDate) {
        self.now = now
        workLimit = Self.workLimit(for: context)
        bindings.reserveCapacity(context.count + JinjaFunction.allCases.count + 16)
        for function in JinjaFunction.allCases {
            bindings.append(Binding(name: function.rawValue, value: .runtime(JinjaRuntimeValue(.function(function)))))
        }
        for (name, value) in context.pairs { assign(name, value) }
    }

    // MARK: - Variables

    /// The value of `name` in scope, or `.undefined`.
    func lookup(_ name: String) -> JinjaValue {
        var s = scopes.count - 1
        var end = bindings.count
        while s >= 0 {
            let scope = scopes[s]
            var k = end - 1
            while k >= scope.start {
                if bindings[k].name == name { return bindings[k].value }
                k -= 1
            }
            if scope.isolated && s > 0 {
                // From a macro straight to the top level.
                end = scopes[1].start
                s = 0
            } else {
                end = scope.start
                s -= 1
            }
        }
        return .undefined
    }

    /// Sets `name` in the innermost scope.
    mutating func assign(_ name: String, _ value: JinjaValue) {
        let start = scopes[scopes.count - 1].start
        var k = bindings.count - 1
        while k >= start {
            if bindings[k].name == name {
                bindings[k].value = value
                return
            }
            k -= 1
        }
        bindings.append(Binding(name: name, value: value))
    }

    mutating func pushScope(isolated: Bool) {
        scopes.append(Scope(start: bindings.count, isolated: isolated))
    }

    mutating func popScope() {
        let scope = scopes.removeLast()
        bindings.removeSubrange(scope.start...)
    }

    /// Empties the innermost scope (a new loop iteration).
    mutating func clearScope() {
        bindings.removeSubrange(scopes[scopes.count - 1].start...)
    }

    // MARK: - Statements

    mutating func run(_ nodes: [JinjaNode]) throws(JinjaError) -> Flow {
        try enter(at: nil)
        defer { depth -= 1 }
        for node in nodes {
            try spend(1, at: nil)
            switch node {
            case .text(let text):
                try write(text, at: nil)
            case .output(let expression):
                let value = try evaluate(expression)
                if case .string(let s) = value {
                    try write(s, at: expression.location)
                } else {
                    let before = output.utf8.count
                    value.writeRepr(into: &output)
                    try wrote(output.utf8.count - before, at: expression.location)
                }
            case .conditional(let branches, let otherwise):
                var chosen = otherwise
                for branch in branches {
                    guard try evaluate(branch.condition).isTruthy else { continue }
                    chosen = branch.body
                    break
                }
                let flow = try run(chosen)
                if case .normal = flow { continue }
                return flow
            case .loop(let loop):
                try runLoop(loop)
            case .assign(let target, let expression, let location):
                try assign(target, try evaluate(expression), at: location)
            case .assignBlock(let name, let body):
                assign(name, .string(try capture(body)))
            case .macro(let macro):
                assign(macro.name, .runtime(JinjaRuntimeValue(.macro(macro))))
            case .loopControl(let isBreak, _):
                return isBreak ? .breakLoop : .continueLoop
            case .block(let body):
                let flow = try run(body)
                if case .normal = flow { continue }
                return flow
            }
        }
        return .normal
    }

    /// Runs `body` and returns what it wrote instead of writing it.
    mutating func capture(_ body: [JinjaNode]) throws(JinjaError) -> String {
        let saved = output
        output = ""
        defer { output = saved }
        _ = try run(body)
        return output
    }

    private mutating func assign(_ target: JinjaAssignTarget, _ value: JinjaValue, at location: JinjaSourceLocation) throws(JinjaError) {
        switch target {
        case .name(let name):
            assign(name, value)
        case .names(let names):
            let items = try unpack(value, into: names.count, at: location)
            for (name, item) in zip(names, items) { assign(name, item) }
        case .attribute(let namespace, let attribute):
            guard case .runtime(let runtime) = lookup(namespace), case .namespace(let id) = runtime.kind else {
                throw .runtime("'\(namespace)' is not a namespace: only a namespace() takes 'set \(namespace).\(attribute) = ...'", location)
            }
            namespaces[id][attribute] = value
        }
    }

    /// `value`'s items for `for a, b in ...` or `set a, b = ...`: exactly `count` of them.
    private func unpack(_ value: JinjaValue, into count: Int, at location: JinjaSourceLocation) throws(JinjaError) -> [JinjaValue] {
        let items = try iterationItems(value, at: location)
        guard items.count == count else {
            throw .runtime("cannot unpack \(items.count) values into \(count) names", location)
        }
        return items
    }

    /// What `for` iterates over `value`: a list's items, a dict's keys, a string's characters;
    /// nothing for undefined.
    func iterationItems(_ value: JinjaValue, at location: JinjaSourceLocation) throws(JinjaError) -> [JinjaValue] {
        switch value {
        case .array(let items): return items
        case .object(let object): return object.keys.map { .string($0) }
        case .string(let s):
            try Self.checkCount(s.unicodeScalars.count, of: "a list of a string's characters", at: location)
            return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw .runtime("'\(value.typeName)' object is not iterable", location)
        }
    }

    private mutating func runLoop(_ loop: JinjaLoop) throws(JinjaError) {
        var items = try iterationItems(try evaluate(loop.iterable), at: loop.iterable.location)
        pushScope(isolated: false)
        if let filter = loop.filter {
            var kept: [JinjaValue] = []
            for item in items {
                clearScope()
                try bindTargets(loop, item)
                if try evaluate(filter).isTruthy { kept.append(item) }
            }
            items = kept
        }
        for index in items.indices {
            try spend(1, at: loop.location)
            clearScope()
            try bindTargets(loop, items[index])
            assign("loop", .runtime(JinjaRuntimeValue(.loop(JinjaLoopState(items: items, index0: index)))))
            if case .breakLoop = try run(loop.body) { break }
        }
        popScope()
        if items.isEmpty { _ = try run(loop.otherwise) }
    }

    private mutating func bindTargets(_ loop: JinjaLoop, _ item: JinjaValue) throws(JinjaError) {
        guard loop.unpacks else {
            assign(loop.targets[0], item)
            return
        }
        for (name, value) in zip(loop.targets, try unpack(item, into: loop.targets.count, at: loop.location)) {
            assign(name, value)
        }
    }
}
