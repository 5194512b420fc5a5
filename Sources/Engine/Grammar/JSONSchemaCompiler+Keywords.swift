extension JSONSchemaCompiler {
    /// Keywords that only describe: they constrain nothing, so they are ignored. (`$defs` and
    /// `definitions` are read through `$ref`.)
    static let annotations: Set<String> = [
        "title", "description", "$schema", "$id", "default", "examples", "$comment", "strict",
        "deprecated", "readOnly", "writeOnly", "$defs", "definitions",
    ]

    /// Keywords the grammar enforces.
    static let enforced: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "enum", "const", "anyOf", "$ref", "minLength", "maxLength",
    ]

    /// Keywords that constrain objects, arrays and strings (to infer `type` when it is absent).
    static let objectKeywords: Set<String> = ["properties", "required", "additionalProperties"]
    static let arrayKeywords: Set<String> = ["items", "minItems", "maxItems"]
    static let stringKeywords: Set<String> = ["minLength", "maxLength"]

    /// Why `keyword` (one not enforced) is refused, for the error message.
    static func whyUnsupported(_ keyword: String) -> String {
        switch keyword {
        case "pattern": return "regular expressions are not enforced on generated strings"
        case "format": return "string formats are not enforced on generated strings"
        case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
            return "numeric bounds are not enforced on generated numbers"
        case "uniqueItems", "contains", "minContains", "maxContains", "unevaluatedItems":
            return "only items, minItems and maxItems are enforced on arrays"
        case "prefixItems", "additionalItems":
            return "tuple arrays are not supported; use items with one schema"
        case "patternProperties", "propertyNames", "minProperties", "maxProperties", "dependentRequired",
             "dependentSchemas", "dependencies", "unevaluatedProperties":
            return "only properties, required and additionalProperties are enforced on objects"
        case "allOf", "oneOf", "not", "if", "then", "else":
            return "only anyOf is supported for combining schemas"
        default:
            return "this server cannot enforce it on generated output"
        }
    }
}
