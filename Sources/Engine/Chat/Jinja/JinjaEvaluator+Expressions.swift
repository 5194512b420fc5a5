#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Expressions: variables, literals, attribute and item access, slices, operators.
extension JinjaEvaluator {
    /// The value of `expression`, within the render's limits (`JinjaEvaluator+Limits.swift`).
    mutating func evaluate(_ expression: JinjaExpression) throws(JinjaError) -> JinjaValue {
        let location = expression.location
        lastLocation = location
        try enter(at: location)
        defer { depth -= 1 }
        try spend(1, at: location)
        switch expression.kind {
        case .literal(let value):
            return value
        case .variable(let name):
            return lookup(name)
        case .list(let items):
            var values: [JinjaValue] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try evaluate(item)) }
            try checkNesting(values, at: location)
            return .array(values)
        case .dict(let keys, let values):
            var object = JinjaObject()
            for (keyExpression, valueExpression) in zip(keys, values) {
                guard case .string(let key) = try evaluate(keyExpression) else {
                    throw .unsupported("a dict key that is not a string", keyExpression.location)
                }
                object[key] = try evaluate(valueExpression)
            }
            try checkNesting(object.values, at: location)
            return .object(object)
        case .attribute(let base, let name):
            let value = try evaluate(base)
            if case .undefined = value { throw undefinedAccess(base, "attribute '\(name)'", at: location) }
            return attribute(of: value, name)
        case .item(let base, let keyExpression):
            let value = try evaluate(base)
            if case .undefined = value { throw undefinedAccess(base, "an item", at: location) }
            // A string's characters are counted to find the one asked for.
            if case .string = value { try read(value, at: location) }
            return item(of: value, try evaluate(keyExpression))
        case .slice(let base, let start, let stop, let step):
            let value = try evaluate(base)
            try read(value, at: location)
            return try built(try slice(value, start: start, stop: stop, step: step, at: location), at: location)
        case .call(let callee, let arguments):
            return try built(try call(callee, arguments, at: location), at: location)
        case .methodCall(let receiver, let method, let arguments):
            let value = try evaluate(receiver)
            if case .undefined = value { throw undefinedAccess(receiver, "the method '\(method.rawValue)()'", at: location) }
            let evaluated = try evaluate(arguments)
            try read(value, at: location)
            for argument in evaluated.positional { try read(argument, at: location) }
            return try built(try callMethod(method, on: value, evaluated, at: location), at: location)
        case .filter(let base, let filter, let arguments):
            let value = try evaluate(base)
            let evaluated = try evaluate(arguments)
            try read(value, at: location)
            for argument in evaluated.positional { try read(argument, at: location) }
            return try built(try applyFilter(filter, to: value, evaluated, at: location), at: location)
        case .test(let base, let test, let arguments, let negated):
            let holds = try applyTest(test, to: try evaluate(base), try evaluate(arguments), at: location)
            return .bool(holds != negated)
        case .not(let operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case .negate(let operand):
            let value = try evaluate(operand)
            switch value {
            case .int(let i): return .int(0 &- i)
            case .bool(let b): return .int(b ? -1 : 0)
            case .double(let d): return .double(-d)
            default: throw .runtime("bad operand type for unary -: '\(value.typeName)'", location)
            }
        case .plus(let operand):
            let value = try evaluate(operand)
            guard value.numeric != nil else { throw .runtime("bad operand type for unary +: '\(value.typeName)'", location) }
            return value
        case .binary(let op, let left, let right):
            return try built(try binary(op, try evaluate(left), try evaluate(right), at: location), at: location)
        case .and(let left, let right):
            let value = try evaluate(left)
            return try value.isTruthy ? evaluate(right) : value
        case .or(let left, let right):
            let value = try evaluate(left)
            return try value.isTruthy ? value : evaluate(right)
        case .comparison(let first, let operations):
            var left = try evaluate(first)
            for (op, rightExpression) in operations {
                let right = try evaluate(rightExpression)
                try readDeeply(left, at: rightExpression.location)
                try readDeeply(right, at: rightExpression.location)
                guard try compare(op, left, right, at: rightExpression.location) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let then, let condition, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            guard let otherwise else { return .undefined }
            return try evaluate(otherwise)
        }
    }

    /// The error for reading `what` of an expression whose value is undefined.
    func undefinedAccess(_ base: JinjaExpression, _ what: String, at location: JinjaSourceLocation) -> JinjaError {
        let name: String
        switch base.kind {
        case .variable(let n): name = "'\(n)'"
        case .attribute(_, let n): name = "attribute '\(n)'"
        default: name = "the value"
        }
        return .runtime("\(name) is undefined, so it has no \(what)", location)
    }

