/// Builds a `Grammar`: declare rules, define each as alternatives of items, then `build()`.
/// Repetition and options become helper rules (right-recursive, so the matcher's stacks stay flat).
public struct GrammarBuilder: Sendable {
    /// A rule being built.
    public struct Rule: Hashable, Sendable {
        public let index: Int
    }

    /// One item of an alternative.
    public enum Item: Sendable, Equatable {
        /// These characters, in order.
        case literal(String)
        /// One character in (or, negated, outside) these inclusive ranges.
        case chars([ClosedRange<UInt32>], negated: Bool)
        /// A rule.
        case rule(Rule)

        /// One character among `set` (e.g. `"0123456789"`).
        public static func anyOf(_ set: String) -> Item {
            .chars(set.unicodeScalars.map { $0.value...$0.value }, negated: false)
        }
    }

    private var names: [String] = []
    private var definitions: [[[Item]]?] = []
    private var byName: [String: Int] = [:]
    private var nextSuffix: [String: Int] = [:]

    public init() {}

    /// The rule called `name`, declared on first use (define it before `build`).
    public mutating func rule(_ name: String) -> Rule {
        if let i = byName[name] { return Rule(index: i) }
        names.append(name)
        definitions.append(nil)
        byName[name] = names.count - 1
        return Rule(index: names.count - 1)
    }

    /// A new rule whose name starts with `prefix` and is unused so far.
    public mutating func freshRule(_ prefix: String) -> Rule {
        // Numbering resumes where the prefix's last fresh rule left it (not from 1 each time:
        // nested repetitions ask for hundreds under one prefix).
        var n = nextSuffix[prefix, default: 0]
        var name = n == 0 ? prefix : "\(prefix)-\(n)"
        while byName[name] != nil {
            n += 1
            name = "\(prefix)-\(n)"
        }
        nextSuffix[prefix] = n + 1
        return rule(name)
    }

    /// Whether `rule` has been defined.
    public func isDefined(_ rule: Rule) -> Bool { definitions[rule.index] != nil }

    /// Defines (or redefines) `rule` as these alternatives; an empty alternative matches nothing.
    public mutating func define(_ rule: Rule, _ alternatives: [[Item]]) {
        definitions[rule.index] = alternatives
    }

    /// A new rule for `items` zero or one time.
    public mutating func optional(_ items: [Item], name: String = "opt") -> Rule {
        let r = freshRule(name)
        define(r, [items, []])
        return r
    }

    /// A new rule for `items` repeated `min` to `max` times (nil: unbounded); linear in the bound
    /// to build (`freshRule` numbers on from the prefix's last rule).
    public mutating func repeated(_ items: [Item], min: Int, max: Int?, name: String = "rep") -> Rule {
        precondition(min >= 0 && (max.map { $0 >= min } ?? true))
        let r = freshRule(name)
        // The tail after the required copies: unbounded is `star ::= items star | ε`; bounded is
        // nested options, items (items (items)?)?)?, so the count is never exceeded.
        var tail: [Item] = []
        if let max {
            var next: Rule?
            for _ in 0..<(max - min) {
                let o = freshRule(name + "-opt")
                define(o, [items + (next.map { [.rule($0)] } ?? []), []])
                next = o
            }
            if let next { tail = [.rule(next)] }
        } else {
            let star = freshRule(name + "-star")
            define(star, [items + [.rule(star)], []])
            tail = [.rule(star)]
        }
        define(r, [Array(repeating: items, count: min).flatMap { $0 } + tail])
        return r
    }

    /// The grammar, rooted at `root`. Throws for undefined rules, left recursion, or a grammar
    /// too large for the matcher.
    public func build(root: Rule) throws(GrammarError) -> Grammar {
        for (i, d) in definitions.enumerated() where d == nil { throw .undefinedRule(names[i]) }
        // Root first: rule indices are renumbered so the root is 0.
        var order = Array(0..<names.count)
        order.swapAt(0, root.index)
        var renumber = [Int](repeating: 0, count: names.count)
        for (new, old) in order.enumerated() { renumber[old] = new }
        var grammar = Grammar(elements: [], ranges: [], alternatives: [], names: order.map { names[$0] })
        for old in order {
            var starts: [Int32] = []
            for alternative in definitions[old]! {
                starts.append(Int32(grammar.elements.count))
                for item in alternative {
                    switch item {
                    case .literal(let text):
                        for scalar in text.unicodeScalars {
                            grammar.elements.append(.init(kind: .chars, a: Int32(grammar.ranges.count), b: Int32(grammar.ranges.count + 1)))
                            grammar.ranges.append(scalar.value...scalar.value)
                        }
                    case .chars(let ranges, let negated):
                        let start = Int32(grammar.ranges.count)
                        grammar.ranges.append(contentsOf: ranges)
                        grammar.elements.append(.init(kind: negated ? .negatedChars : .chars, a: start, b: Int32(grammar.ranges.count)))
                    case .rule(let r):
                        grammar.elements.append(.init(kind: .rule, a: Int32(renumber[r.index]), b: 0))
                    }
                }
                grammar.elements.append(.init(kind: .end, a: 0, b: 0))
            }
            grammar.alternatives.append(starts)
        }
        guard grammar.elements.count < Int(Int32.max / 2) else { throw .tooLarge("\(grammar.elements.count) elements") }
        try grammar.checkLeftRecursion()
        return grammar
    }
}

extension Grammar {
    /// Throws when a rule can reach itself before consuming a character.
    func checkLeftRecursion() throws(GrammarError) {
        let n = alternatives.count
        // nullable[r]: the rule can match the empty string (fixed point).
        var nullable = [Bool](repeating: false, count: n)
        var changed = true
        while changed {
            changed = false
            for r in 0..<n where !nullable[r] {
                if alternatives[r].contains(where: { isNullable(from: Int($0), nullable) }) {
                    nullable[r] = true
                    changed = true
                }
            }
        }
        // Edges r -> s when s can start r (after nullable elements); a cycle is left recursion.
        var edges = [[Int]](repeating: [], count: n)
        for r in 0..<n {
            for start in alternatives[r] {
                var p = Int(start)
                while elements[p].kind == .rule {
                    let s = Int(elements[p].a)
                    edges[r].append(s)
                    guard nullable[s] else { break }
                    p += 1
                }
            }
        }
        var state = [UInt8](repeating: 0, count: n)  // 0 new, 1 on the path, 2 done
        for root in 0..<n where state[root] == 0 {
            var path: [(rule: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let top = path.last {
                if top.next < edges[top.rule].count {
                    path[path.count - 1].next += 1
                    let s = edges[top.rule][top.next]
                    if state[s] == 1 { throw .leftRecursion(names[s]) }
                    if state[s] == 0 {
                        state[s] = 1
                        path.append((s, 0))
                    }
                } else {
                    state[top.rule] = 2
                    path.removeLast()
                }
            }
        }
    }

    private func isNullable(from position: Int, _ nullable: [Bool]) -> Bool {
        var p = position
        while true {
            switch elements[p].kind {
            case .end: return true
            case .chars, .negatedChars: return false
            case .rule:
                guard nullable[Int(elements[p].a)] else { return false }
                p += 1
            }
        }
    }
}
