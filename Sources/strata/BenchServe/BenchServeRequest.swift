import ArgumentParser

/// What every request of a run sends, and how it is built.
struct BenchServeRequest: Sendable {
    var endpoint: String
    var model: String?
    var apiKey: String?
    var chat: Bool
    var promptTokens: Int
    var maxTokens: Int

    /// The request URL: `base` without trailing slashes, then `/v1` unless it already ends
    /// so, then `/completions` or `/chat/completions`. Only http and https URLs with a host.
    static func endpoint(base: String, chat: Bool) throws -> String {
        var url = base
        while url.hasSuffix("/") { url.removeLast() }
        let scheme = url.prefix(while: { $0 != ":" })
        guard scheme == "http" || scheme == "https", url.dropFirst(scheme.count).hasPrefix("://"),
              url.count > scheme.count + 3 else {
            throw ValidationError("--url must be an http:// or https:// URL with a host, not '\(base)'")
        }
        if !url.hasSuffix("/v1") { url += "/v1" }
        return url + (chat ? "/chat/completions" : "/completions")
    }

    /// Common one-token English words (one token each in the Llama, GPT-2 and most other
    /// vocabularies when preceded by a space).
    static let words = [
        "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not",
        "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were",
        "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would",
        "who", "so", "no", "time", "day", "little", "big", "good", "new", "old", "first", "last", "long", "great",
    ]

    /// A prompt of `tokens` words, about as many tokens. Request `variant` starts at word
    /// `variant % words.count` and steps by a stride prime to the list's length, so prompts
    /// of different variants differ from their first word.
    static func syntheticPrompt(tokens: Int, variant: Int) -> String {
        var out = ""
        out.reserveCapacity(tokens * 5)
        let n = words.count
        var i = variant % n
        for k in 0..<tokens {
            if k > 0 { out += " " }
            out += words[i]
            i = (i + 7) % n
        }
        return out
    }

    /// The JSON body of request `variant`: streaming, greedy, exactly `maxTokens` (`ignore_eos`),
    /// usage requested in the stream (`stream_options.include_usage`).
    func body(variant: Int) -> String {
        let prompt = BenchServeRequest.syntheticPrompt(tokens: promptTokens, variant: variant).jsonEscaped()
        var fields: [String] = []
        if let model { fields.append("\"model\": \"\(model.jsonEscaped())\"") }
        if chat {
            fields.append("\"messages\": [{\"role\": \"user\", \"content\": \"\(prompt)\"}]")
        } else {
            fields.append("\"prompt\": \"\(prompt)\"")
        }
        fields += [
            "\"max_tokens\": \(maxTokens)", "\"temperature\": 0", "\"ignore_eos\": true", "\"stream\": true",
            "\"stream_options\": {\"include_usage\": true}",
        ]
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Request headers.
    var headers: [(String, String)] {
        var h = [("Content-Type", "application/json"), ("Accept", "text/event-stream")]
        if let apiKey { h.append(("Authorization", "Bearer \(apiKey)")) }
        return h
    }
}
