/// What one render may take. A chat template is a model file's data: a broken or hostile one
/// must fail with an error that names the limit, not overflow the stack of a serving thread,
/// hold it for ever or exhaust the memory. Real chat templates stay far below every limit
/// (`JinjaLimitTests`).
///
/// - Depth: statements, expressions and macro calls nest at most `maxDepth` deep while
///   rendering (the parser bounds one template's nesting; macro calls multiply it).
/// - Size: a string the render builds (the output included) holds at most `maxBytes` bytes, a
///   list at most `maxItems` items, and lists and dicts nest at most `maxValueDepth` deep.
///   Operations that could build more in one step (`*`, `join`, `replace`, `tojson`'s indent,
///   `split`) check before they build.
/// - Work: every statement, expression and loop iteration spends a unit, every filter, method
///   and comparison the size of what it reads, every built string or list its size. A render
///   may spend `baseWork` plus `workPerInput` per unit of its variables' size (a byte of text, a
///   value): real templates spend under ten per byte of the conversation, and a runaway one
///   stops within a fraction of a second.
extension JinjaEvaluator {
    static let maxDepth = 256
    static let maxBytes = 1 << 24
    static let maxItems = 1 << 20
    /// As deep as the JSON read for templates (`JinjaValue(json:)`) may nest.
    static let maxValueDepth = 512
    static let baseWork = 1 << 21
    static let workPerInput = 16
    /// What a macro call spends besides its body.
    static let macroCallWork = 64

    /// What a render of `context` may spend.
    static func workLimit(for context: JinjaObject) -> Int {
        let cap = Int.max / (2 * workPerInput)
        let size = context.values.reduce(0) { min(cap, $0 + $1.weight(upTo: cap)) }
        return baseWork + workPerInput * size
    }

    /// Enters one more level of evaluation; the caller leaves it (`depth -= 1`).
    mutating func enter(at location: JinjaSourceLocation?) throws(JinjaError) {
        depth += 1
        guard depth <= Self.maxDepth else {
            throw .runtime("the render nests statements, expressions and macro calls more than \(Self.maxDepth) levels deep", location ?? lastLocation)
        }
    }

    /// Spends `units` of work.
    mutating func spend(_ units: Int, at location: JinjaSourceLocation?) throws(JinjaError) {
        work += units
        guard work <= workLimit else {
            throw .runtime("the render takes more than \(workLimit) steps (does a loop or a macro run away?)", location ?? lastLocation)
        }
    }

    /// Appends `text` to the output.
    mutating func write(_ text: String, at location: JinjaSourceLocation?) throws(JinjaError) {
        output += text
        try wrote(text.utf8.count, at: location)
    }

    /// Accounts for `count` bytes just appended to the output.
    mutating func wrote(_ count: Int, at location: JinjaSourceLocation?) throws(JinjaError) {
        try Self.checkLength(output.utf8.count, of: "the rendered text", at: location ?? lastLocation)
        try spend(count, at: location)
    }

    /// `value`, a string or list just built, refused when longer than the limits; its size is spent.
    mutating func built(_ value: JinjaValue, at location: JinjaSourceLocation) throws(JinjaError) -> JinjaValue {
        switch value {
        case .string(let s):
            try Self.checkLength(s.utf8.count, of: "a string", at: location)
            try spend(s.utf8.count, at: location)
        case .array(let items):
            try Self.checkCount(items.count, of: "a list", at: location)
            try spend(items.count, at: location)
        case .object(let object):
            try spend(object.count, at: location)
        default:
            break
        }
        return value
    }

    /// Spends the size of `value` as an operation reads it: a string's bytes, a list's or
    /// dict's items (not what they hold).
    mutating func read(_ value: JinjaValue, at location: JinjaSourceLocation) throws(JinjaError) {
        switch value {
        case .string(let s): try spend(s.utf8.count, at: location)
        case .array(let items): try spend(items.count, at: location)
        case .object(let object): try spend(object.count, at: location)
        default: break
        }
    }

    /// Spends what comparing `value` item by item can cost: every value it holds, at any depth
    /// (a list may hold the same big list many times), counted up to what is left to spend.
    mutating func readDeeply(_ value: JinjaValue, at location: JinjaSourceLocation) throws(JinjaError) {
        try spend(value.weight(upTo: workLimit - work + 1), at: location)
    }

    /// Refuses `items` as the items of a new list or dict when one nests more than
    /// `maxValueDepth - 1` deep (freeing, comparing or writing the result recurses per level);
    /// the walk is spent.
    mutating func checkNesting(_ items: some Sequence<JinjaValue>, at location: JinjaSourceLocation) throws(JinjaError) {
        var visited = 0
        for item in items where item.nests(deeperThan: Self.maxValueDepth - 1, visited: &visited) {
            throw .runtime("lists and dicts nested more than \(Self.maxValueDepth) levels deep", location)
        }
        try spend(visited, at: location)
    }

    /// Refuses a string of `length` bytes before it is built.
    static func checkLength(_ length: Int, of what: String, at location: JinjaSourceLocation) throws(JinjaError) {
        guard length <= maxBytes else {
            throw .runtime("\(what) of \(length) bytes is too long (at most \(maxBytes))", location)
        }
    }

    /// Refuses a list of `count` items before it is built.
    static func checkCount(_ count: Int, of what: String, at location: JinjaSourceLocation) throws(JinjaError) {
        guard count <= maxItems else {
            throw .runtime("\(what) of \(count) items is too long (at most \(maxItems))", location)
        }
    }

    /// `items` written as strings (`str()`) with `separator` between them, refused as soon as
    /// it passes `maxBytes`.
    mutating func join(_ items: [JinjaValue], separator: String, at location: JinjaSourceLocation) throws(JinjaError) -> String {
        var out = ""
        for (k, item) in items.enumerated() {
            if k > 0 { out += separator }
            out += item.pythonString
            try Self.checkLength(out.utf8.count, of: "the joined string", at: location)
        }
        return out
    }
}

extension JinjaValue {
    /// The values this one holds, itself included, at any depth (a value held twice counts
    /// twice; a string counts its bytes), counted up to `limit`.
    func weight(upTo limit: Int) -> Int {
        var total = 0
        addWeight(to: &total, limit: limit)
        return min(total, limit)
    }

    private func addWeight(to total: inout Int, limit: Int) {
        total += 1
        switch self {
        case .string(let s):
            total += s.utf8.count
        case .array(let items):
            for item in items where total < limit { item.addWeight(to: &total, limit: limit) }
        case .object(let object):
            for value in object.values where total < limit { value.addWeight(to: &total, limit: limit) }
        default:
            break
        }
    }

    /// Whether lists and dicts nest more than `levels` deep in this value (a scalar nests 0
    /// deep, `[1]` 1); `visited` counts the values looked at. Recurses at most `levels + 1` deep.
    func nests(deeperThan levels: Int, visited: inout Int) -> Bool {
        visited += 1
        switch self {
        case .array(let items):
            guard levels > 0 else { return true }
            return items.contains { $0.nests(deeperThan: levels - 1, visited: &visited) }
        case .object(let object):
            guard levels > 0 else { return true }
            return object.values.contains { $0.nests(deeperThan: levels - 1, visited: &visited) }
        default:
            return false
        }
    }
}
