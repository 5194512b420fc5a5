import Memory

/// Why generation stopped.
public enum StopReason: String, Sendable {
    /// The model produced an end-of-generation token.
    case endOfGeneration
    /// `maxTokens` were produced.
    case length
    /// The context window is full.
    case contextFull
    /// Ended from outside (client gone, stop string, shutdown).
    case cancelled
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
    /// Decode steps (sample + forward pass of one token) measured for heap allocation.
    public var decodeSteps = 0
    /// Heap bytes the calling thread allocated in those steps.
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

/// Generates a completion for a prompt, one token per `next()`: the prompt is evaluated
/// on the first call, then each call samples one token and evaluates it.
public final class Generator {
    public let context: LlamaContext
    public let tokenizer: Tokenizer
    public let sampler: Sampler
    public let maxTokens: Int
    /// Prompt tokens, then generated tokens.
    public private(set) var tokens: [TokenID]
    public private(set) var stats = GenerationStats()
    public private(set) var stopReason: StopReason?
    private var detokenizer: StreamingDetokenizer
    private var logits: UnsafeBufferPointer<Float>?
    private let promptCount: Int
    private let clock = ContinuousClock()
    /// One-token input reused for every decode step (an array literal would allocate).
    private var single: [TokenID] = [0]

    /// Prepares a generation of at most `maxTokens` tokens after `prompt` (already tokenized).
    public init(context: LlamaContext, tokenizer: Tokenizer, prompt: [TokenID], sampling: SamplingParameters, maxTokens: Int) throws(SamplingError) {
        precondition(!prompt.isEmpty, "a prompt needs at least one token (BOS)")
        self.context = context
        self.tokenizer = tokenizer
        self.sampler = try Sampler(parameters: sampling, vocabularySize: context.model.config.vocabularySize)
        self.maxTokens = maxTokens
        self.tokens = prompt
        self.tokens.reserveCapacity(prompt.count + max(0, maxTokens))
        self.promptCount = prompt.count
        self.detokenizer = StreamingDetokenizer(tokenizer: tokenizer, previous: prompt.last)
    }

    /// The next token, or nil once generation has stopped (see `stopReason`).
    public func next() throws(EvaluationError) -> GeneratedToken? {
        guard stopReason == nil else { return nil }
        guard maxTokens > 0 else {
            stopReason = .length
            return nil
        }
        if logits == nil {
            let start = clock.now
            logits = try context.evaluate(tokens)
            stats.promptTokens = promptCount
            stats.promptDuration = clock.now - start
        }
        let start = clock.now
        // Heap bytes of the engine's part of a step (sampling and the forward pass), not of
        // turning the token into text.
        let allocatedBefore = AllocatorStatistics.threadAllocatedBytes()
        let token = sampler.sample(logits!, recent: tokens)
        var stepBytes = AllocatorStatistics.threadAllocatedBytes() - allocatedBefore
        tokens.append(token)
        stats.generatedTokens += 1
        var text: String
        if tokenizer.isEndOfGeneration(token) {
            stopReason = .endOfGeneration
            text = detokenizer.finish()
        } else {
            text = detokenizer.append(token)
            // The last token needs no forward pass.
            if stats.generatedTokens == maxTokens {
                stopReason = .length
            } else if context.position >= context.capacity {
                stopReason = .contextFull
            } else {
                single[0] = token
                let evaluateBefore = AllocatorStatistics.threadAllocatedBytes()
                logits = try context.evaluate(single)
                stepBytes += AllocatorStatistics.threadAllocatedBytes() - evaluateBefore
                stats.decodeSteps += 1
                stats.decodeAllocatedBytes += stepBytes
            }
            if stopReason != nil { text += detokenizer.finish() }
        }
        stats.generationDuration += clock.now - start
        return GeneratedToken(token: token, text: text)
    }
}
