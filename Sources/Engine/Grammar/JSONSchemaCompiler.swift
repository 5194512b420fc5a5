/// Compiles JSON schemas into rules of a `GrammarBuilder` (see `JSONSchemaGrammar`). Each schema
/// becomes a rule for its values with no whitespace before or after; containers place `space`
/// after each opening bracket, name, colon, comma and value. `$ref` targets get one named rule
/// each, compiled from a work list, so recursive definitions work and recursion here is bounded
/// by the nesting of one schema (`maxDepth`), never by a chain of references.
struct JSONSchemaCompiler {
    typealias Rule = GrammarBuilder.Rule
    typealias Item = GrammarBuilder.Item

    /// The deepest nesting of schemas inside one schema (properties, items, anyOf).
    static let maxDepth = 64
    /// The largest bound of `minItems`, `maxItems`, `minLength` and `maxLength`.
    static let maxBound = 4096
    /// The most repetition levels (rules) one compilation may create over all bounds.
    static let maxRepetitionLevels = 65_536

    var builder: GrammarBuilder
    let lexicon: JSONLexicon
    /// The document `$ref` pointers resolve in.
    let document: JSONValue
    /// Rule names start with this.
    let prefix: String
    /// The rule of each `$ref` pointer seen so far.
    var references: [String: Rule] = [:]
    /// References whose rules are declared but not yet defined.
    var pending: [(pointer: String, rule: Rule, schema: JSONValue)] = []
    var repetitionLevels = 0

    init(builder: consuming GrammarBuilder, document: JSONValue, prefix: String) {
        self.builder = builder
        self.lexicon = JSONLexicon(&self.builder)
        self.document = document
        self.prefix = prefix
    }

    /// The rule for values of the whole document, defining every rule it needs.
    mutating func compileDocument() throws(GrammarError) -> Rule {
        let root = builder.freshRule(prefix)
        references["#"] = root
        let body = try value(document, path: "#", depth: 0)
        builder.define(root, [[.rule(body)]])
        while let next = pending.popLast() {
            let body = try value(next.schema, path: next.pointer, depth: 0)
            builder.define(next.rule, [[.rule(body)]])
        }
        return root
    }

    /// The rule for values valid against `schema`, found at `path` (a JSON pointer, for messages).
    mutating func value(_ schema: JSONValue, path: String, depth: Int) throws(GrammarError) -> Rule {
        guard depth <= Self.maxDepth else { throw .tooLarge("schemas are nested more than \(Self.maxDepth) deep at \(path)") }
        switch schema {
        case .bool(true): return lexicon.value
        case .bool(false): throw .invalidSchema("the schema at \(path) is false, which no value satisfies")
        case .object(let members): return try schemaObject(members, schema: schema, path: path, depth: depth)
        default: throw .invalidSchema("the schema at \(path) must be an object or a boolean, not \(schema.kind)")
        }
    }

    /// A schema written as an object: checks its keywords, then compiles the one form it takes.
    private mutating func schemaObject(_ members: [JSONMember], schema: JSONValue, path: String, depth: Int) throws(GrammarError) -> Rule {
        var keywords: [String] = []
        for m in members where !Self.annotations.contains(m.key) {
            guard Self.enforced.contains(m.key) else { throw .unsupportedSchema(keyword: m.key, why: Self.whyUnsupported(m.key) + " (at \(path))") }
            keywords.append(m.key)
        }
        if let ref = schema["$ref"] {
            try only("$ref", among: keywords, allowing: [], path: path)
            return try reference(ref, path: path)
        }
        if let alternatives = schema["anyOf"] {
            try only("anyOf", among: keywords, allowing: [], path: path)
            return try anyOf(alternatives, path: path, depth: depth)
        }
        if schema["enum"] != nil || schema["const"] != nil {
            try only(schema["enum"] != nil ? "enum" : "const", among: keywords, allowing: ["type", "enum", "const"], path: path)
            return try literals(schema, path: path)
        }
        return try typed(schema, keywords: keywords, path: path, depth: depth)
    }

