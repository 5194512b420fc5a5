import Engine

/// `tools`, `tool_choice` and `parallel_tool_calls` of a chat request (and the deprecated
/// `functions` and `function_call`), read from the request's ordered JSON so that parameter
/// schemas keep their property order.
struct ToolFields {
    var tools: [ToolDefinition] = []
    var choice = ToolChoice.auto
    var parallel = true

    /// The request fields read here.
    static let fields = ["tools", "functions", "tool_choice", "function_call", "parallel_tool_calls"]

    /// Whether the model sees tools and its reply is read for calls.
    var active: Bool { !tools.isEmpty && choice != .none }

    init(body: JSONValue) throws(OpenAIError) {
        if let list = body["tools"], !list.isNull {
            guard let entries = list.arrayValue else { throw .invalidType("tools", expected: "an array of tools") }
            for (i, entry) in entries.enumerated() {
                guard entry["type"]?.stringValue == "function", let function = entry["function"], function.objectValue != nil else {
                    throw .invalidValue("tools[\(i)]", "Each tool must be {\"type\": \"function\", \"function\": {\"name\": ...}}.")
                }
                tools.append(try Self.definition(function, "tools[\(i)].function"))
            }
        } else if let list = body["functions"], !list.isNull {
            guard let entries = list.arrayValue else { throw .invalidType("functions", expected: "an array of functions") }
            for (i, entry) in entries.enumerated() { tools.append(try Self.definition(entry, "functions[\(i)]")) }
        }
        var seen = Set<String>()
        for tool in tools where !seen.insert(tool.name).inserted {
            throw .invalidValue("tools", "Two tools are called '\(tool.name)'; tool names must be unique.")
        }
        let param = body["tool_choice"] != nil ? "tool_choice" : "function_call"
        if let value = body["tool_choice"] ?? body["function_call"], !value.isNull {
            choice = try Self.choice(value, param: param)
        }
        switch choice {
        case .required where tools.isEmpty:
            throw .invalidValue(param, "'\(param)' is 'required' but the request has no tools.")
        case .function(let name) where !tools.contains(where: { $0.name == name }):
            throw .invalidValue(param, "'\(param)' names the function '\(name)', which is not among the tools.")
        default:
            break
        }
        if let value = body["parallel_tool_calls"], !value.isNull {
            guard let flag = value.boolValue else { throw .invalidType("parallel_tool_calls", expected: "a boolean") }
            parallel = flag
        }
    }

    private static func definition(_ function: JSONValue, _ param: String) throws(OpenAIError) -> ToolDefinition {
        guard let name = function["name"]?.stringValue else { throw .missing(param + ".name") }
        let allowed = name.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
        guard allowed, (1...64).contains(name.utf8.count) else {
            throw .invalidValue(param + ".name", "Tool names must be 1 to 64 letters, digits, underscores or dashes; '\(name.prefix(70))' is not.")
        }
        let parameters = function["parameters"].flatMap { $0.isNull ? nil : $0 } ?? .object([])
        guard parameters.objectValue != nil else { throw .invalidType(param + ".parameters", expected: "a JSON schema object") }
        return ToolDefinition(name: name, description: function["description"]?.stringValue, parameters: parameters)
    }

    private static func choice(_ value: JSONValue, param: String) throws(OpenAIError) -> ToolChoice {
        if let word = value.stringValue {
            switch word {
            case "none": return .none
            case "auto": return .auto
            case "required": return .required
            default: throw .invalidValue(param, "'\(param)' must be 'none', 'auto', 'required' or a function, not '\(word.prefix(40))'.")
            }
        }
        if let name = value["function"]?["name"]?.stringValue ?? value["name"]?.stringValue { return .function(name) }
        throw .invalidValue(param, "'\(param)' must be 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}.")
    }
}
