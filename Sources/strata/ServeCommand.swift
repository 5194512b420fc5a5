import ArgumentParser
import Foundation
import Engine
import Hummingbird
import Logging
import Memory
import StrataRuntime
import Server

/// `strata serve`: the OpenAI-compatible HTTP server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API.")

    @OptionGroup var options: ModelOptions
    @OptionGroup var gpu: GPUOptions

    @Option(name: .long, help: "Address to listen on (loopback unless told otherwise).")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on.")
    var port: Int = 8080

    @Option(name: .long, help: "Tokens one sequence may hold (default: the model's, at most \(DecoderShape.defaultContextCap)).")
    var ctx: Int?

    @Option(name: .long, help: "Sequences generating at once.")
    var parallel: Int = 8

    @Option(name: .customLong("queue"), help: "Requests queued or running at once; more get 429.")
    var queue: Int = 64

    @Option(name: .customLong("memory-budget"), help: "Bytes for KV pages, compressed pages and pools, e.g. 2GiB (default: in a memory cgroup, its limit less the weights and max(128MiB, a tenth of it); else half of RAM).")
    var memoryBudget: String?

    @Option(name: .customLong("prefix-cache"), help: "Bytes of KV kept for prompt prefixes no request holds, e.g. 512MiB; 0 keeps none (default: 1GiB without --memory-budget, else the budget bounds it).")
    var prefixCache: String?

    @Option(name: .customLong("batch-tokens"), help: "Tokens per batched step: decode tokens plus prompt chunks (default 512), or embedding inputs (default 2048).")
    var batchTokens: Int?

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f16, f32, q8_0.")
    var kvType: String = "f16"

    @OptionGroup var auth: APIKeyOptions

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may idle (before and between requests; a request's headers must arrive within it).")
    var idleTimeout: Int = 30

    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may take once its headers are in (408 and close after).")
    var bodyTimeout: Int = 30

    @Option(name: .customLong("max-connections"), help: "Open connections at most; more wait in the listen backlog (default 1024, and always below the file-descriptor limit).")
    var maxConnections: Int = 1024

    @Option(name: .customLong("shutdown-grace"), help: "Seconds SIGTERM/SIGINT lets running completions finish; then they end with an error and the server exits.")
    var shutdownGrace: Int = 10

    @Option(name: .customLong("allowed-origins"), help: "Origins whose web pages may call the API (CORS), comma-separated, or * for any (default: none).")
    var allowedOrigins: String?

    @Option(name: .customLong("allowed-hosts"), help: "Host names answered besides localhost on a loopback bind, comma-separated (a reverse proxy's); requests for others get 403.")
    var allowedHosts: String?

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be in 1...65535") }
        guard (1...256).contains(parallel) else { throw ValidationError("--parallel must be in 1...256") }
        guard queue >= parallel else { throw ValidationError("--queue must be at least --parallel") }
        guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be in 1...3600 seconds") }
        guard (1...3600).contains(bodyTimeout) else { throw ValidationError("--body-timeout must be in 1...3600 seconds") }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be in 1...1000000") }
        guard (0...3600).contains(shutdownGrace) else { throw ValidationError("--shutdown-grace must be in 0...3600 seconds") }
        if let batchTokens, !(1...1 << 20).contains(batchTokens) { throw ValidationError("--batch-tokens must be in 1...1048576") }
        if let ctx, ctx < 1 { throw ValidationError("--ctx must be >= 1") }
        if let prefixCache, Self.prefixCacheBytes(prefixCache) == nil {
            throw ValidationError("--prefix-cache '\(prefixCache)' is not a size (e.g. 512MiB, 0)")
        }
        if let memoryBudget, MemoryBudget.parseSize(memoryBudget) == nil {
            throw ValidationError("--memory-budget '\(memoryBudget)' is not a size (e.g. 512MiB, 2GiB)")
        }
        _ = try KVTypeOption.parse(kvType)
    }

    func run() async throws {
        var logger = Logger(label: "strata")
        logger.logLevel = .info
        let apiKey: String?
        do {
            apiKey = try auth.resolve()
        } catch {
            throw Console.fail(error)
        }
        if apiKey == nil, !ServerConfiguration.isLoopback(host) {
            logger.warning("serving on \(host) without an API key: anyone who can reach port \(port) can use the model (set STRATA_API_KEY or --api-key-file)")
        }
        let configuration = serverConfiguration(apiKey: apiKey, logger: logger)
        if let directory = options.embeddingModelDirectory {
            try await serveEmbeddings(directory: directory, configuration: configuration, logger: logger)
            return
        }
        let loaded = try options.load()
        if let ctx, ctx > loaded.model.shape.contextLength {
            logger.warning("--ctx \(ctx) is more than the \(loaded.model.shape.contextLength) tokens the model was trained for: using \(loaded.model.shape.contextLength)")
        }
        var engineOptions = EngineOptions()
        engineOptions.kvType = try KVTypeOption.parse(kvType)
        engineOptions.maxSequences = parallel
        engineOptions.maxRequests = queue
        engineOptions.contextLength = ctx
        engineOptions.maxBatchTokens = batchTokens ?? 512
        engineOptions.memoryBudget = memoryBudget.flatMap(MemoryBudget.parseSize)
        engineOptions.prefixCacheBytes = prefixCache.flatMap(Self.prefixCacheBytes)
        let backend = try gpu.backend(model: loaded.model, pool: options.makePool(), kvType: engineOptions.kvType,
                                      tokens: loaded.model.shape.contextLength(requested: ctx), sequences: parallel)
        let engine: InferenceEngine
        do {
            engine = try InferenceEngine(model: loaded, backend: backend, options: engineOptions)
        } catch {
            throw Console.fail(error)
        }
        let service = GenerationService(engine: engine)
        logger.info("chat template: \(Self.describe(service.chatTemplate, jinja: loaded.chatTemplate))")
        logger.info("tool calls: \(service.toolCallFormat.rawValue) format\(service.toolCallFormat.templateRendersTools ? " (the template renders tools)" : " (tools described in a system message)")")
        logger.info("serving \(service.modelID) on http://\(host):\(port) (parallel \(parallel), context \(service.contextLength), budget \(formatBytes(engine.budget.limitBytes)))")
        let app = StrataServer.makeApplication(backend: service, configuration: configuration, logger: logger)
        try await StrataServer.run(app, gracePeriod: .seconds(shutdownGrace), logger: logger) { grace in
            await service.shutdown(gracePeriod: grace)
        }
        logger.info("stopped")
    }

    /// The server's configuration from the flags: address, key, allowed hosts and origins, the
    /// timeouts and the connection cap, kept below the file-descriptor limit (whose soft value is
    /// raised to the hard one first); logs the limits.
    func serverConfiguration(apiKey: String?, logger: Logger) -> ServerConfiguration {
        func list(_ flag: String?) -> [String] { flag.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [] }
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey
        configuration.allowedHosts = list(allowedHosts)
        configuration.allowedOrigins = list(allowedOrigins)
        configuration.idleTimeoutSeconds = idleTimeout
        configuration.bodyTimeoutSeconds = bodyTimeout
        let descriptors = FileDescriptorLimit.raiseToHard()
        // Room for the model, logs, the engine's files and accept's own descriptor.
        let cap = min(maxConnections, max(8, descriptors - 64))
        if cap < maxConnections {
            logger.warning("--max-connections \(maxConnections) is more than \(descriptors) file descriptors allow: \(cap)")
        }
        configuration.maxConnections = cap
        logger.info("connections: at most \(cap) open (file descriptors \(descriptors)), idle timeout \(idleTimeout) s, body timeout \(bodyTimeout) s, shutdown grace \(shutdownGrace) s")
        return configuration
    }

    /// The chat format for the log: its name, and for ChatML the default system prompt, or
    /// why one the template seems to have was not used.
    /// `--prefix-cache`'s bytes: a size, or 0 to keep no prefix.
    static func prefixCacheBytes(_ text: String) -> Int? {
        text.trimmingCharacters(in: .whitespaces) == "0" ? 0 : MemoryBudget.parseSize(text)
    }

    static func describe(_ template: ChatTemplate, jinja: String?) -> String {
        if case .jinja = template { return "jinja (the model's own tokenizer.chat_template)" }
        guard case .chatML(let defaultSystemPrompt) = template else { return template.description }
        if let defaultSystemPrompt { return "chatml, default system prompt \"\(defaultSystemPrompt)\"" }
        if let jinja, case .unrecognised(let why) = ChatTemplate.systemDefault(inChatML: jinja) {
            return "chatml, without the template's default system prompt (not read: \(why))"
        }
        return "chatml"
    }

    /// Serves a BERT model directory on `/v1/embeddings`.
    func serveEmbeddings(directory: String, configuration: ServerConfiguration, logger: Logger) async throws {
        let service: EmbeddingService
        let model = try ModelOptions.loadEmbeddingModel(directory)
        // In a cgroup, the mapped weights count against the limit too, as for a completion model.
        let budget = MemoryBudget(limitBytes: memoryBudget.flatMap(MemoryBudget.parseSize)
                                  ?? MemoryBudget.defaultLimit(weightBytes: model.file.file.size))
        do {
            service = try EmbeddingService(model: model, pool: options.makePool(),
                                           maxBatchTokens: batchTokens ?? 2048, capacity: queue, budget: budget)
        } catch {
            throw Console.fail(error)
        }
        logger.info("serving embeddings of \(service.modelID) (\(service.dimensions) dimensions, \(service.maxInputTokens) tokens per input) on http://\(host):\(port)")
        let app = StrataServer.makeApplication(model: .embedding(service), configuration: configuration, logger: logger)
        try await StrataServer.run(app, gracePeriod: .seconds(shutdownGrace), logger: logger) { _ in await service.shutdown() }
        logger.info("stopped")
    }
}
