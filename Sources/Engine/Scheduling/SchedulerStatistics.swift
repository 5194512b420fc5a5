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
    /// Extra choices (n > 1) that forked their first choice's prompt KV instead of evaluating it.
    public var forkedChoices = 0
    /// Constrained steps' token masks taken from a request's mask cache, and computed by walking
    /// the vocabulary's trie (counted when the request ends).
    public var grammarMaskHits = 0, grammarMaskWalks = 0
    /// Trie nodes those walks visited.
    public var grammarWalkedNodes = 0
    /// Most sequences running at once.
    public var peakRunning = 0
}
