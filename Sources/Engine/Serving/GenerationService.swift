import Memory
import StrataRuntime
import Synchronization

/// The engine behind the HTTP server: one dedicated engine thread owns the scheduler (and so
/// the KV cache and the runner) and loops: take new submissions and cancellations from an
/// inbox, run one batched step, turn each request's new tokens into text (valid UTF-8, stop
/// strings held back and cut), and publish metrics. Async callers only touch the inbox and
/// their event streams.
public final class GenerationService: CompletionBackend, @unchecked Sendable {
    public let modelID: String
    public let contextLength: Int
    /// Requests queued or running at most; more are refused with `.queueFull`.
    public let capacity: Int
    private let engine: InferenceEngine
    private let tokenizer: Tokenizer
    /// How `/v1/chat/completions` turns messages into a prompt: the family recognised in the
    /// model's `tokenizer.chat_template`, or the fallback.
    public let chatTemplate: ChatTemplate
    /// How the model writes tool calls (read from `chatTemplate` once).
    public let toolCallFormat: ToolCallFormat
    private let inbox = Mutex(Inbox())
    private let published = Mutex(BackendSnapshot())
    private let outstanding = Atomic<Int>(0)
    /// How requests ended (engine thread only), by `FinishReason`, and failures.
    private var finished: [FinishReason: Int] = [:]
    private var failures = 0
    private let stopping = Atomic<Bool>(false)
    private let nextKey = Atomic<UInt64>(1)
    private let thread = EngineThread()
    /// The vocabulary's byte trie for constrained sampling, built on first use.
    private let tokenTrie = Mutex<TokenTrie?>(nil)

    struct Submission {
        /// Choice i is `key + i`.
        let key: UInt64
        let prompt: [TokenID]
        let parameters: CompletionParameters
        /// One per choice.
        let continuations: [AsyncStream<CompletionEvent>.Continuation]
    }

    struct Inbox {
        var submissions: [Submission] = []
        var cancellations: [UInt64] = []
        /// Set by `shutdown`: in-flight work past this instant is failed and the thread exits.
        var deadline: ContinuousClock.Instant?
    }

    /// A request the engine thread is serving.
    struct Active {
        let id: RequestID
        let continuation: AsyncStream<CompletionEvent>.Continuation
        var text: GeneratedText
        let promptCount: Int
        /// Generated tokens whose log-probabilities were sent.
        var logprobsSent = 0
    }

    // Engine-thread state.
    private var active: [UInt64: Active] = [:]

    /// Starts the engine thread for `engine`.
    public init(engine: InferenceEngine) {
        self.engine = engine
        self.tokenizer = engine.model.tokenizer
        self.chatTemplate = ChatTemplate(gguf: engine.model.chatTemplate, vocabulary: engine.model.tokenizer.vocabulary)
        self.toolCallFormat = ToolCallFormat(template: chatTemplate)
        self.modelID = ModelNaming.id(for: engine.model)
        self.contextLength = engine.cache.maxTokensPerSequence
        self.capacity = engine.scheduler.maxRequests
        publishSnapshot()
        thread.start { [self] in engineLoop() }
    }

    // MARK: - CompletionBackend

