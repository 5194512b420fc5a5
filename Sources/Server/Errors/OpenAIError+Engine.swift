import Engine
import Hummingbird

/// The engine's refusals and failures as OpenAI errors.
extension OpenAIError {
    init(_ error: SchedulerError) {
        switch error {
        case .queueFull(let limit):
            self = OpenAIError(
                status: .tooManyRequests,
                message: "The server is busy: its queue of \(limit) requests is full. Retry shortly.",
                type: "rate_limit_exceeded", code: "rate_limit_exceeded", retryAfter: 1)
        case .invalidPrompt(let why):
            self = .invalidValue("prompt", "Invalid prompt: \(why).")
        case .invalidStopToken:
            self = .invalidValue("stop_token_ids", "Invalid stop_token_ids: \(error.description).")
        case .grammar:
            self = .invalidValue("response_format", "The requested output format cannot be produced: \(error.description).")
        case .tooManyChoices:
            self = .invalidValue("n", "Invalid n: \(error.description).")
        case .tooLong(let promptTokens, let maxTokens, let capacity):
            self = .contextLengthExceeded(promptTokens: promptTokens, maxTokens: maxTokens, contextLength: capacity)
        case .sampling(let samplingError):
            self.init(samplingError)
        case .outOfMemory(let why):
            self = .unavailable("The server is out of memory for this request: \(why). Retry later or ask for fewer tokens.")
        case .shuttingDown:
            self = .unavailable("The server is shutting down. Retry against another instance.")
        }
    }

    init(_ error: EmbeddingError) {
        switch error {
        case .queueFull:
            self.init(SchedulerError.queueFull(limit: 0))
            message = "The server is busy: \(error.description)."
        case .shuttingDown:
            self.init(SchedulerError.shuttingDown)
        case .tooLong:
            self = OpenAIError(status: .badRequest, message: error.description + ".", param: "input", code: "context_length_exceeded")
        case .noInputs, .tooManyInputs, .emptyInput, .invalidToken:
            self = .invalidValue("input", "Invalid input: \(error.description).")
        }
    }

    /// 400: the first of `tokens` outside a vocabulary of `vocabularySize`, if any.
    static func checkVocabulary(_ tokens: [TokenID], _ param: String, vocabularySize: Int) throws(OpenAIError) {
        if let bad = tokens.firstOutside(vocabularySize: vocabularySize) {
            throw .invalidValue(param, "Token \(bad) in '\(param)' is outside the vocabulary (ids 0 to \(vocabularySize - 1)).")
        }
    }

    /// 400: the served model does not do what this endpoint does.
    static func wrongModelKind(model: String, endpoint: String, use: String) -> OpenAIError {
        OpenAIError(status: .badRequest, message: "The model '\(model)' does not support \(endpoint); use \(use).",
                    param: "model", code: "model_not_supported")
    }

    init(_ error: SamplingError) {
        switch error {
        case .outOfRange(let name, _, _):
            self = .invalidValue(name, error.description)
        }
    }

    init(_ error: ChatTemplateError) {
        self = .invalidValue("messages", "Invalid messages: \(error.description).")
    }

    /// Hummingbird's own errors (unknown route, body limit, ...) in OpenAI's shape.
    init(_ error: HTTPError, request: Request) {
        switch error.status {
        case .notFound, .methodNotAllowed:
            self = .unknownRoute(method: request.method, path: request.uri.path)
        case .contentTooLarge:
            self = OpenAIError(status: .contentTooLarge, message: error.body ?? "The request body is too large.", code: "request_too_large")
        default:
            let type = error.status.kind == .serverError ? "server_error" : "invalid_request_error"
            self = OpenAIError(status: error.status, message: error.body ?? error.status.reasonPhrase, type: type)
        }
    }
}
