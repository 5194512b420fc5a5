/// The tests templates apply (`value is name`, `value is not name(arguments)`), as jinja2
/// defines them.
enum JinjaTest: String, Sendable {
    case defined, undefined, none, string, mapping, iterable, sequence, number, integer, float, boolean
    case `true`, `false`, callable, equalto, ne, lt, le, gt, ge, odd, even, divisibleby, `in`, lower, upper, sameas

    /// The test a template names, aliases included (`eq` and `==` are `equalto`, ...).
    init?(named name: String) {
        switch name {
        case "eq", "==": self = .equalto
        case "!=": self = .ne
        case "lessthan", "<": self = .lt
        case "<=": self = .le
        case "greaterthan", ">": self = .gt
        case ">=": self = .ge
        default: self.init(rawValue: name)
        }
    }
}

extension JinjaEvaluator {
    mutating func applyTest(_ test: JinjaTest, to value: JinjaValue, _ arguments: JinjaCallArguments,
                            at location: JinjaSourceLocation) throws(JinjaError) -> Bool {
        let callee = "the '\(test.rawValue)' test"
        switch test {
        case .equalto, .ne, .lt, .le, .gt, .ge, .in, .sameas:
            // Comparisons read both sides item by item.
            try readDeeply(value, at: location)
            for argument in arguments.positional + arguments.keywords.map(\.value) { try readDeeply(argument, at: location) }
        default:
            break
        }
        func other() throws(JinjaError) -> JinjaValue {
            guard let value = try arguments.bind(["other"], callee: callee, at: location)[0] else {
                throw .runtime("\(callee) needs a value to compare with", location)
            }
            return value
        }
        func noArguments() throws(JinjaError) { _ = try arguments.bind([], callee: callee, at: location) }

        switch test {
        case .defined:
            try noArguments()
            return value != .undefined
        case .undefined:
            try noArguments()
            return value == .undefined
        case .none:
            try noArguments()
            return value == .none
        case .string:
            try noArguments()
            return value.string != nil
        case .mapping:
            try noArguments()
            return value.object != nil
        case .iterable, .sequence:
            // jinja2's Undefined iterates (as empty) and has a length, so it passes both.
            try noArguments()
            switch value {
            case .string, .array, .object, .undefined: return true
            default: return false
            }
        case .number:
            try noArguments()
            return value.numeric != nil
        case .integer:
            try noArguments()
            if case .int = value { return true }
            return false
        case .float:
            try noArguments()
            if case .double = value { return true }
            return false
        case .boolean:
            try noArguments()
            if case .bool = value { return true }
            return false
        case .true:
            try noArguments()
            return value == .bool(true)
        case .false:
            try noArguments()
            return value == .bool(false)
        case .callable:
            try noArguments()
            if case .runtime(let runtime) = value {
                switch runtime.kind {
                case .macro, .function, .method: return true
                case .namespace, .loop: return false
                }
            }
            return false
        case .equalto:
            return value.looselyEquals(try other())
        case .ne:
            return !value.looselyEquals(try other())
        case .lt, .le, .gt, .ge:
            let op: JinjaComparisonOperator = test == .lt ? .less : test == .le ? .lessOrEqual : test == .gt ? .greater : .greaterOrEqual
            return try compare(op, value, try other(), at: location)
        case .odd, .even:
            try noArguments()
            guard let i = value.integer else { throw .runtime("\(callee) needs an integer, not '\(value.typeName)'", location) }
            return (i % 2 != 0) == (test == .odd)
        case .divisibleby:
            let divisor = try other()
            guard let i = value.integer, let n = divisor.integer, n != 0 else {
                throw .runtime("\(callee) needs integers and a divisor other than 0", location)
            }
            return i % n == 0
        case .in:
            return try compare(.contains, value, try other(), at: location)
        case .lower, .upper:
            try noArguments()
            guard case .string(let s) = value else { return false }
            return test == .lower ? s == s.lowercased() : s == s.uppercased()
        case .sameas:
            // Python's `is`: identity, which only the singletons none, true and false can show here.
            switch (value, try other()) {
            case (.none, .none), (.undefined, .undefined): return true
            case (.bool(let a), .bool(let b)): return a == b
            default: return false
            }
        }
    }
}
