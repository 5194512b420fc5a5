/// How `strata serve` listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// Address to bind; `127.0.0.1` keeps the server local, `0.0.0.0` opens it to the network.
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one (reported through `onServerRunning`).
    public var port = 8080
    /// When set, every `/v1` route requires `Authorization: Bearer <apiKey>`; `/health` and `/metrics` stay open.
    public var apiKey: String? = nil
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes = 1 << 20

    public init() {}
}
