import Engine
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle

/// The model a server serves: a text generator or an embedding model. The endpoints of the
/// other kind answer 400.
public enum ServedModel: Sendable {
    case completion(any CompletionBackend)
    case embedding(any EmbeddingBackend)

    /// What every kind answers (name, health, metrics).
    public var backend: any ModelBackend {
        switch self {
        case .completion(let backend): return backend
        case .embedding(let backend): return backend
        }
    }
}

/// The OpenAI-compatible HTTP server in front of a `CompletionBackend` or an `EmbeddingBackend`.
public enum StrataServer {
    /// Builds the Hummingbird application serving `backend`: routes, middleware, metrics.
    ///
    /// The caller runs it, e.g. `try await app.runService()` (graceful shutdown on SIGINT and SIGTERM), or
    /// as one service of a `ServiceGroup`. Every application owns its metrics registry, so several can
    /// live in one process.
    ///
    /// - Parameters:
    ///   - onServerRunning: called with the bound port once the server listens (useful with port 0).
    public static func makeApplication(
        backend: any CompletionBackend,
        configuration: ServerConfiguration,
        logger: Logger,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        makeApplication(model: .completion(backend), configuration: configuration, logger: logger, onServerRunning: onServerRunning)
    }

    /// Builds the application serving `model` (see `makeApplication(backend:...)`).
    public static func makeApplication(
        model: ServedModel,
        configuration: ServerConfiguration,
        logger: Logger,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let backend = model.backend
        let metrics = ServerMetrics()
        let router = Router(context: ServerRequestContext.self)
        // Outermost first: the access log sees the response the error middleware made of any error.
        router.add(middleware: AccessLogMiddleware(metrics: metrics))
        router.add(middleware: OpenAIErrorMiddleware())
        router.add(middleware: URILengthMiddleware())
        if !configuration.allowedOrigins.isEmpty {
            router.add(middleware: CORSOriginsMiddleware(origins: Set(configuration.allowedOrigins)))
        }
        if ServerConfiguration.isLoopback(configuration.host) {
            router.add(middleware: HostCheckMiddleware(allowed: Set(configuration.allowedHosts.map { $0.lowercased() })))
        }

        HealthRoute(backend: backend).register(on: router)
        MetricsRoute(backend: backend, metrics: metrics).register(on: router)

        let v1 = router.group("v1")
        if let apiKey = configuration.apiKey {
            v1.add(middleware: APIKeyMiddleware(apiKey: apiKey))
        }
        // llama-server's tokenizer endpoints, at the root as there, behind the same key as /v1.
        let root = router.group()
        if let apiKey = configuration.apiKey {
            root.add(middleware: APIKeyMiddleware(apiKey: apiKey))
        }
        switch model {
        case .completion(let completion):
            TokenizeRoute(backend: completion, bodyLimits: configuration.bodyLimits).register(on: root)
            let runner = CompletionRunner(backend: completion, metrics: metrics)
            CompletionsRoute(backend: completion, runner: runner, bodyLimits: configuration.bodyLimits).register(on: v1)
            ChatCompletionsRoute(backend: completion, runner: runner, bodyLimits: configuration.bodyLimits).register(on: v1)
            WrongModelKindRoute(path: "embeddings", endpoint: "embeddings", use: "/v1/completions or /v1/chat/completions",
                                modelID: backend.modelID).register(on: v1)
        case .embedding(let embedding):
            EmbeddingsRoute(backend: embedding, bodyLimits: configuration.bodyLimits).register(on: v1)
            for path in ["completions", "chat/completions"] {
                WrongModelKindRoute(path: path, endpoint: "/v1/" + path + " (it is an embedding model)", use: "/v1/embeddings",
                                    modelID: backend.modelID).register(on: v1)
            }
        }
        ModelsRoute(backend: backend, created: unixTime()).register(on: v1)

        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                StrataHTTP1Channel(responder: responder, idleTimeout: .seconds(configuration.idleTimeoutSeconds),
                                   maxHeaderBytes: configuration.maxHeaderBytes)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "strata/\(ServerInfo.version)",
                                 availableConnectionsDelegate: .maximum(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Builds the application and runs it until SIGINT or SIGTERM, then shuts down gracefully:
    /// the server stops accepting connections and returns once the requests in flight are answered.
    /// Stop the backend after this returns.
    public static func run(
        model: ServedModel,
        configuration: ServerConfiguration,
        logger: Logger,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) async throws {
        let app = makeApplication(model: model, configuration: configuration, logger: logger, onServerRunning: onServerRunning)
        try await app.runService()
    }

    /// Runs `app` until SIGINT or SIGTERM, then stops within `gracePeriod` whatever the clients
    /// do: `drain` (the backend's shutdown: stop taking work, let running requests finish for up
    /// to the grace period, end the rest with an error) runs first, so in-flight streams are over
    /// by then; the HTTP server stops after it (requests arriving meanwhile get 503).
    public static func run(_ app: some Service, gracePeriod: Duration, logger: Logger,
                           drain: @escaping @Sendable (Duration) async -> Void) async throws {
        // A service group shuts its services down in reverse order, each after the one before has returned.
        let group = ServiceGroup(configuration: .init(
            services: [app, BackendDrain(gracePeriod: gracePeriod, drain: drain)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Waits for the graceful-shutdown signal, then drains the backend.
private struct BackendDrain: Service {
    let gracePeriod: Duration
    let drain: @Sendable (Duration) async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await drain(gracePeriod)
    }
}
