/// How `strata serve` listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// Address to bind; `127.0.0.1` keeps the server local, `0.0.0.0` opens it to the network.
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one (reported through `onServerRunning`).
    public var port = 8080
    /// When set, every `/v1` route, `/tokenize` and `/detokenize` require `Authorization: Bearer <apiKey>`; `/health` and `/metrics` stay open.
    public var apiKey: String? = nil
    /// Host names (the `Host` header, without its port) answered besides loopback ones; on a
    /// loopback bind every other is refused with 403 (a web page reaching the local server
    /// through DNS rebinding), so a reverse proxy's name must be listed. Empty on another
    /// bind: any host.
    public var allowedHosts: [String] = []
    /// Seconds a connection may stay idle, before its first request and between requests, and
    /// the most a request's headers may take to arrive (a slow client's byte-a-time headers
    /// count as idle): the connection is closed after it.
    public var idleTimeoutSeconds = 30
    /// Seconds a request body may take to arrive once its headers are in (408 and close after).
    public var bodyTimeoutSeconds = 30
    /// Open connections at most: past it the server stops accepting (they wait in the listen
    /// backlog) instead of failing `accept` once file descriptors run out.
    public var maxConnections = 1024
    /// Origins whose web pages may call the API (CORS), `*` for any; empty: none.
    public var allowedOrigins: [String] = []
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes = 1 << 20
    /// Largest header section accepted (request line and headers); larger ones get 431.
    public var maxHeaderBytes = 64 << 10

    public init() {}

    /// Whether `host` (a bind address or a `Host` name without its port) is a loopback name or
    /// address: `localhost` and its subdomains, 127.0.0.0/8, `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        return host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// What a request body may be: its size and the time it may take.
    var bodyLimits: BodyLimits { BodyLimits(maxBytes: maxBodyBytes, timeoutSeconds: bodyTimeoutSeconds) }
}
