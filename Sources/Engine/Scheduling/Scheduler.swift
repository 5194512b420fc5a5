import Memory
import StrataRuntime

/// Runs many generation requests at once on one `DecoderRunner`: each step packs the next
/// token of every running sequence (and chunks of prompts) into one batched forward pass,
/// samples, and retires finished requests. When the KV cache cannot get a page within the
/// memory budget it climbs a ladder (cached prefixes are also compressed ahead of need, above
/// the budget's high watermark): compress cached prefixes -> evict them -> preempt the
/// youngest running sequence (compress its KV, or drop it to recompute later) -> hold new
/// admissions. Nothing accepted is lost: every request completes or ends with an error.
public final class Scheduler {
    public let runner: DecoderRunner
    public let budget: MemoryBudget
    public let maxRequests: Int
    /// Sequences in the running set at most (also the batch's sequence limit).
    public let maxRunning: Int
    public var cache: PagedKVCache { runner.cache }
    public private(set) var statistics = SchedulerStatistics()
    private let isEndOfGeneration: (TokenID) -> Bool

    struct Request {
        var phase = RequestPhase.waiting
        var sequence: SequenceID?
        /// Prompt, then generated tokens.
        var history: [TokenID] = []
        var promptCount = 0
        var maxTokens = 0
        /// The request's own stop tokens.
        var stopTokens: [TokenID] = []
        /// With `sampling.logprobs` = k: per generated token its log-probability, and k
        /// alternatives each (padded with token -1 where fewer tokens were possible).
        var logprobs: [TokenLogprob] = []
        var alternatives: [TokenLogprob] = []
        var alternativeCount = -1
        /// Admission order: larger is younger.
        var admittedAt = 0
        var stopReason: StopReason?
        var error: SchedulerError?
        var inUse = false
        /// Entry in the current batch whose logits it samples from, or -1.
        var entry = -1
        /// Whether it is in the batch being built (its KV must not be touched).
        var inBatch = false
        /// An extra choice (n > 1) waiting to fork from this request's prompt, or -1.
        var forkOf: Int32 = -1
        /// Extra choices waiting to fork from this request once its prompt is evaluated.
        var pendingForks = 0
        /// Whether its prompt was already counted in `statistics.promptTokens` (an extra choice's is its first's).
        var promptCounted = false
        /// Its grammar's state, when it has one.
        var constraint: GrammarConstraint?
    }

    private var requests: [Request]
    private var samplers: [Sampler]
    private var freeSlots: [Int32]
    /// Request slots in arrival order (waiting and preempted ones resume oldest first).
    private var queue: [Int32]
    /// Running request slots, oldest admission first.
    private var running: [Int32]
    private var admissions = 0
    private var holdAdmissions = false

    /// A scheduler for up to `maxRequests` requests (queued or running), `maxRunning` at once.
    public init(runner: DecoderRunner, budget: MemoryBudget, maxRequests: Int, isEndOfGeneration: @escaping (TokenID) -> Bool) {
        precondition(maxRequests >= 1)
        self.runner = runner
        self.budget = budget
        self.maxRequests = maxRequests
        self.maxRunning = min(runner.maxSequences, runner.cache.maxSequences)
        self.isEndOfGeneration = isEndOfGeneration
        let capacity = runner.cache.maxTokensPerSequence
        requests = (0..<maxRequests).map { _ in
            var r = Request()
            r.history.reserveCapacity(capacity)
            return r
        }
        // Candidate storage for every request, allocated once.
        samplers = (0..<maxRequests).map { _ in
            try! Sampler(parameters: .greedy, vocabularySize: runner.model.shape.vocabularySize)
        }
        freeSlots = (0..<Int32(maxRequests)).reversed()
        queue = []
        queue.reserveCapacity(maxRequests)
        running = []
        running.reserveCapacity(maxRequests)
    }

    // MARK: - Requests

    /// Queues a request; it runs in later `step()`s.
    public func submit(_ request: GenerationRequest) throws(SchedulerError) -> RequestID {
        try submit(request, choices: 1)[0]
    }

