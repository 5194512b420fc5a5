import Memory

/// What one generation produced.
public struct GenerationResult: Sendable {
    /// The generated tokens.
    public var tokens: [TokenID]
    public var stopReason: StopReason
    public var stats: GenerationStats
}

extension InferenceEngine {
    /// Generates a completion of `prompt` as the server does, through the scheduler with this one
    /// request, handing the text to `onText` as it is produced (held back where it could start a
    /// stop string). `maxTokens` is cut to what the context holds after the prompt; reaching
    /// that cut reads as `.contextFull`.
    public func generate(prompt: [TokenID], sampling: SamplingParameters = .greedy, maxTokens: Int, stops: [String] = [],
                         onText: (String) -> Void = { _ in }) throws(SchedulerError) -> GenerationResult {
        let capacity = cache.maxTokensPerSequence
        guard prompt.count < capacity else { throw .tooLong(promptTokens: prompt.count, maxTokens: maxTokens, capacity: capacity) }
        let limit = min(max(0, maxTokens), capacity - prompt.count)
        let id = try scheduler.submit(GenerationRequest(prompt: prompt, maxTokens: limit, sampling: sampling))
        defer { scheduler.release(id) }
        var text = GeneratedText(tokenizer: model.tokenizer, after: prompt, stops: stops)
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        let clock = ContinuousClock()
        let start = clock.now
        while scheduler.phase(of: id) != .finished {
            let generatedBefore = scheduler.generated(by: id).count
            let stepStart = clock.now
            let allocatedBefore = AllocatorStatistics.threadAllocatedBytes()
            scheduler.step()
            let allocated = AllocatorStatistics.threadAllocatedBytes() - allocatedBefore
            let generated = scheduler.generated(by: id)
            if generatedBefore == 0 {
                // The steps up to the first token are the prompt's (in chunks of the batch size).
                if !generated.isEmpty { stats.promptDuration = clock.now - start }
            } else {
                stats.decodeSteps += 1
                stats.decodeAllocatedBytes += allocated
                stats.generationDuration += clock.now - stepStart
            }
            let finished = scheduler.phase(of: id) == .finished
            let (piece, matched) = text.advance(generated, finished: finished)
            if !piece.isEmpty { onText(piece) }
            if matched { scheduler.stopAtString(id) }
        }
        if let error = scheduler.error(of: id) { throw error }
        let tokens = Array(scheduler.generated(by: id))
        stats.generatedTokens = tokens.count
        var reason = scheduler.stopReason(of: id) ?? .length
        if reason == .length, limit < maxTokens, tokens.count == limit { reason = .contextFull }
        return GenerationResult(tokens: tokens, stopReason: reason, stats: stats)
    }
}
