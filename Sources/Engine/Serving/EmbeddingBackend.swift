/// What every served model answers, whatever it computes: its name, whether it can take work,
/// and its gauges for `/health` and `/metrics`.
public protocol ModelBackend: Sendable {
    /// The model's name in `/v1/models` and responses.
    var modelID: String { get }
    var health: BackendHealth { get }
    func snapshot() -> BackendSnapshot
}

/// Why embedding inputs were refused or not computed.
public enum EmbeddingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request holds no input.
    case noInputs
    /// More inputs than one request may hold.
    case tooManyInputs(count: Int, limit: Int)
    /// Input `index` has no tokens.
    case emptyInput(index: Int)
    /// Input `index` has more tokens than the model reads (and truncation was not asked for).
    case tooLong(index: Int, tokens: Int, limit: Int)
    /// Input `index` holds a token id outside the vocabulary.
    case invalidToken(index: Int, token: Int, vocabularySize: Int)
    /// As many requests as the queue holds are waiting.
    case queueFull(limit: Int)
    /// The server is shutting down.
    case shuttingDown

    public var description: String {
        switch self {
        case .noInputs: return "input must not be empty"
        case .tooManyInputs(let count, let limit): return "input holds \(count) items; at most \(limit) are allowed per request"
        case .emptyInput(let index): return "input[\(index)] has no tokens"
        case .tooLong(let index, let tokens, let limit):
            return "input[\(index)] is \(tokens) tokens long; this model reads at most \(limit) per input "
                + "(shorten it, or send \"truncate\": true to cut it)"
        case .invalidToken(let index, let token, let size): return "input[\(index)] holds token \(token), outside the vocabulary of \(size)"
        case .queueFull(let limit): return "the server is busy (\(limit) requests queued); try again shortly"
        case .shuttingDown: return "the server is shutting down"
        }
    }
}

/// Sentence embeddings as the HTTP server sees them: tokenize, then embed a request's inputs
/// (merged into batches with other requests' by the engine). `EmbeddingService` is the real one.
public protocol EmbeddingBackend: ModelBackend {
    /// Tokens one input holds at most, special tokens included.
    var maxInputTokens: Int { get }
    /// Inputs one request may hold at most.
    var maxInputsPerRequest: Int { get }
    /// Floats per embedding.
    var dimensions: Int { get }
    /// The model's input for `text`, special tokens included, not truncated.
    func tokenize(_ text: String) -> [TokenID]
    /// `ids` cut to `maxInputTokens` the way the tokenizer truncates (a closing special token kept).
    func truncate(_ ids: [TokenID]) -> [TokenID]
    /// One unit vector per input, in order; throws at once for bad input or a full queue.
    func embed(_ inputs: [[TokenID]]) async throws(EmbeddingError) -> [[Float]]
}
