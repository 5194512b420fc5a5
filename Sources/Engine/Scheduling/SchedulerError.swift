/// Why the scheduler refused or ended a request.
public enum SchedulerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Every request slot is taken; try again later.
    case queueFull(limit: Int)
    /// The prompt is empty, or has a token outside the vocabulary.
    case invalidPrompt(String)
    /// A stop token outside the vocabulary.
    case invalidStopToken(TokenID, vocabularySize: Int)
    /// More choices (n) than can run at once.
    case tooManyChoices(Int, limit: Int)
    /// Prompt plus the tokens asked for exceed a sequence's capacity.
    case tooLong(promptTokens: Int, maxTokens: Int, capacity: Int)
    /// Impossible sampling settings.
    case sampling(SamplingError)
    /// The request alone needs more KV than the memory budget can ever hold.
    case outOfMemory(String)
    /// The request's grammar cannot continue (it allows no token of the vocabulary).
    case grammar(String)
    /// The service is shutting down and takes no new work.
    case shuttingDown

    public var description: String {
        switch self {
        case .queueFull(let limit): return "the queue is full (\(limit) requests); retry later"
        case .invalidPrompt(let why): return "invalid prompt: \(why)"
        case .invalidStopToken(let token, let size): return "stop token \(token) is outside the vocabulary (ids 0 to \(size - 1))"
        case .tooManyChoices(let n, let limit): return "n = \(n) choices is out of range (allowed: 1 to \(limit), the sequences this server runs at once)"
        case .tooLong(let p, let m, let c): return "prompt of \(p) tokens plus \(m) to generate exceed the context of \(c)"
        case .sampling(let e): return e.description
        case .outOfMemory(let why): return "out of memory: \(why)"
        case .grammar(let why): return "constrained output failed: \(why)"
        case .shuttingDown: return "the server is shutting down"
        }
    }
}
