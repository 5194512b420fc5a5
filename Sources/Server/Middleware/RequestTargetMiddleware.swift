import Hummingbird

/// Refuses requests addressed to a host name the server does not answer to: on a loopback bind,
/// anything but a loopback name or address and the configured names (403). A page on another
/// site that rebinds its name to 127.0.0.1 sends its own name in `Host`, so it is refused; a
/// request without `Host` (HTTP/1.0) is let through, as no browser sends one.
struct HostCheckMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let allowed: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The authority, and any Host field left beside it (a request naming two hosts is
        // judged by each).
        if let authority = request.head.authority { try check(authority) }
        for field in request.headers where field.name.canonicalName == "host" { try check(field.value) }
        return try await next(request, context)
    }

    private func check(_ authority: String) throws(OpenAIError) {
        let host = Self.hostName(authority)
        guard ServerConfiguration.isLoopback(host) || allowed.contains(host) else { throw .hostNotAllowed(host) }
    }

    /// The host of `host[:port]` or `[v6]:port`, lower-cased.
    static func hostName(_ authority: String) -> String {
        let lowered = authority.lowercased()
        if lowered.hasPrefix("["), let close = lowered.firstIndex(of: "]") {
            return String(lowered[lowered.startIndex...close])
        }
        return String(lowered.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}

/// Refuses request targets longer than `limit` bytes with 414 before any route sees them.
struct URILengthMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    static let limit = 8192

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.string.utf8.count <= Self.limit else { throw OpenAIError.uriTooLong(limit: Self.limit) }
        return try await next(request, context)
    }
}
