import Memory

/// Why generation stopped.
public enum StopReason: String, Sendable {
    /// The model produced an end-of-generation token.
    case endOfGeneration
    /// `maxTokens` were produced.
    case length
    /// The context window is full.
    case contextFull
    /// Ended from outside (client gone, shutdown).
    case cancelled
    /// The text reached one of the request's stop strings (it ends before it).
    case stopString
    /// The model produced one of the request's stop tokens (its text is left out).
    case stopToken
    /// The request's grammar is complete and allows nothing more (the last token is kept).
    case grammarComplete
}

/// One generated token and the text it completes (possibly empty while a multi-byte
/// character is still incomplete).
public struct GeneratedToken: Sendable {
    public let token: TokenID
    public let text: String
}

/// Timings and counts of one generation, in the terms llama.cpp reports.
public struct GenerationStats: Sendable {
    public var promptTokens = 0
    public var promptDuration: Duration = .zero
    public var generatedTokens = 0
    public var generationDuration: Duration = .zero
    /// Decode steps (a scheduler step after the prompt's: one forward pass and a sample) measured
    /// for heap allocation.
    public var decodeSteps = 0
    /// Heap bytes the engine thread allocated in those steps.
    public var decodeAllocatedBytes: UInt64 = 0

    /// Heap bytes per decode step.
    public var allocatedBytesPerStep: Double {
        decodeSteps > 0 ? Double(decodeAllocatedBytes) / Double(decodeSteps) : 0
    }

    /// Prompt tokens per second.
    public var promptTokensPerSecond: Double { Self.rate(promptTokens, promptDuration) }
    /// Generated tokens per second (each generated token is one forward pass).
    public var generationTokensPerSecond: Double { Self.rate(generatedTokens, generationDuration) }

    /// `n` per second of `d`.
    public static func rate(_ n: Int, _ d: Duration) -> Double {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        return s > 0 ? Double(n) / s : 0
    }
}
