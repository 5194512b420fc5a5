extension ToolCallFormat {
    /// The grammar of a reply that calls tools as this format writes them: one call of any of
    /// `tools` (`.required`) or of the named one, and with `parallel` (not for `llama3`) more
    /// calls after it. The arguments follow each tool's parameter schema.
    public func grammar(tools: [ToolDefinition], choice: ToolChoice, parallel: Bool) throws(GrammarError) -> Grammar {
        var b = GrammarBuilder()
        let callable: [ToolDefinition]
        switch choice {
        case .function(let name):
            callable = tools.filter { $0.name == name }
            guard !callable.isEmpty else { throw .invalidSchema("tool_choice names '\(name)', which is not among the tools") }
        case .required, .auto, .none:
            callable = tools
        }
        guard !callable.isEmpty else { throw .invalidSchema("no tools to call") }
        let call = b.rule("call")
        var alternatives: [[GrammarBuilder.Item]] = []
        for (i, tool) in callable.enumerated() {
            let arguments = try JSONSchemaGrammar.addValue(tool.parameters, to: &b, name: "tool\(i)-args")
            alternatives.append([.literal("{\"name\": " + JSONValue.string(tool.name).serialized + ", \"\(argumentsKey)\": "),
                                 .rule(arguments), .literal("}")])
        }
        b.define(call, alternatives)
        let root = b.rule("root")
        switch self {
        case .hermes:
            let one: [GrammarBuilder.Item] = [.literal("<tool_call>\n"), .rule(call), .literal("\n</tool_call>")]
            let more = b.repeated([.literal("\n")] + one, min: 0, max: parallel ? nil : 0)
            b.define(root, [one + [.rule(more)]])
        case .llama3:
            b.define(root, [[.rule(call)]])
        case .mistral, .generic:
            let more = b.repeated([.literal(", "), .rule(call)], min: 0, max: parallel ? nil : 0)
            let list: [GrammarBuilder.Item] = [.literal("["), .rule(call), .rule(more), .literal("]")]
            b.define(root, self == .mistral ? [list] : [[.literal("{\"tool_calls\": ")] + list + [.literal("}")]])
        }
        return try b.build(root: root)
    }
}