    public func tokenize(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [TokenID] {
        tokenizer.encode(text, addBOS: addSpecial && tokenizer.vocabulary.addBOS, parseSpecial: parseSpecial)
    }

    public var vocabularySize: Int { engine.model.model.shape.vocabularySize }

    public func detokenize(_ tokens: [TokenID]) -> String {
        tokenizer.decode(tokens, renderSpecial: true)
    }

    public func pieceBytes(_ token: TokenID) -> [UInt8] {
        tokenizer.isSpecial(token) ? Array(tokenizer.vocabulary.tokens[Int(token)].utf8) : tokenizer.pieceBytes(token)
    }

    public func constrain(_ grammar: Grammar) -> ConstrainedGrammar {
        let trie = tokenTrie.withLock { cached in
            if let cached { return cached }
            let built = TokenTrie(tokenizer: tokenizer, vocabularySize: vocabularySize)
            cached = built
            return built
        }
        return ConstrainedGrammar(grammar: grammar, trie: trie)
    }

    public func tokenizeChat(_ messages: [ChatMessage], tools: [ToolDefinition]) throws(ChatTemplateError) -> [TokenID] {
        let (prepared, options) = toolCallFormat.prepare(messages, tools: tools)
        return try tokenizer.encodeChat(prepared, template: chatTemplate, options: options)
    }



    public func submit(prompt: [TokenID], parameters: CompletionParameters) throws(SchedulerError) -> CompletionHandle {
        guard !stopping.load(ordering: .acquiring) else { throw .shuttingDown }
        guard !prompt.isEmpty else { throw .invalidPrompt("it has no tokens") }
        let vocab = vocabularySize
        if let bad = prompt.firstOutside(vocabularySize: vocab) {
            throw .invalidPrompt("token \(bad) is outside the vocabulary of \(vocab)")
        }
        if let bad = parameters.stopTokens.firstOutside(vocabularySize: vocab) {
            throw .invalidStopToken(bad, vocabularySize: vocab)
        }
        guard parameters.maxTokens >= 0, prompt.count + parameters.maxTokens <= contextLength else {
            throw .tooLong(promptTokens: prompt.count, maxTokens: parameters.maxTokens, capacity: contextLength)
        }
        do {
            try parameters.sampling.validate(vocabularySize: vocab)
        } catch {
            throw .sampling(error)
        }
        let n = parameters.choices
        guard n >= 1, n <= engine.scheduler.maxRunning else { throw .tooManyChoices(n, limit: engine.scheduler.maxRunning) }
        // Reserve the slots first, so the engine thread never sees more than it can queue.
        guard outstanding.add(n, ordering: .acquiringAndReleasing).newValue <= capacity else {
            outstanding.subtract(n, ordering: .acquiringAndReleasing)
            throw .queueFull(limit: capacity)
        }
        let key = nextKey.add(UInt64(n), ordering: .relaxed).oldValue
        let cancel: @Sendable () -> Void = { [weak self] in self?.requestCancel(key, choices: n) }
        var streams: [AsyncStream<CompletionEvent>] = []
        var continuations: [AsyncStream<CompletionEvent>.Continuation] = []
        for _ in 0..<n {
            let (events, continuation) = AsyncStream.makeStream(of: CompletionEvent.self, bufferingPolicy: .unbounded)
            continuation.onTermination = { termination in
                if case .cancelled = termination { cancel() }
            }
            streams.append(events)
            continuations.append(continuation)
        }
        inbox.withLock { $0.submissions.append(Submission(key: key, prompt: prompt, parameters: parameters, continuations: continuations)) }
        thread.wake()
        return CompletionHandle(choices: streams, cancel: cancel)
    }

    public var chatStopStrings: [String] { chatTemplate.stopStrings }

    public var health: BackendHealth {
        if stopping.load(ordering: .acquiring) { return .stopping }
        return outstanding.load(ordering: .relaxed) >= capacity ? .saturated : .ready
    }

    public func snapshot() -> BackendSnapshot {
        published.withLock { $0 }
    }

    /// Stops taking work, lets in-flight requests finish for up to `gracePeriod`, then fails
    /// whatever is left with an explicit error and stops the engine thread.
    public func shutdown(gracePeriod: Duration = .seconds(30)) async {
        stopping.store(true, ordering: .releasing)
        // The engine thread keeps the deadline itself, so a busy caller cannot stretch it.
        let deadline = ContinuousClock().now + gracePeriod
        inbox.withLock { $0.deadline = deadline }
        thread.wake()
        await thread.join()
    }

    private func requestCancel(_ key: UInt64, choices: Int) {
        inbox.withLock { $0.cancellations.append(contentsOf: key..<key + UInt64(choices)) }
        thread.wake()
    }

    // MARK: - Engine thread

    private func engineLoop() {
        let scheduler = engine.scheduler
        let clock = ContinuousClock()
        while true {
            let (submissions, cancellations, deadline) = inbox.withLock { box in
                defer {
                    box.submissions.removeAll(keepingCapacity: true)
                    box.cancellations.removeAll(keepingCapacity: true)
                }
                return (box.submissions, box.cancellations, box.deadline)
            }
            for s in submissions { admit(s) }
            for key in cancellations {
                guard let a = active[key] else { continue }
                scheduler.cancel(a.id)
                complete(key, with: .finished(.cancelled, usage(a)))
            }
            if let deadline, active.isEmpty || clock.now >= deadline {
                for key in Array(active.keys) {
                    scheduler.cancel(active[key]!.id)
                    complete(key, with: .failed("the server is shutting down"))
                }
                publishSnapshot()
                return
            }
            if scheduler.hasWork {
                scheduler.step()
                deliver()
                publishSnapshot()
            } else {
                publishSnapshot()
                thread.sleep()
            }
        }
    }

    private func admit(_ s: Submission) {
        let request = GenerationRequest(prompt: s.prompt, maxTokens: s.parameters.maxTokens, sampling: s.parameters.sampling,
                                        stopTokens: s.parameters.stopTokens, grammar: s.parameters.grammar)
        do {
            let ids = try engine.scheduler.submit(request, choices: s.continuations.count)
            for (i, id) in ids.enumerated() {
                active[s.key + UInt64(i)] = Active(
                    id: id, continuation: s.continuations[i],
                    text: GeneratedText(tokenizer: tokenizer, after: s.prompt, stops: s.parameters.stop),
                    promptCount: s.prompt.count)
            }
            if engine.scheduler.phase(of: ids[0]) == .finished { deliver() }  // max_tokens 0
        } catch {
            outstanding.subtract(s.continuations.count, ordering: .acquiringAndReleasing)
            failures += 1
            for continuation in s.continuations {
                continuation.yield(.failed(error.description))
                continuation.finish()
            }
        }
    }

    /// Streams each request's new tokens as text and completes the finished ones.
    private func deliver() {
        let scheduler = engine.scheduler
        for key in Array(active.keys) {
            guard var a = active[key] else { continue }
            let phase = scheduler.phase(of: a.id)
            var generated = scheduler.generated(by: a.id)
            // An end-of-generation or stop token ends the text without being part of it.
            if phase == .finished, let reason = scheduler.stopReason(of: a.id), reason == .stopToken || reason == .endOfGeneration {
                generated = generated.dropLast()
            }
            let (text, stopped) = a.text.advance(generated, finished: phase == .finished)
            sendLogprobs(&a)
            if stopped || phase == .finished {
                if !text.isEmpty { a.continuation.yield(.text(text)) }
                active[key] = a
                if stopped { scheduler.stopAtString(a.id) }
                if let error = scheduler.error(of: a.id) {
                    complete(key, with: .failed(error.description))
                } else {
                    complete(key, with: .finished(FinishReason(scheduler.stopReason(of: a.id) ?? .length), usage(a)))
                }
                continue
            }
            if !text.isEmpty { a.continuation.yield(.text(text)) }
            active[key] = a
        }
    }

    /// Sends the log-probabilities of the tokens whose text was released since the last call
    /// (none for a held-back possible stop string, nor for one that matched).
    private func sendLogprobs(_ a: inout Active) {
        guard let (chosen, alternatives, k) = engine.scheduler.logprobs(of: a.id) else { return }
        let end = a.text.releasedTokens
        guard end > a.logprobsSent else { return }
        let entries = (a.logprobsSent..<end).map { i in
            let base = alternatives.startIndex + i * k
            let token = chosen[chosen.startIndex + i]
            return TokenLogprobs(token: token.token, logprob: token.logprob,
                                 top: alternatives[base..<base + k].filter { $0.token >= 0 })
        }
        a.logprobsSent = end
        a.continuation.yield(.logprobs(entries))
    }

    private func usage(_ a: Active) -> CompletionUsage {
        CompletionUsage(promptTokens: a.promptCount, completionTokens: engine.scheduler.generated(by: a.id).count)
    }

    /// Releases the scheduler slot and the request's place in the count, then sends the last
    /// event: a client that sends its next request on seeing it never meets this one still
    /// holding a slot (an unearned 429).
    private func complete(_ key: UInt64, with event: CompletionEvent) {
        guard let a = active.removeValue(forKey: key) else { return }
        engine.scheduler.release(a.id)
        outstanding.subtract(1, ordering: .acquiringAndReleasing)
        switch event {
        case .finished(let reason, _): finished[reason, default: 0] += 1
        case .failed: failures += 1
        case .text, .logprobs: break
        }
        a.continuation.yield(event)
        a.continuation.finish()
    }

    private func publishSnapshot() {
        let s = engine.scheduler.statistics
        let m = MemoryReport(budget: engine.budget, pages: engine.pages, windowPages: engine.windowPages, coldStore: engine.coldStore,
                             cache: engine.cache, weightBytes: engine.model.fileBytes)
        var snapshot = BackendSnapshot()
        snapshot.queued = engine.scheduler.queuedCount
        snapshot.running = engine.scheduler.runningCount
        snapshot.queueCapacity = capacity
        // By OpenAI's finish reason (the scheduler's statistics do not split stop from length).
        snapshot.stoppedRequests = finished[.stop, default: 0]
        snapshot.lengthRequests = finished[.length, default: 0]
        snapshot.completedRequests = snapshot.stoppedRequests + snapshot.lengthRequests
        snapshot.cancelledRequests = finished[.cancelled, default: 0]
        snapshot.failedRequests = failures
        let k = m.cache  // read once per step, with the memory report
        snapshot.kvCompressions = k.compressions
        snapshot.kvDecompressions = k.decompressions
        snapshot.kvEvictions = k.evictions
        snapshot.prefixHitBlocks = k.prefixHits
        snapshot.forkSharedPages = k.forkSharedBlocks
        let room = engine.budget.limitBytes - m.poolBytes
        snapshot.kvCacheUsageRatio = room > 0 ? min(1, Double(m.hotBytes + m.coldBytes) / Double(room)) : 1
        snapshot.promptTokens = s.promptTokens
        snapshot.generatedTokens = s.generatedTokens
        snapshot.preemptions = s.preemptionsCompressed + s.preemptionsDropped
        snapshot.hotBytes = m.hotBytes
        snapshot.coldBytes = m.coldBytes
        snapshot.freeBytes = m.freeBytes
        snapshot.poolBytes = m.poolBytes
        snapshot.budgetBytes = m.budgetBytes
        snapshot.peakBytes = m.peakBytes
        snapshot.gpuBytes = m.gpuBytes
        snapshot.hotPages = m.hotPages
        snapshot.freePages = m.freePages
        snapshot.coldPages = m.coldPages
        snapshot.cachedPages = engine.cache.cachedBlockCount
        snapshot.coldCompressionRatio = m.coldCompressionRatio
        snapshot.kvBytesPerToken = m.kvBytesPerToken
        snapshot.weightBytes = m.weightBytes
        published.withLock { $0 = snapshot }
    }
}

/// The name a served model goes by: its file name without the extension (`stories260K` for
/// `models/stories260K.gguf`), as `/v1/models` lists it. (`general.name` is often just the
/// architecture, e.g. "llama".)
enum ModelNaming {
    static func id(for model: LoadedModel) -> String {
        let file = model.path.split(separator: "/").last.map(String.init) ?? model.path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }
}