    /// Queues `choices` completions of one prompt (OpenAI's `n`; at most `maxRunning`), choice i
    /// seeded `seed + i`. The prompt is evaluated once: when its last chunk has run, the other
    /// choices fork its KV (sharing its pages copy-on-write) and sample their first tokens from
    /// the same logits. A choice that finds no sequence slot then queues as its own request,
    /// reusing the prompt's cached blocks.
    public func submit(_ request: GenerationRequest, choices: Int) throws(SchedulerError) -> [RequestID] {
        let capacity = cache.maxTokensPerSequence
        let vocab = runner.model.shape.vocabularySize
        guard !request.prompt.isEmpty else { throw .invalidPrompt("it has no tokens") }
        if let bad = request.prompt.firstOutside(vocabularySize: vocab) {
            throw .invalidPrompt("token \(bad) is outside the vocabulary of \(vocab)")
        }
        if let bad = request.stopTokens.firstOutside(vocabularySize: vocab) {
            throw .invalidStopToken(bad, vocabularySize: vocab)
        }
        guard request.maxTokens >= 0, request.prompt.count + request.maxTokens <= capacity else {
            throw .tooLong(promptTokens: request.prompt.count, maxTokens: request.maxTokens, capacity: capacity)
        }
        guard choices >= 1, choices <= maxRunning else { throw .tooManyChoices(choices, limit: maxRunning) }
        guard freeSlots.count >= choices else { throw .queueFull(limit: maxRequests) }
        do {
            try request.sampling.validate(vocabularySize: vocab)
        } catch {
            throw .sampling(error)
        }
        var ids: [RequestID] = []
        ids.reserveCapacity(choices)
        for choice in 0..<choices {
            var sampling = request.sampling
            sampling.seed = request.sampling.seed.map { $0 &+ UInt64(choice) }
            let slot = freeSlots.removeLast()
            try! samplers[Int(slot)].reset(parameters: sampling)  // validated above
            place(request, in: Int(slot), forkOf: choice == 0 ? -1 : ids[0].raw)
            ids.append(RequestID(raw: slot))
        }
        if request.maxTokens > 0 { requests[Int(ids[0].raw)].pendingForks = choices - 1 }
        return ids
    }

    /// Fills slot `i` with a new request; one with `forkOf` >= 0 waits for that request's prompt
    /// outside the queue.
    private func place(_ request: GenerationRequest, in i: Int, forkOf leader: Int32) {
        requests[i].inUse = true
        requests[i].phase = request.maxTokens == 0 ? .finished : .waiting
        requests[i].stopReason = request.maxTokens == 0 ? .length : nil
        requests[i].error = nil
        requests[i].sequence = nil
        requests[i].history.removeAll(keepingCapacity: true)
        requests[i].history.append(contentsOf: request.prompt)
        requests[i].promptCount = request.prompt.count
        requests[i].maxTokens = request.maxTokens
        requests[i].stopTokens = request.stopTokens
        requests[i].logprobs.removeAll(keepingCapacity: true)
        requests[i].alternatives.removeAll(keepingCapacity: true)
        requests[i].alternativeCount = request.sampling.logprobs ?? -1
        if let k = request.sampling.logprobs {
            // Reserved here, so that recording them allocates nothing per step.
            requests[i].logprobs.reserveCapacity(request.maxTokens)
            requests[i].alternatives.reserveCapacity(request.maxTokens * k)
        }
        requests[i].pendingForks = 0
        requests[i].promptCounted = false
        requests[i].constraint = request.grammar.map(GrammarConstraint.init)
        requests[i].forkOf = request.maxTokens > 0 ? leader : -1
        if request.maxTokens > 0, leader < 0 { queue.append(Int32(i)) }
    }

    public func phase(of id: RequestID) -> RequestPhase { requests[Int(id.raw)].phase }

    /// Tokens generated so far.
    public func generated(by id: RequestID) -> ArraySlice<TokenID> {
        let r = requests[Int(id.raw)]
        return r.history[r.promptCount...]
    }

    public func stopReason(of id: RequestID) -> StopReason? { requests[Int(id.raw)].stopReason }

    /// The log-probabilities of the tokens generated so far when the request's sampling asked
    /// for them: per token the chosen one, and `k` alternatives each in `alternatives` (most
    /// likely first; token -1 pads where fewer tokens were possible).
    public func logprobs(of id: RequestID) -> (chosen: ArraySlice<TokenLogprob>, alternatives: ArraySlice<TokenLogprob>, k: Int)? {
        let r = requests[Int(id.raw)]
        guard r.alternativeCount >= 0 else { return nil }
        return (r.logprobs[...], r.alternatives[...], r.alternativeCount)
    }

