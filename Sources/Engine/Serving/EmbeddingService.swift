import Memory
import StrataRuntime
import Synchronization

/// The embedding engine behind the HTTP server: one engine thread owns a `BertEncoder` and
/// loops: take new requests from an inbox, fill one batch with the oldest requests' inputs up
/// to the token budget (a request's inputs may span batches; several requests share one),
/// run it, and hand every finished request its vectors. Async callers only touch the inbox.
public final class EmbeddingService: EmbeddingBackend, @unchecked Sendable {
    public let modelID: String
    public let maxInputTokens: Int
    public let maxInputsPerRequest: Int
    public let dimensions: Int
    /// Requests queued or running at most; more are refused with `.queueFull`.
    public let capacity: Int
    private let model: BertModel
    private let encoder: BertEncoder
    private let budget: MemoryBudget
    private let inbox = Mutex(Inbox())
    private let published = Mutex(BackendSnapshot())
    private let outstanding = Atomic<Int>(0)
    private let thread = EngineThread()

    /// One request: its inputs, and where its vectors go.
    final class Job {
        let inputs: [[TokenID]]
        var vectors: [[Float]]
        /// Inputs placed in a batch so far, and inputs embedded.
        var placed = 0
        var finished = 0
        let continuation: CheckedContinuation<Result<[[Float]], EmbeddingError>, Never>

        init(inputs: [[TokenID]], continuation: CheckedContinuation<Result<[[Float]], EmbeddingError>, Never>) {
            self.inputs = inputs
            self.vectors = Array(repeating: [], count: inputs.count)
            self.continuation = continuation
        }
    }

    struct Inbox {
        var jobs: [Job] = []
        var stopping = false
    }

    // Engine-thread state.
    private var queue: [Job] = []
    /// [maxSequences] (job, input) of each batch slot, reused.
    private var slots: [(job: Job, input: Int)] = []
    private var completed = 0
    private var embeddedTokens = 0
    private var batches = 0

    /// Starts the engine thread for `model` on `pool`: batches of at most `maxBatchTokens`
    /// tokens, at most `capacity` requests queued or running. The encoder's buffers are
    /// charged to `budget`'s pools.
    public init(model: BertModel, pool: ThreadPool, maxBatchTokens: Int = 2048, capacity: Int = 64,
                maxInputsPerRequest: Int = 2048, budget: MemoryBudget) throws(EvaluationError) {
        precondition(capacity >= 1 && maxInputsPerRequest >= 1)
        self.model = model
        self.modelID = model.name
        self.maxInputTokens = model.config.maxSequenceLength
        self.maxInputsPerRequest = maxInputsPerRequest
        self.dimensions = model.config.hidden
        self.capacity = capacity
        self.budget = budget
        // Charged before the buffers exist, and before the last stored property: a throw here
        // must not run deinit, which releases the charge.
        let bytes = BertEncoder.scratchBytes(config: model.config, maxBatchTokens: maxBatchTokens, threads: pool.threadCount) ?? Int.max
        guard bytes < Int.max, budget.tryCharge(bytes, to: .pools) else {
            throw .budgetTooSmall(needed: bytes == Int.max ? bytes : bytes + budget.used(.pools), limit: budget.limitBytes)
        }
        encoder = BertEncoder(model: model, pool: pool, maxBatchTokens: maxBatchTokens)
        slots.reserveCapacity(encoder.maxSequences)
        publishSnapshot()
        thread.start { [self] in engineLoop() }
    }

    deinit {
        budget.release(encoder.scratchBytes, from: .pools)
    }

    // MARK: - EmbeddingBackend

    public func tokenize(_ text: String) -> [TokenID] {
        model.tokenizer.encode(text)
    }

    public func truncate(_ ids: [TokenID]) -> [TokenID] {
        ids.count <= maxInputTokens ? ids : model.tokenizer.truncate(ids, to: maxInputTokens)
    }