    /// Throws unless every keyword but `keyword` is in `allowing` (combinations are not enforced).
    private func only(_ keyword: String, among keywords: [String], allowing: Set<String>, path: String) throws(GrammarError) {
        if let other = keywords.first(where: { $0 != keyword && !allowing.contains($0) }) {
            throw .unsupportedSchema(keyword: other, why: "it cannot be combined with \(keyword) (at \(path))")
        }
    }

    // MARK: - Types

    /// A schema by its `type` (or, without one, by the keywords present; none means any value).
    private mutating func typed(_ schema: JSONValue, keywords: [String], path: String, depth: Int) throws(GrammarError) -> Rule {
        let types: [String]
        if let declared = try Self.types(schema, path: path) {
            types = declared
        } else {
            let present = Set(keywords)
            var inferred: [String] = []
            if !present.isDisjoint(with: Self.objectKeywords) { inferred.append("object") }
            if !present.isDisjoint(with: Self.arrayKeywords) { inferred.append("array") }
            if !present.isDisjoint(with: Self.stringKeywords) { inferred.append("string") }
            if inferred.isEmpty { return lexicon.value }
            types = inferred
        }
        var branches: [Rule] = []
        for type in types {
            switch type {
            case "null": branches.append(lexicon.null)
            case "boolean": branches.append(lexicon.boolean)
            case "number": branches.append(lexicon.number)
            case "integer" where !types.contains("number"): branches.append(lexicon.integer)  // numbers include integers
            case "integer": break
            case "string": branches.append(try string(schema, path: path))
            case "array": branches.append(try array(schema, path: path, depth: depth))
            default: branches.append(try object(schema, path: path, depth: depth))
            }
        }
        return alternatives(branches, name: path)
    }

    /// The types `type` names (nil without one), checked and without repeats.
    static func types(_ schema: JSONValue, path: String) throws(GrammarError) -> [String]? {
        guard let type = schema["type"] else { return nil }
        let names: [JSONValue] = type.arrayValue ?? [type]
        var types: [String] = []
        for name in names {
            guard let s = name.stringValue, ["object", "array", "string", "number", "integer", "boolean", "null"].contains(s) else {
                throw .invalidSchema("'type' at \(path) must be object, array, string, number, integer, boolean or null (or an array of them), not \(name.serialized)")
            }
            if !types.contains(s) { types.append(s) }
        }
        guard !types.isEmpty else { throw .invalidSchema("'type' at \(path) is an empty array, which no value satisfies") }
        return types
    }

    /// One rule matching any of `rules` (the rule itself when there is one).
    mutating func alternatives(_ rules: [Rule], name: String) -> Rule {
        if rules.count == 1 { return rules[0] }
        let r = builder.freshRule(ruleName(name))
        builder.define(r, rules.map { [.rule($0)] })
        return r
    }

    // MARK: - Combinations, literals and references

    private mutating func anyOf(_ alternatives: JSONValue, path: String, depth: Int) throws(GrammarError) -> Rule {
        guard let schemas = alternatives.arrayValue, !schemas.isEmpty else {
            throw .invalidSchema("'anyOf' at \(path) must be a non-empty array of schemas")
        }
        var rules: [Rule] = []
        for (k, s) in schemas.enumerated() {
            let r = try value(s, path: "\(path)/anyOf/\(k)", depth: depth + 1)
            if !rules.contains(r) { rules.append(r) }
        }
        return self.alternatives(rules, name: path + "/anyOf")
    }

