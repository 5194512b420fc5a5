/// The filters templates apply (`value | name(arguments)`), as jinja2 defines them, with
/// Hugging Face's `tojson` (keys kept in order, non-ASCII kept, `indent`).
enum JinjaFilter: String, Sendable {
    case abs, capitalize, `default`, first, float, int, items, join, last, length, list, lower, map, reject, rejectattr
    case replace, reverse, safe, select, selectattr, string, title, tojson, trim, upper

    /// The filter a template names, aliases included (`count` is `length`, `d` is `default`).
    init?(named name: String) {
        switch name {
        case "count": self = .length
        case "d": self = .default
        default: self.init(rawValue: name)
        }
    }
}

extension JinjaEvaluator {
    mutating func applyFilter(_ filter: JinjaFilter, to value: JinjaValue, _ arguments: JinjaCallArguments,
                              at location: JinjaSourceLocation) throws(JinjaError) -> JinjaValue {
        let callee = "the '\(filter.rawValue)' filter"
        func bind(_ names: [String]) throws(JinjaError) -> [JinjaValue?] {
            try arguments.bind(names, callee: callee, at: location)
        }
        func wrongType() -> JinjaError {
            .runtime("\(callee) cannot take a '\(value.typeName)' value", location)
        }

        switch filter {
        case .abs:
            _ = try bind([])
            switch value {
            case .int(let i): return .int(i.magnitude > UInt(Int.max) ? i : Swift.abs(i))
            case .double(let d): return .double(Swift.abs(d))
            case .bool(let b): return .int(b ? 1 : 0)
            default: throw wrongType()
            }
        case .capitalize:
            _ = try bind([])
            return .string(PythonText.capitalize(value.pythonString))
        case .default:
            let values = try bind(["default_value", "boolean"])
            let useDefault = value == .undefined || ((values[1]?.isTruthy ?? false) && !value.isTruthy)
            return useDefault ? values[0] ?? .string("") : value
        case .first, .last:
            _ = try bind([])
            let items = try iterationItems(value, at: location)
            return (filter == .first ? items.first : items.last) ?? .undefined
        case .float:
            let values = try bind(["default"])
            let fallback = values[0] ?? .double(0)
            switch value {
            case .double: return value
            case .int, .bool: return .double(value.numeric!)
            case .string(let s): return Double(PythonText.strip(s).filter { $0 != "_" }).map { JinjaValue.double($0) } ?? fallback
            default: return fallback
            }
        case .int:
            let values = try bind(["default", "base"])
            let fallback = values[0] ?? .int(0)
            let base = values[1]?.integer ?? 10
            switch value {
            case .int: return value
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return d.isFinite && Swift.abs(d) < 9.2e18 ? .int(Int(d)) : fallback
            case .string(let s):
                let text = PythonText.strip(s).filter { $0 != "_" }
                if let i = Int(text, radix: base) { return .int(i) }
                if base == 10, let d = Double(text), d.isFinite, Swift.abs(d) < 9.2e18 { return .int(Int(d)) }
                return fallback
            default: return fallback
            }
        case .items:
            _ = try bind([])
            switch value {
            case .object(let object):
                let pairs: [JinjaValue] = object.pairs.map { .array([.string($0), $1]) }
                try checkNesting(pairs, at: location)
                return .array(pairs)
            case .undefined: return .array([])
            default: throw wrongType()
            }
        case .join:
            let values = try bind(["d", "attribute"])
            let separator = values[0]?.pythonString ?? ""
            var items = try iterationItems(value, at: location)
            if let attribute = values[1] { items = items.map { self.attributePath($0, attribute) } }
            return .string(try join(items, separator: separator, at: location))
        case .length:
            _ = try bind([])
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .array(let items): return .int(items.count)
            case .object(let object): return .int(object.count)
            case .undefined: return .int(0)
            default: throw .runtime("a '\(value.typeName)' value has no length", location)
            }
        case .list:
            _ = try bind([])
            return .array(try iterationItems(value, at: location))
        case .lower:
            _ = try bind([])
            return .string(value.pythonString.lowercased())
        case .upper:
            _ = try bind([])
            return .string(value.pythonString.uppercased())
        case .map:
            let items = try iterationItems(value, at: location)
            if let attribute = arguments.keywords.first(where: { $0.name == "attribute" })?.value {
                let fallback = arguments.keywords.first(where: { $0.name == "default" })?.value
                return .array(items.map { item in
                    let found = self.attributePath(item, attribute)
                    return found == .undefined ? fallback ?? .undefined : found
                })
            }
            guard case .string(let name)? = arguments.positional.first else {
                throw .runtime("the 'map' filter needs a filter name or attribute=...", location)
            }
            guard let inner = JinjaFilter(named: name) else { throw .unsupported("the filter '\(name)'", location) }
            let rest = JinjaCallArguments(positional: Array(arguments.positional.dropFirst()), keywords: arguments.keywords)
            var mapped: [JinjaValue] = []
            for item in items { mapped.append(try applyFilter(inner, to: item, rest, at: location)) }
            return .array(mapped)
        case .select, .reject, .selectattr, .rejectattr:
            let byAttribute = filter == .selectattr || filter == .rejectattr
            let keep = filter == .select || filter == .selectattr
            var rest = arguments.positional
            var attribute: JinjaValue?
            if byAttribute {
                guard !rest.isEmpty else { throw .runtime("\(callee) needs an attribute name", location) }
                attribute = rest.removeFirst()
            }
            var test: JinjaTest?
            if !rest.isEmpty {
                guard case .string(let name) = rest.removeFirst() else { throw .runtime("\(callee) needs a test name", location) }
                guard let named = JinjaTest(named: name) else { throw .unsupported("the test '\(name)'", location) }
                test = named
            }
            let testArguments = JinjaCallArguments(positional: rest, keywords: arguments.keywords)
            var out: [JinjaValue] = []
            for item in try iterationItems(value, at: location) {
                let subject = attribute.map { attributePath(item, $0) } ?? item
                var holds = subject.isTruthy
                if let test { holds = try applyTest(test, to: subject, testArguments, at: location) }
                if holds == keep { out.append(item) }
            }
            return .array(out)
        case .replace:
            let values = try bind(["old", "new", "count"])
            guard let old = values[0], let new = values[1] else { throw .runtime("\(callee) needs the text to replace and its replacement", location) }
            guard let replaced = PythonText.replace(value.pythonString, old.pythonString, new.pythonString, count: values[2]?.integer ?? -1,
                                                    maxLength: Self.maxBytes) else {
                throw .runtime("\(callee) would build a string longer than \(Self.maxBytes) bytes", location)
            }
            return .string(replaced)
        case .reverse:
            _ = try bind([])
            switch value {
            case .string(let s): return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed())))
            default: return .array(Array(try iterationItems(value, at: location).reversed()))
            }
        case .safe:
            _ = try bind([])
            return value
        case .string:
            _ = try bind([])
            return .string(value.pythonString)
        case .title:
            _ = try bind([])
            return .string(Self.titleCase(value.pythonString))
        case .tojson:
            // Hugging Face's signature: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).
            let values = try bind(["ensure_ascii", "indent", "separators", "sort_keys"])
            var indent: String?
            switch values[1] {
            case .int(let n)?:
                try Self.checkLength(n, of: "\(callee)'s indent", at: location)
                indent = String(repeating: " ", count: max(0, n))
            case .string(let s)?: indent = s
            case nil, .some(.none): indent = nil
            default: throw .runtime("\(callee): indent must be an integer or a string", location)
            }
            var separators: (item: String, key: String)?
            if case .array(let pair)? = values[2], pair.count == 2, case .string(let item) = pair[0], case .string(let key) = pair[1] {
                separators = (item, key)
            }
            // Written up to just past the limit, which `built` then refuses.
            guard let text = value.json(indent: indent, asciiOnly: values[0]?.isTruthy ?? false,
                                        sortKeys: values[3]?.isTruthy ?? false, separators: separators, maxLength: Self.maxBytes) else {
                throw .runtime("a '\(Self.unserializableType(value))' value cannot be written as JSON", location)
            }
            return .string(text)
        case .trim:
            let values = try bind(["chars"])
            return .string(PythonText.strip(value.pythonString, values[0].flatMap(\.string)))
        }
    }

    /// `item.a.b` / `item['a']['b']` for the dotted attribute paths of `map`, `selectattr`,
    /// `join` (integer parts index lists).
    func attributePath(_ item: JinjaValue, _ path: JinjaValue) -> JinjaValue {
        guard case .string(let text) = path else { return self.item(of: item, path) }
        var current = item
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            if case .undefined = current { return .undefined }
            current = self.item(of: current, Int(part).map { .int($0) } ?? .string(String(part)))
        }
        return current
    }

    /// jinja2's `title`: each word (after whitespace, `-`, or an opening bracket) starts
    /// upper-case, the rest lower-case.
    static func titleCase(_ text: String) -> String {
        var out = ""
        var atWordStart = true
        for scalar in text.unicodeScalars {
            let separates = PythonText.isWhitespace(scalar) || "-([{<".unicodeScalars.contains(scalar)
            if separates {
                out.unicodeScalars.append(scalar)
                atWordStart = true
            } else {
                out += atWordStart ? String(scalar).uppercased() : String(scalar).lowercased()
                atWordStart = false
            }
        }
        return out
    }

    /// The type of the first part of `value` JSON cannot hold, for the message.
    private static func unserializableType(_ value: JinjaValue) -> String {
        switch value {
        case .array(let items): return items.first { $0.json() == nil }.map(unserializableType) ?? value.typeName
        case .object(let object): return object.values.first { $0.json() == nil }.map(unserializableType) ?? value.typeName
        default: return value.typeName
        }
    }
}
