/// How a model family writes tool calls, recognised from its chat template:
///
/// | format    | templates                                   | a call                                                        |
/// |-----------|---------------------------------------------|---------------------------------------------------------------|
/// | `hermes`  | Qwen 2.5/3, Hermes, SmolLM3 (`<tool_call>`) | `<tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>` |
/// | `llama3`  | Llama 3.1/3.2 (`<\|python_tag\|>`, `ipython`) | `{"name": "f", "parameters": {...}}`                          |
/// | `mistral` | Mistral (`[TOOL_CALLS]`)                    | `[TOOL_CALLS][{"name": "f", "arguments": {...}}]`             |
/// | `generic` | any other (tools described in a system message) | `{"tool_calls": [{"name": "f", "arguments": {...}}]}`     |
public enum ToolCallFormat: String, Sendable, Equatable {
    case hermes, llama3, mistral, generic

    /// The format `template` writes; `generic` when it does not render tools itself.
    public init(template: ChatTemplate) {
        guard case .jinja(let jinja) = template else {
            self = .generic
            return
        }
        let source = jinja.template.source
        if source.contains("<tool_call>") {
            self = .hermes
        } else if source.contains("[TOOL_CALLS]") {
            self = .mistral
        } else if source.contains("<|python_tag|>") || (source.contains("<|start_header_id|>") && source.contains("tools")) {
            self = .llama3
        } else {
            self = .generic
        }
    }

    /// Whether the template renders `tools` and tool messages itself.
    public var templateRendersTools: Bool { self != .generic }

    /// Texts that may begin a call in a reply (a stream holds text back from one on).
    public var callMarkers: [String] {
        switch self {
        case .hermes: return ["<tool_call>"]
        case .llama3: return ["<|python_tag|>", "{\"name\"", "{ \"name\""]
        case .mistral: return ["[TOOL_CALLS]", "[{\"name\""]
        case .generic: return ["{\"tool_calls\"", "{ \"tool_calls\""]
        }
    }

    /// The key a call's arguments go under.
    var argumentsKey: String { self == .llama3 ? "parameters" : "arguments" }
}