    /// `value.name` as jinja2 reads it: for a dict its methods (`items`, `get`, ...) first, then
    /// its key; for a string its methods; the attributes of `loop` and of a namespace;
    /// otherwise undefined.
    func attribute(of value: JinjaValue, _ name: String) -> JinjaValue {
        switch value {
        case .object(let object):
            if JinjaMethod.dictMethods.contains(name) { return .runtime(JinjaRuntimeValue(.method(receiver: value, name: name))) }
            return object[name] ?? .undefined
        case .string:
            if JinjaMethod.stringMethods.contains(name) { return .runtime(JinjaRuntimeValue(.method(receiver: value, name: name))) }
            return .undefined
        case .runtime(let runtime):
            switch runtime.kind {
            case .namespace(let id): return namespaces[id][name] ?? .undefined
            case .loop(let state): return loopAttribute(state, name)
            default: return .undefined
            }
        default:
            return .undefined
        }
    }

    /// `value[key]` as jinja2 reads it: an index (negative from the end) of a list or string,
    /// a dict's key, else the attribute of that name; undefined where there is none.
    func item(of value: JinjaValue, _ key: JinjaValue) -> JinjaValue {
        switch value {
        case .array(let items):
            guard let index = key.integer else { return .undefined }
            let k = index < 0 ? items.count + index : index
            return items.indices.contains(k) ? items[k] : .undefined
        case .string(let s):
            guard let index = key.integer else { return .undefined }
            let scalars = Array(s.unicodeScalars)
            let k = index < 0 ? scalars.count + index : index
            return scalars.indices.contains(k) ? .string(String(scalars[k])) : .undefined
        case .object(let object):
            guard case .string(let name) = key else { return .undefined }
            return object[name] ?? attribute(of: value, name)
        default:
            guard case .string(let name) = key else { return .undefined }
            return attribute(of: value, name)
        }
    }

    /// `loop.index`, `loop.first`, `loop.previtem`, ... (jinja2's LoopContext).
    private func loopAttribute(_ state: JinjaLoopState, _ name: String) -> JinjaValue {
        let count = state.items.count
        let i = state.index0
        switch name {
        case "index": return .int(i + 1)
        case "index0": return .int(i)
        case "revindex": return .int(count - i)
        case "revindex0": return .int(count - i - 1)
        case "first": return .bool(i == 0)
        case "last": return .bool(i == count - 1)
        case "length": return .int(count)
        case "previtem": return i > 0 ? state.items[i - 1] : .undefined
        case "nextitem": return i + 1 < count ? state.items[i + 1] : .undefined
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "cycle": return .runtime(JinjaRuntimeValue(.method(receiver: .runtime(JinjaRuntimeValue(.loop(state))), name: name)))
        default: return .undefined
        }
    }