    public func error(of id: RequestID) -> SchedulerError? { requests[Int(id.raw)].error }

    /// The KV sequence a request holds, if any (for diagnostics and fault-injection tests).
    public func sequence(of id: RequestID) -> SequenceID? { requests[Int(id.raw)].sequence }

    /// Ends a request now, whatever its phase (the client went away, or shutdown): its KV is
    /// released at once and it reads as finished with `.cancelled`.
    public func cancel(_ id: RequestID) {
        let r = Int(id.raw)
        guard requests[r].inUse, requests[r].phase != .finished else { return }
        requests[r].stopReason = .cancelled
        retire(r)
        statistics.cancelled += 1
    }

    /// Ends a request whose text reached one of its stop strings (`GeneratedText` watches the
    /// text; the token-level rules are `step()`'s): finished with `.stopString`, counted as
    /// completed, its KV released at once.
    public func stopAtString(_ id: RequestID) {
        let r = Int(id.raw)
        guard requests[r].inUse, requests[r].phase != .finished else { return }
        finish(r, .stopString)
    }

    /// Requests waiting or preempted in the queue.
    public var queuedCount: Int { queue.count }

    /// Requests in the running set.
    public var runningCount: Int { running.count }

    /// Prompt tokens of a request.
    public func promptCount(of id: RequestID) -> Int { requests[Int(id.raw)].promptCount }

    /// Frees a finished request's slot (its results can no longer be read).
    public func release(_ id: RequestID) {
        let i = Int(id.raw)
        precondition(requests[i].inUse && requests[i].phase == .finished, "release of an unfinished request")
        requests[i].inUse = false
        freeSlots.append(id.raw)
    }

    /// Whether any request is still waiting, running or preempted.
    public var hasWork: Bool { !queue.isEmpty || !running.isEmpty }

    /// Steps until every submitted request has finished.
    public func runUntilIdle() {
        while hasWork { step() }
    }

    // MARK: - One step

    /// Admits or resumes what fits, runs one batched forward pass and samples.
    public func step() {
        guard hasWork else { return }
        statistics.steps += 1
        // Above the high watermark, the least recently used cached prefixes go to the cold tier
        // while the budget still has room for their compressed bytes: once it is full, a page
        // can only be found by evicting (compressing needs room first).
        if budget.pressure == .high { _ = cache.compressCachedBlocks(limit: 4) }
        admit()
        buildAndRunBatch()
    }

    /// Moves queued requests (preempted ones first in arrival order, then new ones) into the
    /// running set while there is room; new ones wait while admissions are held.
    private func admit() {
        var i = 0
        while i < queue.count, running.count < maxRunning {
            let slot = queue[i]
            let r = Int(slot)
            let isNew = requests[r].phase == .waiting
            if isNew, holdAdmissions {
                i += 1
                continue
            }
            if requests[r].sequence == nil {
                do {
                    let (sequence, reused) = try cache.createSequence(prompt: requests[r].history)
                    requests[r].sequence = sequence
                    if !isNew { statistics.recomputedTokens += requests[r].history.count - reused }
                } catch {
                    break  // no sequence slot: try again next step
                }
            }
            if isNew {
                admissions += 1
                requests[r].admittedAt = admissions
                statistics.admitted += 1
                if !requests[r].promptCounted { statistics.promptTokens += requests[r].promptCount }
                requests[r].promptCounted = true
            }
            requests[r].phase = .running
            queue.remove(at: i)
            insertRunning(slot)
        }
        statistics.peakRunning = max(statistics.peakRunning, running.count)
    }

    private func insertRunning(_ slot: Int32) {
        let age = requests[Int(slot)].admittedAt
        var at = running.count
        while at > 0, requests[Int(running[at - 1])].admittedAt > age { at -= 1 }
        running.insert(slot, at: at)
    }