    /// `enum` and `const`: each allowed value as its compact JSON text, kept only if of a `type`.
    private mutating func literals(_ schema: JSONValue, path: String) throws(GrammarError) -> Rule {
        var values: [JSONValue]
        if let list = schema["enum"] {
            guard let array = list.arrayValue else { throw .invalidSchema("'enum' at \(path) must be an array") }
            values = array
            if let c = schema["const"] { values = values.filter { $0.serialized.utf8.elementsEqual(c.serialized.utf8) } }
        } else {
            values = [schema["const"]!]
        }
        if let types = try Self.types(schema, path: path) { values = values.filter { $0.hasType(in: types) } }
        var texts: [[UInt8]] = []
        for v in values {
            let text = Array(v.serialized.utf8)
            if !texts.contains(text) { texts.append(text) }
        }
        guard !texts.isEmpty else { throw .invalidSchema("'enum'/'const' at \(path) allows no value (of its type)") }
        let r = builder.freshRule(ruleName(path + "/enum"))
        builder.define(r, texts.map { [.literal(String(decoding: $0, as: UTF8.self))] })
        return r
    }

    /// The rule of the schema `ref` points to; its body is compiled later (see `pending`).
    private mutating func reference(_ ref: JSONValue, path: String) throws(GrammarError) -> Rule {
        guard let pointer = ref.stringValue else { throw .invalidSchema("'$ref' at \(path) must be a string") }
        if let known = references[pointer] { return known }
        guard pointer.hasPrefix("#") else {
            throw .unsupportedSchema(keyword: "$ref", why: "only references inside the schema (such as #/$defs/Name) are supported, not '\(pointer)' (at \(path))")
        }
        guard let target = Self.resolve(pointer.dropFirst(), in: document) else {
            throw .invalidSchema("'$ref' '\(pointer)' at \(path) points to nothing in the schema")
        }
        let rule = builder.freshRule(ruleName(pointer))
        references[pointer] = rule
        pending.append((pointer, rule, target))
        return rule
    }

    /// The value at JSON pointer `pointer` (`/$defs/Name`; `~1` is `/`, `~0` is `~`).
    static func resolve(_ pointer: Substring, in document: JSONValue) -> JSONValue? {
        guard !pointer.isEmpty else { return document }
        guard pointer.hasPrefix("/") else { return nil }
        var node = document
        for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let key = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            if let member = node[key] {
                node = member
            } else if let elements = node.arrayValue, let index = Int(key), elements.indices.contains(index) {
                node = elements[index]
            } else {
                return nil
            }
        }
        return node
    }

    // MARK: - Helpers

    /// A rule name from a schema path: the prefix, then the path's letters, digits and dashes.
    func ruleName(_ path: String) -> String {
        let tail = String(path.unicodeScalars.map { s -> Character in
            s.properties.isAlphabetic && s.isASCII || ("0"..."9").contains(s) ? Character(s) : "-"
        })
        let trimmed = tail.split(separator: "-").joined(separator: "-")
        return trimmed.isEmpty ? prefix : "\(prefix)-\(trimmed)"
    }

    /// `items` repeated `min` to `max` times, counted against `maxRepetitionLevels`.
    mutating func repeated(_ items: [Item], min: Int, max: Int?, name: String) throws(GrammarError) -> Rule {
        try charge(max ?? min, path: name)
        return builder.repeated(items, min: min, max: max, name: ruleName(name))
    }

    /// Counts `levels` repetition rules against `maxRepetitionLevels`.
    mutating func charge(_ levels: Int, path: String) throws(GrammarError) {
        repetitionLevels += levels
        guard repetitionLevels <= Self.maxRepetitionLevels else {
            throw .tooLarge("the schema's length and item bounds (up to \(path)) add up to more than \(Self.maxRepetitionLevels) repetitions")
        }
    }
}

extension JSONValue {
    /// Whether this value is of one of the JSON schema `types`.
    func hasType(in types: [String]) -> Bool {
        switch self {
        case .null: types.contains("null")
        case .bool: types.contains("boolean")
        case .number: types.contains("number") || (types.contains("integer") && intValue != nil)
        case .string: types.contains("string")
        case .array: types.contains("array")
        case .object: types.contains("object")
        }
    }
}
