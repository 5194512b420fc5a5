/// What a completion asks for, beyond its prompt.
public struct CompletionParameters: Sendable {
    /// Tokens to generate at most.
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation stops before any of these strings; the text returned excludes it.
    public var stop: [String]
    /// Generation stops at any of these tokens, beside the model's end-of-generation ones; the
    /// text returned excludes it.
    public var stopTokens: [TokenID]
    /// Completions of the prompt to generate (OpenAI's `n`), choice i seeded `seed + i`.
    public var choices: Int
    /// A grammar the text must follow (`response_format`, `grammar`), over the backend's vocabulary.
    public var grammar: ConstrainedGrammar?

    public init(maxTokens: Int = 16, sampling: SamplingParameters = SamplingParameters(), stop: [String] = [], stopTokens: [TokenID] = [],
                choices: Int = 1) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.stopTokens = stopTokens
        self.choices = choices
    }
}

/// Why a completion ended, in OpenAI's terms.
public enum FinishReason: String, Sendable, Equatable {
    /// An end-of-generation token or a stop string.
    case stop
    /// `max_tokens` reached, or the context is full.
    case length
    /// The client went away or the server is shutting down.
    case cancelled

    /// The OpenAI reason for how the scheduler ended a request.
    public init(_ reason: StopReason) {
        switch reason {
        case .endOfGeneration, .stopString, .stopToken, .grammarComplete: self = .stop
        case .length, .contextFull: self = .length
        case .cancelled: self = .cancelled
        }
    }
}

/// Token counts of one completion.
public struct CompletionUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// One generated token's log-probability, and the most likely tokens at its place with theirs
/// (most likely first; as many as the request's `logprobs` asked, fewer where fewer were possible).
public struct TokenLogprobs: Sendable, Equatable {
    public var token: TokenID
    public var logprob: Float
    public var top: [TokenLogprob]

    public init(token: TokenID, logprob: Float, top: [TokenLogprob]) {
        self.token = token
        self.logprob = logprob
        self.top = top
    }
}

/// What a completion stream yields, in order: text deltas (each, when the request asked for
/// log-probabilities, after the `logprobs` of the tokens it holds), then exactly one `finished`
/// or `failed`.
public enum CompletionEvent: Sendable, Equatable {
    /// New text (valid UTF-8; may be empty while a character or a possible stop string is held back).
    case text(String)
    /// Log-probabilities of the next generated tokens, in order, sent before the text they
    /// begin. Tokens whose text is held back (a possible stop string) come later; those of a
    /// matched stop string never.
    case logprobs([TokenLogprobs])
    /// The completion ended normally.
    case finished(FinishReason, CompletionUsage)
    /// The completion could not be completed (out of memory, shutting down, ...).
    case failed(String)
}

/// A submitted completion: the events of each of its choices, and a way to cancel them all
/// (idempotent; frees their KV).
public struct CompletionHandle: Sendable {
    /// One stream per choice, in choice order; each carries its own `finished` (whose usage
    /// counts the shared prompt in every choice).
    public let choices: [AsyncStream<CompletionEvent>]
    public let cancel: @Sendable () -> Void

    /// The first choice's events (the only one's with n = 1).
    public var events: AsyncStream<CompletionEvent> { choices[0] }

    public init(events: AsyncStream<CompletionEvent>, cancel: @escaping @Sendable () -> Void) {
        self.init(choices: [events], cancel: cancel)
    }

    public init(choices: [AsyncStream<CompletionEvent>], cancel: @escaping @Sendable () -> Void) {
        precondition(!choices.isEmpty, "a completion has at least one choice")
        self.choices = choices
        self.cancel = cancel
    }
}

/// Whether the backend can take work.
public enum BackendHealth: String, Sendable {
    case loading, ready, saturated, stopping
}

