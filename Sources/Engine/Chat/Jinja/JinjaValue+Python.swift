/// What jinja2 does with values, which is what Python does: truth, `str()`, `repr()`, `==`,
/// ordering and `in`.
extension JinjaValue {
    /// Python truth: empty strings, lists and dicts, zero, none and undefined are false.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        case .runtime: return true
        }
    }

    /// The type's name as Python (and so jinja2's messages) call it.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        case .runtime(let r): return r.typeName
        }
    }

    /// Python's `str()`, as `{{ value }}` and `~` write it: strings as they are, `True`,
    /// `None`, `1.0`, lists and dicts as their `repr()`; undefined as nothing.
    var pythonString: String {
        switch self {
        case .string(let s): return s
        case .undefined: return ""
        default:
            var out = ""
            writeRepr(into: &out)
            return out
        }
    }

    /// Python's `repr()`: `'text'`, `[1, 'a']`, `{'k': None}`.
    var pythonRepr: String {
        var out = ""
        writeRepr(into: &out)
        return out
    }

    /// Writes `repr()`, stopping once `out` is past `JinjaEvaluator.maxBytes` (a render then
    /// refuses it): a list may hold the same big list many times.
    func writeRepr(into out: inout String) {
        guard out.utf8.count <= JinjaEvaluator.maxBytes else { return }
        switch self {
        case .undefined: break
        case .none: out += "None"
        case .bool(let b): out += b ? "True" : "False"
        case .int(let i): out += String(i)
        case .double(let d): out += PythonText.formatFloat(d)
        case .string(let s): out += PythonText.repr(s)
        case .array(let items):
            out += "["
            for (k, item) in items.enumerated() {
                if k > 0 { out += ", " }
                item.writeRepr(into: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (k, (key, value)) in object.pairs.enumerated() {
                if k > 0 { out += ", " }
                out += PythonText.repr(key) + ": "
                value.writeRepr(into: &out)
            }
            out += "}"
        case .runtime(let r):
            switch r.kind {
            case .macro(let m): out += "<Macro '\(m.name)'>"
            case .function(let f): out += "<built-in function \(f.rawValue)>"
            case .method(_, let name): out += "<built-in method \(name)>"
            case .namespace: out += "<Namespace>"
            case .loop: out += "<LoopContext>"
            }
        }
    }

    /// A number as a Double, counting booleans as 0 and 1 as Python does.
    var numeric: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// An integer (a bool counts), for indices, counts and integer arithmetic.
    var integer: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Python's `==`: numbers compare by value across int, float and bool; lists item by
    /// item; dicts by their pairs in any order; undefined equals only undefined.
    func looselyEquals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.string(let a), .string(let b)): return a == b
        case (.none, .none), (.undefined, .undefined): return true
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.looselyEquals($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.pairs.allSatisfy { key, value in b[key].map { value.looselyEquals($0) } ?? false }
        case (.runtime(let a), .runtime(let b)): return a == b
        default:
            if case .int(let a) = self, case .int(let b) = other { return a == b }
            if let a = numeric, let b = other.numeric { return a == b }
            return false
        }
    }

    /// Python's ordering of numbers, strings (by code point) and lists; nil where Python raises.
    func compare(_ other: JinjaValue) -> Int? {
        switch (self, other) {
        case (.string(let a), .string(let b)):
            if a == b { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value } ? -1 : 1
        case (.array(let a), .array(let b)):
            for (x, y) in zip(a, b) where !x.looselyEquals(y) { return x.compare(y) }
            return a.count == b.count ? 0 : a.count < b.count ? -1 : 1
        default:
            if case .int(let a) = self, case .int(let b) = other { return a == b ? 0 : a < b ? -1 : 1 }
            guard let a = numeric, let b = other.numeric else { return nil }
            return a == b ? 0 : a < b ? -1 : 1
        }
    }

    /// Python's `item in self`: a substring, a list element, a dict key; nil where Python raises.
    func contains(_ item: JinjaValue) -> Bool? {
        switch self {
        case .string(let s):
            guard case .string(let needle) = item else { return nil }
            return PythonText.contains(s, needle)
        case .array(let items): return items.contains { $0.looselyEquals(item) }
        case .object(let object):
            guard case .string(let key) = item else { return false }
            return object[key] != nil
        case .undefined: return false
        default: return nil
        }
    }
}