    public func embed(_ inputs: [[TokenID]]) async throws(EmbeddingError) -> [[Float]] {
        try validate(inputs)
        // Reserve a slot first, so the queue never holds more than `capacity` requests.
        guard outstanding.add(1, ordering: .acquiringAndReleasing).newValue <= capacity else {
            outstanding.subtract(1, ordering: .acquiringAndReleasing)
            throw .queueFull(limit: capacity)
        }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<[[Float]], EmbeddingError>, Never>) in
            let accepted = inbox.withLock { box in
                guard !box.stopping else { return false }
                box.jobs.append(Job(inputs: inputs, continuation: continuation))
                return true
            }
            if accepted {
                thread.wake()
            } else {
                outstanding.subtract(1, ordering: .acquiringAndReleasing)
                continuation.resume(returning: .failure(.shuttingDown))
            }
        }
        return try result.get()
    }

    /// Throws the first fault of `inputs`.
    func validate(_ inputs: [[TokenID]]) throws(EmbeddingError) {
        guard !inputs.isEmpty else { throw .noInputs }
        guard inputs.count <= maxInputsPerRequest else { throw .tooManyInputs(count: inputs.count, limit: maxInputsPerRequest) }
        let vocabulary = model.config.vocabularySize
        for (index, ids) in inputs.enumerated() {
            guard !ids.isEmpty else { throw .emptyInput(index: index) }
            guard ids.count <= maxInputTokens else { throw .tooLong(index: index, tokens: ids.count, limit: maxInputTokens) }
            if let bad = ids.firstOutside(vocabularySize: vocabulary) {
                throw .invalidToken(index: index, token: Int(bad), vocabularySize: vocabulary)
            }
        }
    }

    public var health: BackendHealth {
        if inbox.withLock({ $0.stopping }) { return .stopping }
        return outstanding.load(ordering: .relaxed) >= capacity ? .saturated : .ready
    }

    public func snapshot() -> BackendSnapshot {
        published.withLock { $0 }
    }

    /// Stops taking requests, finishes the ones already taken, and stops the engine thread.
    public func shutdown() async {
        inbox.withLock { $0.stopping = true }
        thread.wake()
        await thread.join()
    }

    // MARK: - Engine thread

    private func engineLoop() {
        while true {
            let (jobs, stopping) = inbox.withLock { box in
                defer { box.jobs.removeAll(keepingCapacity: true) }
                return (box.jobs, box.stopping)
            }
            queue.append(contentsOf: jobs)
            if queue.isEmpty {
                publishSnapshot()
                if stopping { return }
                thread.sleep()
                continue
            }
            runBatch()
        }
    }

    /// Embeds the next batch: inputs of the oldest requests, in order, while they fit.
    private func runBatch() {
        encoder.beginBatch()
        slots.removeAll(keepingCapacity: true)
        fill: for job in queue {
            while job.placed < job.inputs.count {
                let ids = job.inputs[job.placed]
                guard encoder.canAdd(tokens: ids.count) else { break fill }
                ids.withUnsafeBufferPointer { _ = encoder.add($0) }
                slots.append((job, job.placed))
                job.placed += 1
            }
        }
        encoder.run()
        batches += 1
        embeddedTokens += encoder.tokens
        for (slot, (job, input)) in slots.enumerated() {
            job.vectors[input] = Array(encoder.embedding(slot))
            job.finished += 1
        }
        // Finished requests are at the front: inputs are placed in queue order.
        var done = 0
        while done < queue.count, queue[done].finished == queue[done].inputs.count { done += 1 }
        completed += done
        // Counted before anyone hears back, so a caller's next snapshot includes its request.
        publishSnapshot(skipping: done)
        for job in queue.prefix(done) {
            outstanding.subtract(1, ordering: .acquiringAndReleasing)
            job.continuation.resume(returning: .success(job.vectors))
        }
        queue.removeFirst(done)
    }

    /// Publishes the gauges; the first `skipping` queued requests count as answered.
    private func publishSnapshot(skipping: Int = 0) {
        var snapshot = BackendSnapshot()
        let waiting = queue.dropFirst(skipping)
        snapshot.running = waiting.prefix { $0.placed > 0 }.count
        snapshot.queued = waiting.count - snapshot.running
        snapshot.queueCapacity = capacity
        snapshot.completedRequests = completed
        snapshot.promptTokens = embeddedTokens
        snapshot.poolBytes = encoder.scratchBytes
        snapshot.weightBytes = model.file.file.size
        snapshot.budgetBytes = budget.limitBytes
        snapshot.peakBytes = budget.peakUsed
        published.withLock { $0 = snapshot }
    }
}
