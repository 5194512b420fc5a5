/// One completion to generate: a tokenized prompt, a token limit and sampling settings.
public struct GenerationRequest: Sendable {
    public var prompt: [TokenID]
    public var maxTokens: Int
    public var sampling: SamplingParameters

    public init(prompt: [TokenID], maxTokens: Int, sampling: SamplingParameters = .greedy) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
    }
}

/// A submitted request's handle (a slot index; reused once the request is released).
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let raw: Int32
    public var description: String { "req\(raw)" }
}

/// Why the scheduler refused or ended a request.
public enum SchedulerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Every request slot is taken; try again later.
    case queueFull(limit: Int)
    /// The prompt is empty, or has a token outside the vocabulary.
    case invalidPrompt(String)
    /// Prompt plus the tokens asked for exceed a sequence's capacity.
    case tooLong(promptTokens: Int, maxTokens: Int, capacity: Int)
    /// Impossible sampling settings.
    case sampling(SamplingError)
    /// The request alone needs more KV than the memory budget can ever hold.
    case outOfMemory(String)
    /// The service is shutting down and takes no new work.
    case shuttingDown

    public var description: String {
        switch self {
        case .queueFull(let limit): return "the queue is full (\(limit) requests); retry later"
        case .invalidPrompt(let why): return "invalid prompt: \(why)"
        case .tooLong(let p, let m, let c): return "prompt of \(p) tokens plus \(m) to generate exceed the context of \(c)"
        case .sampling(let e): return e.description
        case .outOfMemory(let why): return "out of memory: \(why)"
        case .shuttingDown: return "the server is shutting down"
        }
    }
}

/// Where a request stands.
public enum RequestPhase: Equatable, Sendable {
    /// Queued; holds no KV.
    case waiting
    /// In the running set: takes part in every step.
    case running
    /// Taken out of the running set under memory pressure; its KV is compressed, or dropped
    /// and recomputed from its tokens on resumption.
    case preempted
    /// Done: `stopReason` or `error` says why.
    case finished
}

/// Counters of the scheduler's work and of the memory-pressure ladder.
public struct SchedulerStatistics: Sendable, Equatable {
    public var steps = 0
    public var batchTokens = 0
    public var admitted = 0
    public var completed = 0
    public var failed = 0
    /// Requests ended early by `cancel`.
    public var cancelled = 0
    /// Prompt tokens of admitted requests.
    public var promptTokens = 0
    /// Tokens sampled.
    public var generatedTokens = 0
    /// Sequences preempted with their KV compressed.
    public var preemptionsCompressed = 0
    /// Sequences preempted with their KV dropped (recomputed later).
    public var preemptionsDropped = 0
    /// Tokens evaluated again because their KV had been dropped or was corrupted.
    public var recomputedTokens = 0
    /// Steps in which admissions were held because nothing else relieved memory.
    public var heldSteps = 0
    /// Most sequences running at once.
    public var peakRunning = 0
}
