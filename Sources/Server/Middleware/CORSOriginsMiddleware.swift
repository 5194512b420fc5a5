import Hummingbird

/// CORS for the origins an operator allows (`--allowed-origins`; none by default, so a web page
/// elsewhere cannot read responses or send JSON, which needs a preflight). An allowed origin's
/// requests get `Access-Control-Allow-Origin`; its preflights (`OPTIONS` with
/// `Access-Control-Request-Method`) are answered 204 with the methods and headers the API takes.
/// A preflight from another origin gets 403.
struct CORSOriginsMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    /// Allowed origins (`scheme://host[:port]`), or `*` for any.
    let origins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = origin != "null" && (origins.contains("*") || origins.contains(origin))
        let preflight = request.method == .options && request.headers[.accessControlRequestMethod] != nil
        if preflight {
            guard allowed else { throw OpenAIError.originNotAllowed(origin) }
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, HEAD, OPTIONS"
            headers[.accessControlAllowHeaders] = "authorization, content-type, accept"
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        if allowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        }
        return response
    }
}
