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
