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
        func has(_ name: String) -> Bool {
            let key = Key(stringValue: name)
            return container.contains(key) && (try? container.decodeNil(forKey: key)) != true
        }
        func refuse(_ name: String, _ what: String) -> OpenAIError {
            .unsupported(name, "'\(name)' is not supported by this server yet: \(what).")
        }
        if has("response_format") {
            struct Format: Decodable { var type: String? }
            let format = try? container.decode(Format.self, forKey: Key(stringValue: "response_format"))
            if format?.type != "text" { throw refuse("response_format", "only {\"type\": \"text\"} is accepted; structured output is not constrained") }
        }
        for name in ["tools", "functions"] where has(name) {
            if let list = try? container.decode([Ignored].self, forKey: Key(stringValue: name)), list.isEmpty { continue }
            throw refuse(name, "tool calls are not parsed or forced")
        }
        for name in ["tool_choice", "function_call"] where has(name) {
            if let choice = try? container.decode(String.self, forKey: Key(stringValue: name)), choice == "none" || choice == "auto" { continue }
            throw refuse(name, "a tool cannot be forced")
        }
        if has("best_of"), (try? container.decode(Int.self, forKey: Key(stringValue: "best_of"))) != 1 {
            throw refuse("best_of", "one candidate is generated per request")
        }
        if has("suffix"), (try? container.decode(String.self, forKey: Key(stringValue: "suffix"))) != "" {
            throw refuse("suffix", "text after the completion (fill-in-the-middle) is not used")
        }
        for name in ["grammar", "json_schema"] where has(name) {
            throw refuse(name, "constrained sampling is not implemented")
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

    /// Any JSON value, decoded only to count array elements.
    private struct Ignored: Decodable {
        init(from decoder: any Decoder) throws {}
    }
}
