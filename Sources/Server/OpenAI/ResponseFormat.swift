import Engine

/// The grammar a completion's text must follow, from `response_format` (`json_object`, or
/// `json_schema` with its `schema`; `strict` or not, the output always follows the schema), or
/// llama-server's extensions: a top-level `json_schema`, or `response_format.schema` with
/// `json_object`. Read from the request's ordered JSON: properties come out in the schema's order.
enum ResponseFormat {
    /// The fields that ask for constrained output (the request is read again, in order, when one is present).
    static let fields = ["response_format", "json_schema"]

    /// The grammar `body` asks for, or nil for free text.
    static func grammar(in body: JSONValue) throws(OpenAIError) -> Grammar? {
        var grammars: [Grammar] = []
        if let format = body["response_format"], format != .null {
            guard case .object = format, let type = format["type"]?.stringValue else {
                throw .invalidValue("response_format", "'response_format' must be an object with a string 'type' ('text', 'json_object' or 'json_schema').")
            }
            switch type {
            case "text":
                break
            case "json_object":
                if let schema = format["schema"], schema != .null {
                    grammars.append(try compile(schema, "response_format.schema"))
                } else {
                    grammars.append(JSONSchemaGrammar.anyObject())
                }
            case "json_schema":
                guard let spec = format["json_schema"], case .object = spec else {
                    throw .missing("response_format.json_schema")
                }
                if let strict = spec["strict"], strict != .null, strict.boolValue == nil {
                    throw .invalidType("response_format.json_schema.strict", expected: "a boolean")
                }
                grammars.append(try compile(spec["schema"] ?? .object([]), "response_format.json_schema.schema"))
            default:
                throw .invalidValue("response_format", "'response_format.type' must be 'text', 'json_object' or 'json_schema', not '\(type.prefix(40))'.")
            }
        }
        if let schema = body["json_schema"], schema != .null {
            grammars.append(try compile(schema, "json_schema"))
        }
        guard grammars.count <= 1 else {
            throw .invalidValue("json_schema", "Give the output's format once: 'response_format' or 'json_schema', not both.")
        }
        return grammars.first
    }

    private static func compile(_ schema: JSONValue, _ param: String) throws(OpenAIError) -> Grammar {
        do {
            return try JSONSchemaGrammar.compile(schema)
        } catch {
            throw Self.error(error, param: param)
        }
    }

    /// A schema or grammar the server cannot use, as a 400 naming `param` (and the keyword).
    static func error(_ error: GrammarError, param: String) -> OpenAIError {
        switch error {
        case .unsupportedSchema(let keyword, let why):
            return .unsupported(param, "The JSON schema keyword '\(keyword)' is not supported: \(why).")
        default:
            return .invalidValue(param, "Invalid '\(param)': \(error.description).")
        }
    }
}
