/// A value a chat template works with: the JSON-like data passed in (messages, tools,
/// `add_generation_prompt`, ...) and what the template computes from it. Behaves as the Python
/// value jinja2 would hold (`JinjaValue+Python.swift`).
public enum JinjaValue: Sendable, Equatable {
    /// A variable, attribute or item that does not exist: renders as nothing, iterates as
    /// empty, is false, and `is defined` is false (jinja2's default `Undefined`).
    case undefined
    /// JSON `null`, Python `None`.
    case none
    /// `true` / `false` (Python's `True` / `False`).
    case bool(Bool)
    /// An integer.
    case int(Int)
    /// A float.
    case double(Double)
    /// A string.
    case string(String)
    /// A JSON array, Python list (or tuple).
    case array([JinjaValue])
    /// A JSON object, Python dict, keys in insertion order.
    case object(JinjaObject)
    /// A value that exists only while a template renders (a macro, a built-in function, a
    /// namespace, `loop`); never part of the data passed in.
    case runtime(JinjaRuntimeValue)

    /// The string, if this is one.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The object, if this is one.
    public var object: JinjaObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, if this is an array.
    public var array: [JinjaValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    /// `.string`
    public init(stringLiteral value: String) { self = .string(value) }
    /// `.int`
    public init(integerLiteral value: Int) { self = .int(value) }
    /// `.double`
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `.bool`
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `.array`
    public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
    /// An object with the pairs in the order written.
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .object(JinjaObject(elements)) }
    /// `nil` is JSON `null` (`.none`), not `.undefined`.
    public init(nilLiteral: ()) { self = .none }
}

/// A JSON object / Python dict with string keys, in insertion order: `tojson` writes keys in
/// this order, as Python's `json.dumps` does. Look-ups are linear: chat data holds small
/// objects (a message has a handful of keys).
public struct JinjaObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The keys, in insertion order.
    public private(set) var keys: [String] = []
    /// The values, in the order of `keys`.
    public private(set) var values: [JinjaValue] = []

    /// An empty object.
    public init() {}

    /// An object with `pairs` in order; a repeated key keeps its first place and last value.
    public init(_ pairs: [(String, JinjaValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// An object with the pairs in the order written.
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self.init(elements) }

    /// The number of keys.
    public var count: Int { keys.count }
    /// Whether there are no keys.
    public var isEmpty: Bool { keys.isEmpty }

    /// The value for `key`; setting nil removes it, setting a new key appends it.
    public subscript(key: String) -> JinjaValue? {
        get { index(of: key).map { values[$0] } }
        set {
            if let k = index(of: key) {
                if let newValue {
                    values[k] = newValue
                } else {
                    keys.remove(at: k)
                    values.remove(at: k)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// The (key, value) pairs in order.
    public var pairs: Zip2Sequence<[String], [JinjaValue]> { zip(keys, values) }

    func index(of key: String) -> Int? { keys.firstIndex(of: key) }
}
