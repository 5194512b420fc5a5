/// A reply read for tool calls: the text outside the calls, and the calls.
public struct ParsedReply: Sendable, Equatable {
    public var content: String
    public var calls: [ParsedToolCall]
}

/// One call read from a reply: a declared function and its arguments (compact JSON of an object).
public struct ParsedToolCall: Sendable, Equatable {
    public var name: String
    public var arguments: String
}

extension ToolCallFormat {
    /// The calls of declared `tools` in `text`, as this format writes them; nil when it holds
    /// none (the reply is plain text).
    public func parse(_ text: String, tools: [ToolDefinition]) -> ParsedReply? {
        var calls: [ParsedToolCall] = []
        var content = text
        switch self {
        case .hermes:
            content = ""
            var rest = Substring(text)
            while let open = rest.range(of: "<tool_call>") {
                content += rest[..<open.lowerBound]
                let body = rest[open.upperBound...]
                let close = body.range(of: "</tool_call>")
                calls += Self.calls(in: String(body[..<(close?.lowerBound ?? body.endIndex)]), key: argumentsKey, tools: tools)
                rest = close.map { body[$0.upperBound...] } ?? ""
            }
            content += rest
        case .llama3:
            var body = Substring(text)
            if let tag = body.range(of: "<|python_tag|>") {
                content = String(body[..<tag.lowerBound])
                body = body[tag.upperBound...]
            } else if let start = Self.trimmed(body).first, start == "{" {
                content = ""
            } else {
                return nil
            }
            // One call, or several separated by ";" (Llama 3.1's own format).
            for part in body.split(separator: ";") { calls += Self.calls(in: String(part), key: argumentsKey, tools: tools) }
        case .mistral:
            var body = Substring(text)
            if let tag = body.range(of: "[TOOL_CALLS]") {
                content = String(body[..<tag.lowerBound])
                body = body[tag.upperBound...]
            } else if Self.trimmed(body).hasPrefix("[") {
                content = ""
            } else {
                return nil
            }
            calls = Self.calls(in: String(body), key: argumentsKey, tools: tools)
        case .generic:
            // The reply's JSON object, whole or after some text.
            var body = Substring(text)
            content = ""
            if (try? JSONValue.parse(Self.trimmed(body))) == nil {
                guard let start = callMarkers.compactMap({ body.range(of: $0)?.lowerBound }).min() else { return nil }
                content = String(body[..<start])
                body = body[start...]
            }
            guard let value = try? JSONValue.parse(Self.trimmed(body)) else { return nil }
            let list = value["tool_calls"]?.arrayValue ?? value["tool_call"].map { [$0] } ?? []
            calls = list.compactMap { Self.call($0, key: argumentsKey, tools: tools) }
        }
        guard !calls.isEmpty else { return nil }
        return ParsedReply(content: Self.trimmed(Substring(content)), calls: calls)
    }

    /// The calls in one JSON text: an object, or an array of objects.
    private static func calls(in text: String, key: String, tools: [ToolDefinition]) -> [ParsedToolCall] {
        guard let value = try? JSONValue.parse(trimmed(Substring(text))) else { return [] }
        let list = value.arrayValue ?? [value]
        return list.compactMap { call($0, key: key, tools: tools) }
    }

    /// `{"name": ..., key: {...}}` (the arguments may also be a JSON text in a string, or under
    /// the other usual key) naming a declared tool.
    private static func call(_ value: JSONValue, key: String, tools: [ToolDefinition]) -> ParsedToolCall? {
        guard let name = value["name"]?.stringValue, tools.contains(where: { $0.name == name }) else { return nil }
        var arguments = value[key] ?? value["arguments"] ?? value["parameters"] ?? .object([])
        if let text = arguments.stringValue, let parsed = try? JSONValue.parse(text) { arguments = parsed }
        guard case .object = arguments else { return nil }
        return ParsedToolCall(name: name, arguments: arguments.serialized)
    }

    static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