/// Gauges and counters for `/metrics` and `/health`.
public struct BackendSnapshot: Sendable, Equatable {
    public var queued = 0
    public var running = 0
    public var queueCapacity = 0
    /// Requests ended, by how: stopped (end of generation or a stop string), at their length,
    /// cancelled (the client went away, or shutdown), failed with an error. `completedRequests`
    /// is the first two.
    public var completedRequests = 0
    public var stoppedRequests = 0, lengthRequests = 0
    public var cancelledRequests = 0
    public var failedRequests = 0
    /// KV pages compressed into, and decompressed out of, the cold store; cached prefix blocks evicted.
    public var kvCompressions = 0, kvDecompressions = 0, kvEvictions = 0
    /// KV blocks a prompt reused from the prefix cache instead of computing them.
    public var prefixHitBlocks = 0
    /// KV pages the extra choices of n > 1 requests shared with their first instead of holding their own.
    public var forkSharedPages = 0
    /// KV bytes held (hot and cold) over what the budget leaves for them after pools: how full
    /// the cache is, 0...1 (what a gateway's scheduler reads).
    public var kvCacheUsageRatio = 0.0
    public var promptTokens = 0
    public var generatedTokens = 0
    public var preemptions = 0
    public var hotBytes = 0, coldBytes = 0, freeBytes = 0, poolBytes = 0
    /// The host budget, and the most bytes ever charged to it at once.
    public var budgetBytes = 0, peakBytes = 0
    /// Device memory (offload), apart from the host tiers.
    public var gpuBytes = 0
    public var hotPages = 0, freePages = 0, coldPages = 0
    /// KV pages no sequence holds, kept (hot or cold) for prefix reuse; evicted under pressure.
    public var cachedPages = 0
    public var coldCompressionRatio = 0.0
    public var kvBytesPerToken = 0
    public var weightBytes = 0

    public init() {}
}

/// The engine as the HTTP server sees it: tokenize, render chats, submit completions that
/// stream events, report health and metrics. `GenerationService` is the real one; tests may
/// substitute their own.
public protocol CompletionBackend: ModelBackend {
    /// Tokens one sequence may hold (prompt plus completion).
    var contextLength: Int { get }
    /// Tokenizes text: with `addSpecial` BOS comes first where the model adds one; with
    /// `parseSpecial` the texts of special tokens become those tokens.
    func tokenize(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [TokenID]
    /// Token ids are 0 up to this.
    var vocabularySize: Int { get }
    /// The text of `tokens` (all within the vocabulary), special tokens as their text.
    func detokenize(_ tokens: [TokenID]) -> String
    /// The bytes a token stands for (empty for control tokens).
    func pieceBytes(_ token: TokenID) -> [UInt8]
    /// `grammar` over this backend's vocabulary, for `CompletionParameters.grammar`.
    func constrain(_ grammar: Grammar) -> ConstrainedGrammar
    /// Renders and tokenizes a chat with the model's template, ready for the assistant's turn,
    /// showing the model `tools` (as `toolCallFormat` prepares them) when there are any.
    func tokenizeChat(_ messages: [ChatMessage], tools: [ToolDefinition]) throws(ChatTemplateError) -> [TokenID]
    /// How the model writes tool calls (from its chat template).
    var toolCallFormat: ToolCallFormat { get }
    /// Queues a completion of `parameters.choices` choices; throws `.queueFull`, `.tooLong`,
    /// `.tooManyChoices`, `.invalidPrompt` or `.sampling` at once.
    func submit(prompt: [TokenID], parameters: CompletionParameters) throws(SchedulerError) -> CompletionHandle
    /// Stop strings the chat format itself needs (added to a chat request's own).
    var chatStopStrings: [String] { get }
}

extension CompletionBackend {
    public var chatStopStrings: [String] { [] }

    /// Renders and tokenizes a chat without tools.
    public func tokenizeChat(_ messages: [ChatMessage]) throws(ChatTemplateError) -> [TokenID] {
        try tokenizeChat(messages, tools: [])
    }

    /// Tokenizes a plain prompt (BOS added as the model expects; special tokens not parsed).
    public func tokenize(_ text: String) -> [TokenID] {
        tokenize(text, addSpecial: true, parseSpecial: false)
    }
}

/// One message of a chat.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    /// An assistant message's calls of tools.
    public var toolCalls: [ToolCall]
    /// A `tool` message: the id of the call it answers.
    public var toolCallID: String?
    /// A `tool` message: the name of the function that answered (some templates read it).
    public var name: String?

    public init(role: String, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil, name: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }
}

/// One call of a function the model asked for (OpenAI's `tool_calls[]` entry).
public struct ToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The arguments as a JSON text (an object).
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// Why a chat cannot be rendered.
public enum ChatTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    case noMessages
    case unknownRole(String)
    case invalidOrder(String)

    public var description: String {
        switch self {
        case .noMessages: return "messages must not be empty"
        case .unknownRole(let r): return "unknown role '\(r)' (expected system, user, assistant or tool)"
        case .invalidOrder(let why): return "invalid message order: \(why)"
        }
    }
}