    private func buildAndRunBatch() {
        runner.beginBatch()
        var tokenBudget = runner.maxBatchTokens
        var added = 0
        var index = 0
        while index < running.count, tokenBudget > 0 {
            let r = Int(running[index])
            guard let sequence = requests[r].sequence else { preconditionFailure("running request without KV") }
            // Bring compressed KV back; a corrupted page means recomputing from its start.
            var blocked = false
            while true {
                let before = cache.length(of: sequence)
                do {
                    try cache.makeHot(sequence)
                    break
                } catch {
                    if case .corrupted = error {
                        // Truncated to the valid prefix: the rest is evaluated again below.
                        statistics.recomputedTokens += before - cache.length(of: sequence)
                        continue
                    }
                    if !relievePressure(protecting: r) { blocked = true; break }
                }
            }
            if blocked { break }
            let done = cache.length(of: sequence)
            let n = min(requests[r].history.count - done, tokenBudget)
            var entry = -1
            while n > 0 {
                do {
                    entry = try requests[r].history.withUnsafeBufferPointer { (h) throws(EvaluationError) in
                        try runner.add(sequence, tokens: UnsafeBufferPointer(rebasing: h[done..<(done + n)]),
                                       wantLogits: done + n == h.count)
                    }
                    break
                } catch {
                    if case .kvCache(.outOfPages) = error, relievePressure(protecting: r) { continue }
                    blocked = true
                    break
                }
            }
            if blocked { break }
            requests[r].entry = done + n == requests[r].history.count ? entry : -1
            requests[r].inBatch = true
            tokenBudget -= n
            added += 1
            index += 1
        }
        if added == 0 {
            // Nothing fits: the oldest request alone exceeds the budget.
            if let oldest = running.first {
                fail(Int(oldest), .outOfMemory("its KV cache does not fit in the memory budget of \(budget.limitBytes) bytes"))
            }
            return
        }
        if index < running.count {
            holdAdmissions = true
            statistics.heldSteps += 1
        }
        statistics.batchTokens += runner.maxBatchTokens - tokenBudget
        runner.run()
        sampleAndRetire()
    }

    private func sampleAndRetire() {
        var index = 0
        while index < running.count {
            let r = Int(running[index])
            let entry = requests[r].entry
            requests[r].entry = -1
            requests[r].inBatch = false
            guard entry >= 0 else { index += 1; continue }
            // The prompt's logits, before its first token goes in: the other choices fork here.
            if requests[r].pendingForks > 0 { forkChoices(of: r, entry: entry) }
            if !sampleToken(r, entry: entry) { index += 1 }
        }
    }

    /// Samples request `r`'s next token from batch entry `entry` and applies the token-level
    /// stop rules (the text-level one is `stopAtString`); true when that finished it.
    private func sampleToken(_ r: Int, entry: Int) -> Bool {
        var allowed: UnsafePointer<UInt64>?
        let constraint = requests[r].constraint
        // Tokens after this one the request may still generate.
        let room = min(requests[r].maxTokens - (requests[r].history.count - requests[r].promptCount),
                       cache.maxTokensPerSequence - requests[r].history.count) - 1
        if let constraint {
            guard let mask = constraint.allowedTokens() else {
                if constraint.isComplete {
                    finish(r, .grammarComplete)
                } else {
                    fail(r, .grammar("no token of the vocabulary can continue the text within the grammar"))
                }
                return true
            }
            allowed = mask
        }
        var token = samplers[r].sample(runner.logits(entry: entry), recent: requests[r].history, allowed: allowed)
        if let constraint, !constraint.fits(token, remaining: room), let within = constraint.allowedTokens(within: room) {
            // That token would leave too few to finish the grammar's text: draw again among those that leave enough.
            token = samplers[r].sample(runner.logits(entry: entry), recent: requests[r].history, allowed: within)
        }
        requests[r].history.append(token)
        if requests[r].alternativeCount >= 0 { recordLogprobs(r) }
        statistics.generatedTokens += 1
        let generated = requests[r].history.count - requests[r].promptCount
        if let constraint = requests[r].constraint, !isEndOfGeneration(token) {
            constraint.accept(token)
        }
        if isEndOfGeneration(token) {
            finish(r, .endOfGeneration)
        } else if requests[r].stopTokens.contains(token) {
            finish(r, .stopToken)
        } else if requests[r].constraint?.isFinished == true {
            finish(r, .grammarComplete)
        } else if generated >= requests[r].maxTokens {
            finish(r, .length)
        } else if requests[r].history.count >= cache.maxTokensPerSequence {
            finish(r, .contextFull)
        } else {
            return false
        }
        return true
    }

