/// Request fields OpenAI (or llama-server) defines that change what a completion is, which this
/// server does not implement yet: present with a value that asks for something, they are a 400
/// naming the field rather than silently ignored (a client would get something else than it
/// asked for). Fields with no effect on the result (`user`, `metadata`, `store`, ...) pass.
enum UnsupportedFields {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws `.unsupported` for the first field of the request that asks for what is not implemented.
    static func check(_ decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        func has(_ name: String) -> Bool { isSet(name, in: container) }
        func refuse(_ name: String, _ what: String) -> OpenAIError {
            .unsupported(name, "'\(name)' is not supported by this server yet: \(what).")
        }
        if has("best_of"), (try? container.decode(Int.self, forKey: Key(stringValue: "best_of"))) != 1 {
            throw refuse("best_of", "one candidate is generated per request")
        }
        if has("suffix"), (try? container.decode(String.self, forKey: Key(stringValue: "suffix"))) != "" {
            throw refuse("suffix", "text after the completion (fill-in-the-middle) is not used")
        }
        if has("grammar") {
            throw refuse("grammar", "GBNF grammars are not implemented; use 'response_format' with a JSON schema")
        }
        if has("modalities"), (try? container.decode([String].self, forKey: Key(stringValue: "modalities"))) != ["text"] {
            throw refuse("modalities", "only [\"text\"] output is produced")
        }
        for (name, what) in [("audio", "audio output is not produced"), ("web_search_options", "there is no web search"),
                             ("reasoning_effort", "the served model has no reasoning effort to set"),
                             ("verbosity", "the reply's verbosity cannot be set")] where has(name) {
            throw refuse(name, what)
        }
    }

    /// Whether the request has any of `names` with a value other than null.
    static func hasAny(_ names: [String], _ decoder: any Decoder) throws -> Bool {
        let container = try decoder.container(keyedBy: Key.self)
        return names.contains { isSet($0, in: container) }
    }

    /// Whether `name` is present with a value other than null.
    private static func isSet(_ name: String, in container: KeyedDecodingContainer<Key>) -> Bool {
        let key = Key(stringValue: name)
        return container.contains(key) && (try? container.decodeNil(forKey: key)) != true
    }
}
