import Hummingbird

/// An error as OpenAI's API reports it: an HTTP status and
/// `{"error": {"message", "type", "param", "code"}}`, plus `Retry-After` when trying again later can help.
struct OpenAIError: Error, HTTPResponseError, CustomStringConvertible {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    /// The request field at fault, if one is.
    var param: String?
    var code: String?
    /// Seconds, sent as `Retry-After`.
    var retryAfter: Int?
    /// Whether the connection must close after this response (sent as `Connection: close`): the
    /// request's body was not read to its end, so nothing after it on the connection can be parsed.
    var closesConnection = false

    init(
        status: HTTPResponse.Status, message: String, type: String = "invalid_request_error",
        param: String? = nil, code: String? = nil, retryAfter: Int? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    var description: String { "\(status.code) \(type): \(message)" }

    /// The JSON object OpenAI sends, also used as a server-sent event after streaming began.
    var body: ErrorBody {
        ErrorBody(error: .init(message: message, type: type, param: Nullable(param), code: Nullable(code)))
    }

    /// `body` encoded, for the few places that answer below the router (the HTTP/1 parser's errors).
    var jsonBody: ByteBuffer {
        guard let data = try? JSONCoding.makeEncoder().encode(body) else { return ByteBuffer(string: #"{"error":{}}"#) }
        return ByteBuffer(bytes: data)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if closesConnection { headers[.connection] = "close" }
        return JSONCoding.response(body, status: status, headers: headers)
    }
}

/// `{"error": {...}}`
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        var message: String
        var type: String
        var param: Nullable<String>
        var code: Nullable<String>
    }

    var error: Detail
}

// MARK: - The errors the server raises itself

extension OpenAIError {
    /// 400 for a request field with an impossible value.
    static func invalidValue(_ param: String, _ message: String) -> OpenAIError {
        OpenAIError(status: .badRequest, message: message, param: param, code: "invalid_value")
    }

    /// 400 for a request field of the wrong JSON type.
    static func invalidType(_ param: String, expected: String) -> OpenAIError {
        OpenAIError(status: .badRequest, message: "Invalid type for '\(param)': expected \(expected).", param: param, code: "invalid_type")
    }

    /// 400 for a required field that is absent.
    static func missing(_ param: String) -> OpenAIError {
        OpenAIError(status: .badRequest, message: "Missing required parameter: '\(param)'.", param: param, code: "missing_required_parameter")
    }

    /// 400 for a valid request the server does not implement.
    static func unsupported(_ param: String, _ message: String) -> OpenAIError {
        OpenAIError(status: .badRequest, message: message, param: param, code: "unsupported_value")
    }

    /// 400: prompt plus completion exceed the model's context (their sum in 128 bits: a
    /// `max_tokens` near `Int.max` printed a wrapped, negative total).
    static func contextLengthExceeded(promptTokens: Int, maxTokens: Int, contextLength: Int) -> OpenAIError {
        OpenAIError(
            status: .badRequest,
            message: "This model's maximum context length is \(contextLength) tokens. However, you requested "
                + "\(Int128(promptTokens) + Int128(maxTokens)) tokens (\(promptTokens) in the prompt, \(maxTokens) in the completion). "
                + "Please reduce the length of the prompt or completion.",
            code: "context_length_exceeded")
    }

    /// 401: no key, or the wrong one.
    static func invalidAPIKey(provided: Bool) -> OpenAIError {
        OpenAIError(
            status: .unauthorized,
            message: provided
                ? "Incorrect API key provided."
                : "You didn't provide an API key. Send it in an Authorization header using Bearer auth (Authorization: Bearer YOUR_KEY).",
            code: "invalid_api_key")
    }

    /// 404 for a path (or method) the server has no route for.
    static func unknownRoute(method: HTTPRequest.Method, path: String) -> OpenAIError {
        // A long path is shown cut: the error must not echo what the client sent at any size.
        let shown = path.count > 200 ? path.prefix(200) + "..." : Substring(path)
        return OpenAIError(status: .notFound, message: "Invalid URL (\(method) \(shown))", code: "not_found")
    }

    /// 403: a CORS preflight from an origin not in `--allowed-origins`.
    static func originNotAllowed(_ origin: String) -> OpenAIError {
        OpenAIError(status: .forbidden, message: "The origin '\(origin)' is not allowed (see --allowed-origins).", code: "origin_not_allowed")
    }

    /// 414: the request target is longer than the server reads.
    static func uriTooLong(limit: Int) -> OpenAIError {
        OpenAIError(status: .uriTooLong, message: "The request URI is longer than \(limit) bytes.", code: "uri_too_long")
    }

    /// 404 for a model other than the one served.
    static func modelNotFound(_ model: String) -> OpenAIError {
        OpenAIError(status: .notFound, message: "The model '\(model)' does not exist.", param: "model", code: "model_not_found")
    }

    /// This error, sent with `Connection: close` (the server closes the connection after it).
    func closingConnection() -> OpenAIError {
        var error = self
        error.closesConnection = true
        return error
    }

    /// 413: the body exceeds `maxBodyBytes`. The rest of it is not read: the connection closes.
    static func bodyTooLarge(limit: Int) -> OpenAIError {
        OpenAIError(status: .contentTooLarge, message: "The request body exceeds the limit of \(limit) bytes.", code: "request_too_large")
            .closingConnection()
    }

    /// 408: the body did not arrive within the body timeout; the connection closes.
    static func bodyTimeout(seconds: Int) -> OpenAIError {
        OpenAIError(status: .requestTimeout, message: "The request body did not arrive within \(seconds) seconds.", code: "request_timeout")
            .closingConnection()
    }

    /// 415: a body that is not declared JSON (a browser's cross-origin `text/plain` POST, which
    /// needs no preflight, must not run a completion).
    static func notJSON(_ contentType: String?) -> OpenAIError {
        OpenAIError(status: .unsupportedMediaType,
                    message: "The request body must be sent as Content-Type: application/json (got \(contentType.map { "'\($0)'" } ?? "none")).",
                    code: "unsupported_media_type")
    }

    /// 403: a request addressed to a host name this server does not answer to (DNS rebinding).
    static func hostNotAllowed(_ host: String) -> OpenAIError {
        OpenAIError(status: .forbidden,
                    message: "The host '\(host)' is not served here: this server answers requests addressed to localhost and the names given to --allowed-hosts.",
                    code: "host_not_allowed")
    }

    /// 503 with Retry-After: the engine cannot take or finish the work now.
    static func unavailable(_ message: String, retryAfter: Int = 1) -> OpenAIError {
        OpenAIError(status: .serviceUnavailable, message: message, type: "server_error", code: "service_unavailable", retryAfter: retryAfter)
    }

    /// 499 (nginx's "client closed request"): only ever logged, since nobody is left to read it.
    static var clientClosedRequest: OpenAIError {
        OpenAIError(status: .init(code: 499, reasonPhrase: "Client Closed Request"), message: "The client closed the connection.", code: "client_closed_request")
    }

    /// 500 for anything unexpected.
    static func internalError(_ message: String) -> OpenAIError {
        OpenAIError(status: .internalServerError, message: message, type: "server_error")
    }
}
