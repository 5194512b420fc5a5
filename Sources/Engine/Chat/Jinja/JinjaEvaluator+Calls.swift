/// Evaluated call arguments, matched to parameters the way Python matches them.
struct JinjaCallArguments {
    var positional: [JinjaValue] = []
    var keywords: [(name: String, value: JinjaValue)] = []

    /// The value for each of `parameters` (nil where not passed): positional arguments in
    /// order, then keywords by name. Too many arguments, or an unknown or repeated keyword,
    /// is an error naming `callee`.
    func bind(_ parameters: [String], callee: String, at location: JinjaSourceLocation) throws(JinjaError) -> [JinjaValue?] {
        guard positional.count <= parameters.count else {
            throw .runtime("\(callee) takes at most \(parameters.count) arguments, \(positional.count) given", location)
        }
        var values: [JinjaValue?] = positional.map { $0 }
        values += Array(repeating: nil, count: parameters.count - positional.count)
        for (name, value) in keywords {
            guard let k = parameters.firstIndex(of: name) else {
                throw .runtime("\(callee) has no parameter '\(name)'", location)
            }
            guard values[k] == nil else { throw .runtime("\(callee) got '\(name)' twice", location) }
            values[k] = value
        }
        return values
    }
}

/// Calls: macros, the global functions, and methods of strings, dicts and `loop`.
extension JinjaEvaluator {
    mutating func evaluate(_ arguments: JinjaArguments) throws(JinjaError) -> JinjaCallArguments {
        var out = JinjaCallArguments()
        out.positional.reserveCapacity(arguments.positional.count)
        for argument in arguments.positional { out.positional.append(try evaluate(argument)) }
        for (name, argument) in arguments.keywords { out.keywords.append((name, try evaluate(argument))) }
        return out
    }

    /// `name(arguments)`, where `name` holds a macro or a global function.
    mutating func call(_ callee: JinjaExpression, _ arguments: JinjaArguments, at location: JinjaSourceLocation) throws(JinjaError) -> JinjaValue {
        let value = try evaluate(callee)
        let name: String
        if case .variable(let n) = callee.kind { name = n } else { name = "the value" }
        guard case .runtime(let runtime) = value else {
            if case .undefined = value { throw .runtime("'\(name)' is undefined: no macro or function has that name here", location) }
            throw .runtime("'\(name)' is a '\(value.typeName)', which cannot be called", location)
        }
        let evaluated = try evaluate(arguments)
        switch runtime.kind {
        case .macro(let macro): return try callMacro(macro, evaluated, at: location)
        case .function(let function): return try callFunction(function, evaluated, at: location)
        case .method(let receiver, let methodName):
            guard let method = JinjaMethod(rawValue: methodName) else { throw .unsupported("the method '\(methodName)()'", location) }
            return try callMethod(method, on: receiver, evaluated, at: location)
        case .namespace, .loop:
            throw .runtime("'\(name)' is a '\(value.typeName)', which cannot be called", location)
        }
    }

    /// Renders a macro's body with its parameters bound (missing ones take their default, or
    /// are undefined) and returns the text.
    private mutating func callMacro(_ macro: JinjaMacro, _ arguments: JinjaCallArguments, at location: JinjaSourceLocation) throws(JinjaError) -> JinjaValue {
        guard macroDepth < Self.maxMacroDepth else {
            throw .runtime("macro '\(macro.name)' nests more than \(Self.maxMacroDepth) calls deep (does it recurse without end?)", location)
        }
        // A call sets up a scope and captures the output: dearer than an expression.
        try spend(Self.macroCallWork, at: location)
        let values = try arguments.bind(macro.parameters.map(\.name), callee: "macro '\(macro.name)'", at: location)
        pushScope(isolated: true)
        macroDepth += 1
        defer {
            macroDepth -= 1
            popScope()
        }
        for (parameter, value) in zip(macro.parameters, values) {
            if let value {
                assign(parameter.name, value)
            } else if let defaultValue = parameter.defaultValue {
                assign(parameter.name, try evaluate(defaultValue))
            } else {
                assign(parameter.name, .undefined)
            }
        }
        return .string(try capture(macro.body))
    }

    private mutating func callFunction(_ function: JinjaFunction, _ arguments: JinjaCallArguments, at location: JinjaSourceLocation) throws(JinjaError) -> JinjaValue {
        let callee = "\(function.rawValue)()"
        switch function {
        case .raiseException:
            let values = try arguments.bind(["message"], callee: callee, at: location)
            throw .raised((values[0] ?? .undefined).pythonString, location)
        case .strftimeNow:
            let values = try arguments.bind(["format"], callee: callee, at: location)
            guard case .string(let format)? = values[0] else { throw .runtime("strftime_now() needs a format string", location) }
            return .string(now.formatted(format))
        case .range:
            guard arguments.keywords.isEmpty, (1...3).contains(arguments.positional.count) else {
                throw .runtime("range() takes 1 to 3 integer arguments", location)
            }
            var bounds: [Int] = []
            for value in arguments.positional {
                guard let i = value.integer else { throw .runtime("range() takes integers, not '\(value.typeName)'", location) }
                bounds.append(i)
            }
            let (start, stop, step) = bounds.count == 1 ? (0, bounds[0], 1) : (bounds[0], bounds[1], bounds.count == 3 ? bounds[2] : 1)
            guard step != 0 else { throw .runtime("range() step must not be zero", location) }
            // In 128 bits: `stop - start` of two Ints can overflow 64.
            let (first, last, by) = (Int128(start), Int128(stop), Int128(step))
            let count = by > 0 ? max(0, (last - first + by - 1) / by) : max(0, (first - last - by - 1) / -by)
            // A runaway range would allocate without bound on a serving thread.
            guard count <= Int128(Self.maxItems) else { throw .runtime("range() of \(count) items is too large (at most \(Self.maxItems))", location) }
            return .array((0..<Int(count)).map { .int(start + $0 * step) })
        case .namespace, .dict:
            var object = JinjaObject()
            for value in arguments.positional {
                guard case .object(let initial) = value else {
                    throw .runtime("\(callee) takes keyword arguments or a dict, not '\(value.typeName)'", location)
                }
                for (key, item) in initial.pairs { object[key] = item }
            }
            for (name, value) in arguments.keywords { object[name] = value }
            try checkNesting(object.values, at: location)
            guard function == .namespace else { return .object(object) }
            namespaces.append(object)
            return .runtime(JinjaRuntimeValue(.namespace(namespaces.count - 1)))
        }
    }
}
