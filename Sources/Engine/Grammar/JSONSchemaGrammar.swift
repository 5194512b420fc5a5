/// Grammars for JSON output (OpenAI `response_format`): the sentences are compact or lightly
/// laid-out JSON texts valid against a schema. Whitespace between tokens is at most one space or
/// a newline and 20 spaces or tabs; numbers have at most 16 integer, 16 fraction and 3 exponent
/// digits; nothing comes before or after the value. Properties are written in the schema's order,
/// and only listed ones (extra properties are never needed to be valid).
///
/// Enforced: `type` (one or several), `properties`, `required`, `additionalProperties`, `items`,
/// `minItems`, `maxItems`, `minLength`, `maxLength`, `enum`, `const`, `anyOf`, and `$ref` to any
/// place in the schema (`#/$defs/Name`; recursion allowed). Annotations (`title`, `description`,
/// `default`...) are ignored; any other keyword is refused with `GrammarError.unsupportedSchema`.
public enum JSONSchemaGrammar {
    /// A grammar for JSON texts valid against `schema`.
    public static func compile(_ schema: JSONValue) throws(GrammarError) -> Grammar {
        var builder = GrammarBuilder()
        let root = try addValue(schema, to: &builder, name: "root")
        return try builder.build(root: root)
    }

    /// A grammar for any JSON object (response_format json_object).
    public static func anyObject() -> Grammar {
        var builder = GrammarBuilder()
        let lexicon = JSONLexicon(&builder)
        do {
            return try builder.build(root: lexicon.object)
        } catch {
            preconditionFailure("the JSON object grammar does not build: \(error)")
        }
    }

    /// Adds rules for values valid against `schema` to `builder` and returns the rule (so that
    /// tool-call grammars can embed argument schemas); `name` prefixes the new rules. The rule
    /// matches the value alone, without whitespace around it; the shared lexical rules are named
    /// `json-*` and added once per builder.
    public static func addValue(_ schema: JSONValue, to builder: inout GrammarBuilder, name: String) throws(GrammarError) -> GrammarBuilder.Rule {
        // The compiler works on a copy, so `builder` is unchanged when the schema is refused.
        var compiler = JSONSchemaCompiler(builder: builder, document: schema, prefix: name)
        let rule = try compiler.compileDocument()
        builder = compiler.builder
        return rule
    }
}
