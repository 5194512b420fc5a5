extension JSONSchemaCompiler {
    // MARK: - Strings

    /// `type: string`, with `minLength`/`maxLength` as a bounded count of string characters.
    mutating func string(_ schema: JSONValue, path: String) throws(GrammarError) -> Rule {
        let min = try bound("minLength", in: schema, path: path) ?? 0
        let max = try bound("maxLength", in: schema, path: path)
        if min == 0 && max == nil { return lexicon.string }
        try ordered(min, max, "minLength", "maxLength", path: path)
        let body = try repeated([.rule(lexicon.char)], min: min, max: max, name: path + "/chars")
        let r = builder.freshRule(ruleName(path + "/string"))
        builder.define(r, [[.literal("\""), .rule(body), .literal("\"")]])
        return r
    }

    // MARK: - Arrays

    /// `type: array`: `items` (one schema, `true` or `false`) between `minItems` and `maxItems` times.
    mutating func array(_ schema: JSONValue, path: String, depth: Int) throws(GrammarError) -> Rule {
        let min = try bound("minItems", in: schema, path: path) ?? 0
        var max = try bound("maxItems", in: schema, path: path)
        try ordered(min, max, "minItems", "maxItems", path: path)
        var item = lexicon.value
        switch schema["items"] {
        case nil, .bool(true)?:
            break
        case .bool(false)?:
            guard min == 0 else { throw .invalidSchema("'items' at \(path) is false, so no array can have minItems \(min)") }
            max = 0
        case .array?:
            throw .unsupportedSchema(keyword: "items", why: "the array (tuple) form of items is not supported; use one schema (at \(path))")
        case let items?:
            item = try value(items, path: path + "/items", depth: depth + 1)
        }
        if min == 0 && max == nil && item == lexicon.value { return lexicon.array }
        try charge(max ?? min, path: path)
        let r = builder.freshRule(ruleName(path + "/array"))
        builder.define(r, [JSONLexicon.list(item, open: "[", close: "]", min: min, max: max, space: lexicon.space,
                                            name: ruleName(path + "/items"), in: &builder)])
        return r
    }

    // MARK: - Objects

    /// One property an object schema's grammar writes, in schema order.
    private struct Member {
        var key: String
        var schema: JSONValue
        var required: Bool
    }

    /// `type: object`. With `properties` or `required`, the listed properties in schema order,
    /// required ones always, optional ones or not, and no others (valid whatever
    /// `additionalProperties` says). Without either, any members valid against
    /// `additionalProperties` (none when it is false).
    mutating func object(_ schema: JSONValue, path: String, depth: Int) throws(GrammarError) -> Rule {
        let additional = schema["additionalProperties"]
        switch additional {
        case nil, .bool?, .object?: break
        case let other?: throw .invalidSchema("'additionalProperties' at \(path) must be a boolean or a schema, not \(other.kind)")
        }
        let declared = try properties(schema, path: path)
        let required = try requiredNames(schema, path: path)
        if declared.isEmpty && required.isEmpty && schema["properties"] == nil { return try map(additional, path: path, depth: depth) }
        var members: [Member] = []
        for (key, property) in declared {
            let isRequired = required.contains { Self.same($0, key) }
            if property == .bool(false) {
                if isRequired { throw .invalidSchema("property '\(key)' at \(path) is required, but its schema is false") }
                continue
            }
            members.append(Member(key: key, schema: property, required: isRequired))
        }
        for key in required where !declared.contains(where: { Self.same($0.key, key) }) {
            guard additional != .bool(false) else {
                throw .invalidSchema("'required' at \(path) names '\(key)', which is not in 'properties' while additionalProperties is false")
            }
            members.append(Member(key: key, schema: additional ?? .bool(true), required: true))
        }
        return try orderedMembers(members, path: path, depth: depth)
    }

    /// `"{" space first(0) "}"`, with one rule of each kind per member, so the commas are right
    /// whichever optional members are skipped:
    /// - `first(i)`: members from `i` on, none written yet: `pair(i) next(i+1)`, or (if `i` is
    ///   optional) `first(i+1)`; `first(n)` is empty.
    /// - `next(i)`: after a member: `"," space pick(i)`, or nothing if all from `i` on are optional.
    /// - `pick(i)`: one member from `i` on, after a comma: `pair(i) next(i+1)`, or (if `i` is
    ///   optional) `pick(i+1)`.
    /// The comma and the space after it are shared by every member that may follow, so the
    /// matcher keeps one stack per candidate name, not three.
    private mutating func orderedMembers(_ members: [Member], path: String, depth: Int) throws(GrammarError) -> Rule {
        let n = members.count
        var pairs: [Rule] = []
        for m in members {
            let propertyPath = "\(path)/properties/\(Self.escapePointer(m.key))"
            let v = try value(m.schema, path: propertyPath, depth: depth + 1)
            let pair = builder.freshRule(ruleName(propertyPath))
            let space = Item.rule(lexicon.space)
            builder.define(pair, [[.literal(JSONValue.string(m.key).serialized), space, .literal(":"), space, .rule(v), space]])
            pairs.append(pair)
        }
        let empty = builder.freshRule(ruleName(path + "/end"))
        builder.define(empty, [[]])
        // Built back to front: next(i) needs pick(i), which needs next(i+1).
        var next = empty, pick: Rule?, first = empty
        var optionalFrom = true  // whether every member from i on is optional
        for i in stride(from: n - 1, through: 0, by: -1) {
            let written: [Item] = [.rule(pairs[i]), .rule(next)]
            let optional = !members[i].required
            optionalFrom = optionalFrom && optional
            let p = builder.freshRule(ruleName("\(path)/pick\(i)"))
            builder.define(p, optional && pick != nil ? [written, [.rule(pick!)]] : [written])
            let f = builder.freshRule(ruleName("\(path)/first\(i)"))
            builder.define(f, optional ? [written, [.rule(first)]] : [written])
            first = f
            pick = p
            if i > 0 {
                let nx = builder.freshRule(ruleName("\(path)/next\(i)"))
                builder.define(nx, optionalFrom ? [[.literal(","), .rule(lexicon.space), .rule(p)], []] : [[.literal(","), .rule(lexicon.space), .rule(p)]])
                next = nx
            }
        }
        let r = builder.freshRule(ruleName(path + "/object"))
        builder.define(r, [[.literal("{"), .rule(lexicon.space), .rule(first), .literal("}")]])
        return r
    }

    /// An object without listed properties: any names, values valid against `additional`.
    private mutating func map(_ additional: JSONValue?, path: String, depth: Int) throws(GrammarError) -> Rule {
        switch additional {
        case nil, .bool(true)?:
            return lexicon.object
        case .bool(false)?:
            let r = builder.freshRule(ruleName(path + "/empty-object"))
            builder.define(r, [JSONLexicon.list(lexicon.value, open: "{", close: "}", min: 0, max: 0, space: lexicon.space, name: "", in: &builder)])
            return r
        case let schema?:
            let v = try value(schema, path: path + "/additionalProperties", depth: depth + 1)
            let member = builder.freshRule(ruleName(path + "/member"))
            let space = Item.rule(lexicon.space)
            builder.define(member, [[.rule(lexicon.string), space, .literal(":"), space, .rule(v)]])
            let r = builder.freshRule(ruleName(path + "/map"))
            builder.define(r, [JSONLexicon.list(member, open: "{", close: "}", min: 0, max: nil, space: lexicon.space,
                                                name: ruleName(path + "/members"), in: &builder)])
            return r
        }
    }

    /// `properties` in schema order; a name listed twice is an error.
    private func properties(_ schema: JSONValue, path: String) throws(GrammarError) -> [(key: String, schema: JSONValue)] {
        guard let value = schema["properties"] else { return [] }
        guard let members = value.objectValue else { throw .invalidSchema("'properties' at \(path) must be an object, not \(value.kind)") }
        var result: [(key: String, schema: JSONValue)] = []
        for m in members {
            guard !result.contains(where: { Self.same($0.key, m.key) }) else {
                throw .invalidSchema("'properties' at \(path) lists '\(m.key)' twice")
            }
            result.append((m.key, m.value))
        }
        return result
    }

    /// `required`: names, without repeats.
    private func requiredNames(_ schema: JSONValue, path: String) throws(GrammarError) -> [String] {
        guard let value = schema["required"] else { return [] }
        guard let names = value.arrayValue else { throw .invalidSchema("'required' at \(path) must be an array of property names") }
        var result: [String] = []
        for name in names {
            guard let s = name.stringValue else {
                throw .invalidSchema("'required' at \(path) must be an array of property names, but it holds \(name.serialized)")
            }
            if !result.contains(where: { Self.same($0, s) }) { result.append(s) }
        }
        return result
    }

    // MARK: - Bounds

    /// The non-negative integer `keyword`, at most `maxBound`; nil when absent.
    func bound(_ keyword: String, in schema: JSONValue, path: String) throws(GrammarError) -> Int? {
        guard let v = schema[keyword] else { return nil }
        if let d = v.doubleValue, d > Double(Self.maxBound), d.rounded() == d {
            throw .tooLarge("'\(keyword)' at \(path) is \(v.serialized); at most \(Self.maxBound) is supported")
        }
        guard let n = v.intValue, n >= 0 else {
            throw .invalidSchema("'\(keyword)' at \(path) must be a non-negative integer, not \(v.serialized)")
        }
        return n
    }

    private func ordered(_ min: Int, _ max: Int?, _ minKeyword: String, _ maxKeyword: String, path: String) throws(GrammarError) {
        if let max, max < min { throw .invalidSchema("'\(minKeyword)' (\(min)) at \(path) is greater than '\(maxKeyword)' (\(max))") }
    }

    /// Whether two names are the same code points (not merely canonically equivalent).
    static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// `name` as a JSON pointer token (for messages).
    static func escapePointer(_ name: String) -> String {
        name.replacing("~", with: "~0").replacing("/", with: "~1")
    }
}