    /// Starts the choices waiting on request `r`, whose prompt has just been evaluated: each
    /// forks its KV and samples its first token from the same logits; one that finds no room in
    /// the running set or no sequence slot queues as its own request instead.
    private func forkChoices(of r: Int, entry: Int) {
        guard let source = requests[r].sequence else { return }
        for f in 0..<requests.count where requests[f].inUse && requests[f].forkOf == Int32(r) {
            requests[f].forkOf = -1
            requests[r].pendingForks -= 1
            requests[f].promptCounted = true
            guard running.count < maxRunning, let sequence = try? cache.fork(source) else {
                queue.append(Int32(f))
                continue
            }
            requests[f].sequence = sequence
            admissions += 1
            requests[f].admittedAt = admissions
            requests[f].phase = .running
            statistics.admitted += 1
            statistics.forkedChoices += 1
            // Its KV is the prompt's (shared); the new token goes in on the next step.
            if !sampleToken(f, entry: entry) { insertRunning(Int32(f)) }
        }
        requests[r].pendingForks = 0
    }

    /// Sends the choices still waiting on request `r` (ended before its prompt was evaluated)
    /// to the queue as requests of their own.
    private func releaseForks(of r: Int) {
        guard requests[r].pendingForks > 0 else { return }
        for f in 0..<requests.count where requests[f].inUse && requests[f].forkOf == Int32(r) {
            requests[f].forkOf = -1
            queue.append(Int32(f))
        }
        requests[r].pendingForks = 0
    }

    private func recordLogprobs(_ r: Int) {
        let k = requests[r].alternativeCount
        samplers[r].withLastLogprobs { chosen, top in
            requests[r].logprobs.append(chosen)
            requests[r].alternatives.append(contentsOf: top)
            for _ in top.count..<k { requests[r].alternatives.append(TokenLogprob(token: -1, logprob: -.infinity)) }
        }
    }

    private func finish(_ r: Int, _ reason: StopReason) {
        requests[r].stopReason = reason
        retire(r)
        statistics.completed += 1
    }

    private func fail(_ r: Int, _ error: SchedulerError) {
        requests[r].error = error
        retire(r)
        statistics.failed += 1
    }

    private func retire(_ r: Int) {
        releaseForks(of: r)
        if requests[r].forkOf >= 0 {
            requests[Int(requests[r].forkOf)].pendingForks -= 1
            requests[r].forkOf = -1
        }
        requests[r].phase = .finished
        if let constraint = requests[r].constraint {
            statistics.grammarMaskHits += constraint.cacheHits
            statistics.grammarMaskWalks += constraint.walks
            statistics.grammarWalkedNodes += constraint.walkedNodes
            requests[r].constraint = nil
        }
        if let sequence = requests[r].sequence { cache.release(sequence) }
        requests[r].sequence = nil
        Self.remove(Int32(r), from: &running)
        Self.remove(Int32(r), from: &queue)
        holdAdmissions = false
    }

    // MARK: - Memory pressure ladder

    /// One rung of the ladder; false when nothing more can be freed without touching request
    /// `protected` or a sequence already in this step's batch.
    private func relievePressure(protecting protected: Int) -> Bool {
        if cache.compressCachedBlocks(limit: 4) > 0 { return true }
        if cache.evictCachedBlocks(limit: 4) > 0 { return true }
        // Preempt the youngest running request that is not in the batch yet.
        var i = running.count - 1
        while i >= 0 {
            let r = Int(running[i])
            if r != protected, !requests[r].inBatch {
                preempt(r)
                return true
            }
            i -= 1
        }
        return false
    }

    private func preempt(_ r: Int) {
        guard let sequence = requests[r].sequence else { return }
        cache.compress(sequence)
        if cache.isCold(sequence) {
            statistics.preemptionsCompressed += 1
        } else {
            // Could not compress it all: drop the KV, keep the tokens, recompute on resumption.
            cache.release(sequence)
            requests[r].sequence = nil
            statistics.preemptionsDropped += 1
        }
        requests[r].phase = .preempted
        Self.remove(Int32(r), from: &running)
        // Preempted requests resume before new ones, in arrival order.
        var at = 0
        while at < queue.count, requests[Int(queue[at])].phase == .preempted,
              requests[Int(queue[at])].admittedAt < requests[r].admittedAt { at += 1 }
        queue.insert(Int32(r), at: at)
    }

    /// Removes `slot` from `list` if present. (A loop, not `firstIndex(of:)`: unspecialized
    /// generic collection methods allocate in debug builds, and this runs every step.)
    private static func remove(_ slot: Int32, from list: inout [Int32]) {
        var i = 0
        while i < list.count {
            if list[i] == slot {
                list.remove(at: i)
                return
            }
            i += 1
        }
    }
}