    /// `value[start:stop:step]` of a list or string, with Python's rules for omitted and
    /// negative bounds.
    private mutating func slice(_ value: JinjaValue, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?,
                                at location: JinjaSourceLocation) throws(JinjaError) -> JinjaValue {
        func bound(_ e: JinjaExpression?) throws(JinjaError) -> Int? {
            guard let e else { return nil }
            let v = try evaluate(e)
            if case .none = v { return nil }
            guard let i = v.integer else { throw .runtime("slice indices must be integers or none, not '\(v.typeName)'", e.location) }
            return i
        }
        let first = try bound(start)
        let last = try bound(stop)
        let stride = try bound(step) ?? 1
        guard stride != 0 else { throw .runtime("slice step cannot be zero", location) }
        func indices(_ count: Int) -> [Int] {
            var out: [Int] = []
            if stride > 0 {
                let lower = first.map { $0 < 0 ? max(0, $0 + count) : min($0, count) } ?? 0
                let upper = last.map { $0 < 0 ? max(0, $0 + count) : min($0, count) } ?? count
                var k = lower
                while k < upper {
                    out.append(k)
                    k += stride
                }
            } else {
                let upper = first.map { $0 < 0 ? max(-1, $0 + count) : min($0, count - 1) } ?? count - 1
                let lower = last.map { $0 < 0 ? max(-1, $0 + count) : min($0, count - 1) } ?? -1
                var k = upper
                while k > lower {
                    out.append(k)
                    k += stride
                }
            }
            return out
        }
        switch value {
        case .array(let items):
            if stride == 1, first == nil, last == nil { return value }
            return .array(indices(items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for k in indices(scalars.count) { out.append(scalars[k]) }
            return .string(String(out))
        default:
            throw .runtime("a '\(value.typeName)' value cannot be sliced", location)
        }
    }

    /// `a op b` with Python's rules: numbers (int stays int), `+` joins strings and lists,
    /// `*` repeats them, `/` always gives a float, `//` and `%` floor.
    func binary(_ op: JinjaBinaryOperator, _ a: JinjaValue, _ b: JinjaValue, at location: JinjaSourceLocation) throws(JinjaError) -> JinjaValue {
        func unsupported() -> JinjaError {
            let hint = (a == .undefined || b == .undefined) ? " (an operand is undefined: is a variable or key missing?)" : ""
            return .runtime("unsupported operand types for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'\(hint)", location)
        }
        if op == .concatenate { return .string(a.pythonString + b.pythonString) }
        switch (op, a, b) {
        case (.add, .string(let x), .string(let y)): return .string(x + y)
        case (.add, .array(let x), .array(let y)): return .array(x + y)
        case (.multiply, .string(let s), _), (.multiply, _, .string(let s)):
            guard let n = (a.string == nil ? a : b).integer else { throw unsupported() }
            let (length, overflow) = s.utf8.count.multipliedReportingOverflow(by: max(0, n))
            try Self.checkLength(overflow ? .max : length, of: "a repeated string", at: location)
            // Not `String(repeating:count:)`, which loops `count` times even for "".
            return .string(length == 0 ? "" : String(repeating: s, count: n))
        case (.multiply, .array(let items), _), (.multiply, _, .array(let items)):
            guard let n = (a.array == nil ? a : b).integer else { throw unsupported() }
            let (count, overflow) = items.count.multipliedReportingOverflow(by: max(0, n))
            try Self.checkCount(overflow ? .max : count, of: "a repeated list", at: location)
            return .array(count == 0 ? [] : Array([[JinjaValue]](repeating: items, count: n).joined()))
        default:
            break
        }
        if let x = a.integer, let y = b.integer {
            switch op {
            case .add:
                let (r, overflow) = x.addingReportingOverflow(y)
                return overflow ? .double(Double(x) + Double(y)) : .int(r)
            case .subtract:
                let (r, overflow) = x.subtractingReportingOverflow(y)
                return overflow ? .double(Double(x) - Double(y)) : .int(r)
            case .multiply:
                let (r, overflow) = x.multipliedReportingOverflow(by: y)
                return overflow ? .double(Double(x) * Double(y)) : .int(r)
            case .divide:
                guard y != 0 else { throw .runtime("division by zero", location) }
                return .double(Double(x) / Double(y))
            case .floorDivide, .modulo:
                guard y != 0 else { throw .runtime("integer division or modulo by zero", location) }
                var q = x / y
                var r = x % y
                if r != 0 && ((r < 0) != (y < 0)) {
                    q -= 1
                    r += y
                }
                return .int(op == .floorDivide ? q : r)
            case .power:
                if y >= 0 {
                    var result = 1
                    for _ in 0..<min(y, 64) {
                        let (r, overflow) = result.multipliedReportingOverflow(by: x)
                        if overflow { return .double(pow(Double(x), Double(y))) }
                        result = r
                    }
                    if y <= 64 || x == 0 || x == 1 { return .int(result) }
                    return x == -1 ? .int(y % 2 == 0 ? 1 : -1) : .double(pow(Double(x), Double(y)))
                }
                return .double(pow(Double(x), Double(y)))
            case .concatenate:
                break
            }
        }
        guard let x = a.numeric, let y = b.numeric else { throw unsupported() }
        switch op {
        case .add: return .double(x + y)
        case .subtract: return .double(x - y)
        case .multiply: return .double(x * y)
        case .divide:
            guard y != 0 else { throw .runtime("float division by zero", location) }
            return .double(x / y)
        case .floorDivide:
            guard y != 0 else { throw .runtime("float floor division by zero", location) }
            return .double((x / y).rounded(.down))
        case .modulo:
            guard y != 0 else { throw .runtime("float modulo by zero", location) }
            let r = fmod(x, y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case .power: return .double(pow(x, y))
        case .concatenate: return .string(a.pythonString + b.pythonString)
        }
    }

    /// `a op b` for comparisons and `in`.
    func compare(_ op: JinjaComparisonOperator, _ a: JinjaValue, _ b: JinjaValue, at location: JinjaSourceLocation) throws(JinjaError) -> Bool {
        switch op {
        case .equal: return a.looselyEquals(b)
        case .notEqual: return !a.looselyEquals(b)
        case .contains, .notContains:
            guard let found = b.contains(a) else {
                throw .runtime("'in' needs a string, list or dict on its right, not '\(b.typeName)'", location)
            }
            return found == (op == .contains)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let order = a.compare(b) else {
                throw .runtime("'\(op.rawValue)' is not supported between '\(a.typeName)' and '\(b.typeName)'", location)
            }
            switch op {
            case .less: return order < 0
            case .lessOrEqual: return order <= 0
            case .greater: return order > 0
            default: return order >= 0
            }
        }
    }
}
