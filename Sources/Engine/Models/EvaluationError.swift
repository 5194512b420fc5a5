import Memory
import StrataRuntime

/// Why evaluation cannot proceed.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The sequence would grow past the context window.
    case contextFull(position: Int, adding: Int, capacity: Int)
    /// A token id outside the vocabulary.
    case invalidToken(TokenID, vocabularySize: Int)
    /// A batch larger than the runner was sized for.
    case batchTooLarge(tokens: Int, sequences: Int, maxTokens: Int, maxSequences: Int)
    /// The KV cache refused (no page within budget, corrupted cold page, ...).
    case kvCache(KVCacheError)
    /// Memory for the cache could not be reserved.
    case outOfMemory(MemoryError)
    /// The memory budget cannot even hold the start-up buffers.
    case budgetTooSmall(needed: Int, limit: Int)
    /// The GPU could not set up what offloading needs (device memory, a kernel).
    case device(CUDAError)

    public var description: String {
        switch self {
        case .contextFull(let position, let adding, let capacity):
            return "context full: \(position) tokens + \(adding) more exceed the context of \(capacity) (raise --ctx or shorten the prompt)"
        case .invalidToken(let t, let n):
            return "token id \(t) is outside the vocabulary of \(n)"
        case .batchTooLarge(let tokens, let sequences, let maxTokens, let maxSequences):
            return "batch of \(tokens) tokens in \(sequences) sequences exceeds \(maxTokens) tokens / \(maxSequences) sequences"
        case .kvCache(let e):
            return e.description
        case .outOfMemory(let e):
            return "cannot reserve memory: \(e)"
        case .budgetTooSmall(let needed, let limit):
            return "the memory budget of \(limit) bytes cannot hold the \(needed) bytes of start-up buffers (raise --memory-budget)"
        case .device(let e):
            return "GPU offload could not start: \(e) (use --gpu-layers with fewer layers, or 0)"
        }
    }
}
