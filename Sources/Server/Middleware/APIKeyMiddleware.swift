import Hummingbird

/// Requires `Authorization: Bearer <key>` (401 otherwise); installed on the `/v1` routes only.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let apiKey: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authorization = request.headers[.authorization] else {
            throw OpenAIError.invalidAPIKey(provided: false)
        }
        let prefix = "Bearer "
        guard authorization.count > prefix.count, authorization.prefix(prefix.count).lowercased() == prefix.lowercased(),
            Self.constantTimeEqual(Array(authorization.utf8.dropFirst(prefix.utf8.count)), Array(apiKey.utf8))
        else {
            throw OpenAIError.invalidAPIKey(provided: true)
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so timing does not reveal the key's prefix.
    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
