/// The Python methods templates call: on strings (`content.strip()`,
/// `content.split('</think>')`), dicts (`tool.items()`, `message.get('content')`) and
/// `loop.cycle(...)`.
enum JinjaMethod: String, Sendable {
    case strip, lstrip, rstrip, split, startswith, endswith, replace, upper, lower, title, capitalize, find, count, join
    case items, keys, values, get
    case cycle

    /// Names a dict answers as methods before its keys (jinja2 tries attributes first).
    static let dictMethods: Set<String> = ["items", "keys", "values", "get"]
    /// Names a string answers as methods.
    static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "split", "startswith", "endswith", "replace", "upper", "lower", "title", "capitalize",
        "find", "count", "join",
    ]
}

extension JinjaEvaluator {
    mutating func callMethod(_ method: JinjaMethod, on receiver: JinjaValue, _ arguments: JinjaCallArguments,
                             at location: JinjaSourceLocation) throws(JinjaError) -> JinjaValue {
        let callee = "\(receiver.typeName).\(method.rawValue)()"
        func string(_ value: JinjaValue?, _ what: String) throws(JinjaError) -> String? {
            guard let value, value != .none else { return nil }
            guard case .string(let s) = value else { throw .runtime("\(callee) needs a string for \(what), not '\(value.typeName)'", location) }
            return s
        }
        func integer(_ value: JinjaValue?, default fallback: Int) throws(JinjaError) -> Int {
            guard let value, value != .none else { return fallback }
            guard let i = value.integer else { throw .runtime("\(callee) needs an integer, not '\(value.typeName)'", location) }
            return i
        }
        func noSuchMethod() -> JinjaError {
            .runtime("'\(receiver.typeName)' object has no method '\(method.rawValue)'", location)
        }

        switch (method, receiver) {
        case (.strip, .string(let s)), (.lstrip, .string(let s)), (.rstrip, .string(let s)):
            let chars = try string(try arguments.bind(["chars"], callee: callee, at: location)[0], "the characters to strip")
            switch method {
            case .lstrip: return .string(PythonText.lstrip(s, chars))
            case .rstrip: return .string(PythonText.rstrip(s, chars))
            default: return .string(PythonText.strip(s, chars))
            }
        case (.split, .string(let s)):
            let values = try arguments.bind(["sep", "maxsplit"], callee: callee, at: location)
            let separator = try string(values[0], "the separator")
            guard separator != "" else { throw .runtime("\(callee): empty separator", location) }
            // At most one part more than a list may hold, which `built` then refuses.
            var maxSplits = try integer(values[1], default: -1)
            if maxSplits < 0 || maxSplits > Self.maxItems { maxSplits = Self.maxItems }
            return .array(PythonText.split(s, separator, maxSplits: maxSplits).map { .string($0) })
        case (.startswith, .string(let s)), (.endswith, .string(let s)):
            let values = try arguments.bind(["prefix"], callee: callee, at: location)
            let candidates: [JinjaValue]
            switch values[0] {
            case .string?: candidates = [values[0]!]
            case .array(let items)?: candidates = items
            default: throw .runtime("\(callee) needs a string or a tuple of strings", location)
            }
            for candidate in candidates {
                guard case .string(let affix) = candidate else { throw .runtime("\(callee) needs strings", location) }
                let matches = method == .startswith
                    ? s.utf8.starts(with: affix.utf8)
                    : s.utf8.count >= affix.utf8.count && s.utf8.suffix(affix.utf8.count).elementsEqual(affix.utf8)
                if matches { return .bool(true) }
            }
            return .bool(false)
        case (.replace, .string(let s)):
            let values = try arguments.bind(["old", "new", "count"], callee: callee, at: location)
            guard let old = try string(values[0], "the text to replace"), let new = try string(values[1], "the replacement") else {
                throw .runtime("\(callee) needs the text to replace and its replacement", location)
            }
            guard let replaced = PythonText.replace(s, old, new, count: try integer(values[2], default: -1), maxLength: Self.maxBytes) else {
                throw .runtime("\(callee) would build a string longer than \(Self.maxBytes) bytes", location)
            }
            return .string(replaced)
        case (.upper, .string(let s)):
            return .string(s.uppercased())
        case (.lower, .string(let s)):
            return .string(s.lowercased())
        case (.title, .string(let s)):
            return .string(PythonText.title(s))
        case (.capitalize, .string(let s)):
            return .string(PythonText.capitalize(s))
        case (.find, .string(let s)), (.count, .string(let s)):
            let values = try arguments.bind(["sub"], callee: callee, at: location)
            guard let sub = try string(values[0], "the text to find") else { throw .runtime("\(callee) needs a string", location) }
            if method == .count {
                if sub.isEmpty { return .int(s.unicodeScalars.count + 1) }
                return .int(PythonText.split(s, sub).count - 1)
            }
            let haystack = Array(s.utf8)
            guard let offset = PythonText.find(Array(sub.utf8), in: haystack) else { return .int(-1) }
            return .int(String(decoding: haystack[..<offset], as: UTF8.self).unicodeScalars.count)
        case (.join, .string(let separator)):
            let values = try arguments.bind(["iterable"], callee: callee, at: location)
            let items = try iterationItems(values[0] ?? .undefined, at: location)
            return .string(try join(items, separator: separator, at: location))
        case (.items, .object(let object)):
            _ = try arguments.bind([], callee: callee, at: location)
            let pairs: [JinjaValue] = object.pairs.map { .array([.string($0), $1]) }
            try checkNesting(pairs, at: location)
            return .array(pairs)
        case (.keys, .object(let object)):
            _ = try arguments.bind([], callee: callee, at: location)
            return .array(object.keys.map { .string($0) })
        case (.values, .object(let object)):
            _ = try arguments.bind([], callee: callee, at: location)
            return .array(object.values)
        case (.get, .object(let object)):
            let values = try arguments.bind(["key", "default"], callee: callee, at: location)
            guard case .string(let key)? = values[0] else { return values[1] ?? JinjaValue.none }
            return object[key] ?? values[1] ?? JinjaValue.none
        case (.cycle, .runtime(let runtime)):
            guard case .loop(let state) = runtime.kind else { throw noSuchMethod() }
            guard arguments.keywords.isEmpty, !arguments.positional.isEmpty else {
                throw .runtime("loop.cycle() needs at least one value", location)
            }
            return arguments.positional[state.index0 % arguments.positional.count]
        default:
            throw noSuchMethod()
        }
    }
}
