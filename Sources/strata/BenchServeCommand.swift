import ArgumentParser

/// `strata bench serve`: an OpenAI-compatible load generator, for any server that streams
/// `/v1/completions` (ours, llama.cpp's llama-server, vLLM...). C workers issue N streaming
/// requests in total and the report gives throughput and the latencies llm serving
/// benchmarks use: TTFT, TPOT, ITL and end-to-end, mean and p50/p90/p99.
struct BenchServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load-test an OpenAI-compatible server: streaming requests, TTFT/TPOT/ITL/latency percentiles, throughput.",
        discussion: """
            Sends --requests streaming requests in total from --concurrency workers, each with a \
            synthetic prompt of about --prompt-tokens tokens (common English words, a different \
            first word per request so a prefix cache cannot serve one from another) and \
            max_tokens --max-tokens, temperature 0, ignore_eos. Output tokens are the server's \
            usage.completion_tokens when it reports them, else the non-empty streamed chunks. \
            Stops after the last request or at --timeout, whichever comes first, and sends \
            no more requests when the server cannot be reached at all.
            """)

    @Option(help: "The server's base URL, e.g. http://127.0.0.1:8080 (a trailing /v1 is fine).")
    var url: String

    @Option(help: "The model name to send (omitted when not given).")
    var model: String?

    @Option(name: [.customShort("c"), .long], help: "Requests in flight at once.")
    var concurrency: Int = 8

    @Option(name: [.customShort("n"), .long], help: "Requests to send in total.")
    var requests: Int = 64

    @Option(name: .customLong("prompt-tokens"), help: "Approximate prompt length in tokens.")
    var promptTokens: Int = 128

    @Option(name: .customLong("max-tokens"), help: "Tokens to generate per request (max_tokens).")
    var maxTokens: Int = 128

    @Option(name: .customLong("api-key"), help: "Sent as 'Authorization: Bearer <key>'.")
    var apiKey: String?

    @Flag(help: "Use /v1/chat/completions (the prompt as one user message) instead of /v1/completions.")
    var chat = false

    @Option(help: "Stop after this many seconds whatever is still running.")
    var timeout: Double = 600

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        _ = try BenchServeRequest.endpoint(base: url, chat: chat)
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be >= 1") }
        guard requests >= 1 else { throw ValidationError("--requests must be >= 1") }
        guard promptTokens >= 1 else { throw ValidationError("--prompt-tokens must be >= 1") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be >= 1") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") }
        if let model, model.isEmpty { throw ValidationError("--model must not be empty") }
    }

    func run() async throws {
        let endpoint = try BenchServeRequest.endpoint(base: url, chat: chat)
        let plan = BenchServeRequest(endpoint: endpoint, model: model, apiKey: apiKey, chat: chat,
                                     promptTokens: promptTokens, maxTokens: maxTokens)
        let report = try await BenchServeClient.run(plan, concurrency: min(concurrency, requests), requests: requests,
                                                    timeout: .milliseconds(Int64(timeout * 1000)))
        Console.out(json ? report.json() + "\n" : report.table())
        if report.completed == 0 { throw ExitCode.failure }
    }
}

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
