/// A function the model may call (OpenAI's `tools[].function`).
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON schema of its arguments (an object schema; `{}` when the tool takes none).
    public var parameters: JSONValue

    public init(name: String, description: String? = nil, parameters: JSONValue = .object([])) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// OpenAI's shape, `{"type": "function", "function": {name, description, parameters}}`, as
    /// chat templates read `tools`.
    public var openAIValue: JSONValue {
        var function = [JSONMember(key: "name", value: .string(name))]
        if let description { function.append(JSONMember(key: "description", value: .string(description))) }
        function.append(JSONMember(key: "parameters", value: parameters))
        return .object([JSONMember(key: "type", value: .string("function")), JSONMember(key: "function", value: .object(function))])
    }
}

/// Whether and which tools the model must call (OpenAI's `tool_choice`).
public enum ToolChoice: Sendable, Equatable {
    /// No tool: the tools are not shown to the model.
    case none
    /// The model decides: its reply is parsed for calls.
    case auto
    /// At least one call, forced by constrained sampling.
    case required
    /// A call of this function, forced.
    case function(String)
}
