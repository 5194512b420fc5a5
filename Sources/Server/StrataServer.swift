import Engine
import Hummingbird
import Logging

/// The OpenAI-compatible HTTP server in front of a `CompletionBackend`.
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
        let metrics = ServerMetrics()
        let router = Router(context: ServerRequestContext.self)
        // Outermost first: the access log sees the response the error middleware made of any error.
        router.add(middleware: AccessLogMiddleware(metrics: metrics))
        router.add(middleware: OpenAIErrorMiddleware())

        HealthRoute(backend: backend).register(on: router)
        MetricsRoute(backend: backend, metrics: metrics).register(on: router)

        let v1 = router.group("v1")
        if let apiKey = configuration.apiKey {
            v1.add(middleware: APIKeyMiddleware(apiKey: apiKey))
        }
        let runner = CompletionRunner(backend: backend, metrics: metrics)
        CompletionsRoute(backend: backend, runner: runner, maxBodyBytes: configuration.maxBodyBytes).register(on: v1)
        ChatCompletionsRoute(backend: backend, runner: runner, maxBodyBytes: configuration.maxBodyBytes).register(on: v1)
        ModelsRoute(backend: backend, created: unixTime()).register(on: v1)

        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "strata/\(ServerInfo.version)"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Builds the application and runs it until SIGINT or SIGTERM, then shuts down gracefully:
    /// the server stops accepting connections and returns once the requests in flight are answered.
    /// Stop the backend after this returns.
    public static func run(
        backend: any CompletionBackend,
        configuration: ServerConfiguration,
        logger: Logger,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) async throws {
        let app = makeApplication(backend: backend, configuration: configuration, logger: logger, onServerRunning: onServerRunning)
        try await app.runService()
    }
}
