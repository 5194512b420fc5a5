import Engine
import Synchronization

/// A `CompletionBackend` for the server's tests: no model, deterministic text.
/// With `logprobs`, each word comes after a `.logprobs` event for its first byte's token.
///
/// Tokens are the prompt's UTF-8 bytes after a BOS. The completion echoes the prompt's words, one
/// word per token (`"a b c"` completes as `"a b c"`), finishing with `stop` when the words run out or
/// a stop string appears, `length` at `maxTokens`. Other scripts hang, fail or refuse, and every
/// submission and cancellation is recorded for the tests to check or await.
final class MockBackend: CompletionBackend {
    enum Script: Sendable {
        /// Echo the prompt's words, then finish.
        case echo
        /// Emit this many words, then wait until cancelled.
        case hang(afterTokens: Int)
        /// Emit this many words, then fail with the message.
        case fail(afterTokens: Int, String)
        /// Finish as cancelled at once, as the engine does when it stops.
        case cancelledByServer
        /// Refuse at submission.
        case refuse(SchedulerError)
        /// Reply with this text (one word a token), whatever the prompt.
        case reply(String)
    }

    let modelID: String
    let contextLength: Int

    private struct State {
        var script = Script.echo
        var health = BackendHealth.ready
        var snapshot = BackendSnapshot()
        var submissions: [(prompt: [TokenID], parameters: CompletionParameters)] = []
        var cancellations = 0
        /// The tools of the last chat rendered.
        var tools: [ToolDefinition] = []
    }

    private let state = Mutex(State())
    private let cancelledSignal = AsyncStream<Void>.makeStream()
    private let hangingSignal = AsyncStream<Void>.makeStream()

    init(modelID: String = "mock-model", contextLength: Int = 256) {
        self.modelID = modelID
        self.contextLength = contextLength
    }

    // MARK: - Test controls

    var script: Script {
        get { state.withLock { $0.script } }
        set { state.withLock { $0.script = newValue } }
    }

    var health: BackendHealth {
        get { state.withLock { $0.health } }
        set { state.withLock { $0.health = newValue } }
    }

    var snapshotValue: BackendSnapshot {
        get { state.withLock { $0.snapshot } }
        set { state.withLock { $0.snapshot = newValue } }
    }

    var submissions: [(prompt: [TokenID], parameters: CompletionParameters)] { state.withLock { $0.submissions } }
    var cancellations: Int { state.withLock { $0.cancellations } }
    var lastTools: [ToolDefinition] { state.withLock { $0.tools } }

    /// Returns once a completion has been cancelled (once per cancellation).
    func waitForCancellation() async {
        var iterator = cancelledSignal.stream.makeAsyncIterator()
        _ = await iterator.next()
    }

    /// Returns once a `hang` completion has emitted its words and waits (once per completion).
    func waitUntilHanging() async {
        var iterator = hangingSignal.stream.makeAsyncIterator()
        _ = await iterator.next()
    }

    // MARK: - CompletionBackend

    /// BOS is 1, byte b is b + 2 (no special tokens to parse).
    func tokenize(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [TokenID] {
        (addSpecial ? [1] : []) + text.utf8.map { TokenID($0) + 2 }
    }

    var vocabularySize: Int { 258 }

    func detokenize(_ tokens: [TokenID]) -> String {
        String(decoding: tokens.flatMap(pieceBytes), as: UTF8.self)
    }

    func pieceBytes(_ token: TokenID) -> [UInt8] {
        token >= 2 && token < 258 ? [UInt8(token - 2)] : []
    }

    func constrain(_ grammar: Grammar) -> ConstrainedGrammar {
        ConstrainedGrammar(grammar: grammar, trie: TokenTrie(vocabularySize: vocabularySize, piece: pieceBytes, isEnd: { $0 == 0 }))
    }

    var toolCallFormat: ToolCallFormat { .generic }

    func tokenizeChat(_ messages: [ChatMessage], tools: [ToolDefinition]) throws(ChatTemplateError) -> [TokenID] {
        guard !messages.isEmpty else { throw .noMessages }
        state.withLock { $0.tools = tools }
        let messages = toolCallFormat.prepare(messages, tools: tools).messages
        for message in messages where !["system", "user", "assistant"].contains(message.role) {
            throw .unknownRole(message.role)
        }
        return tokenize(messages.map { "\($0.role): \($0.content)" }.joined(separator: " "))
    }

    func submit(prompt: [TokenID], parameters: CompletionParameters) throws(SchedulerError) -> CompletionHandle {
        guard (1...Self.maxChoices).contains(parameters.choices) else { throw .tooManyChoices(parameters.choices, limit: Self.maxChoices) }
        let script = state.withLock { state in
            state.submissions.append((prompt, parameters))
            return state.script
        }
        if case .refuse(let error) = script { throw error }
        do {
            try parameters.sampling.validate(vocabularySize: vocabularySize)
        } catch {
            throw .sampling(error)
        }
        guard prompt.count + parameters.maxTokens <= contextLength else {
            throw .tooLong(promptTokens: prompt.count, maxTokens: parameters.maxTokens, capacity: contextLength)
        }
        var source = String(decoding: prompt.dropFirst().map { UInt8($0 - 2) }, as: UTF8.self)
        if case .reply(let text) = script { source = text }
        let words = source.split(separator: " ").map(String.init)
        // Choice i starts i words into the prompt, so that choices differ.
        let completions = (0..<parameters.choices).map { i in
            Completion(
                words: Array(words.dropFirst(i)) + words.prefix(i), script: script, parameters: parameters, promptTokens: prompt.count,
                onCancel: { [weak self] in self?.recordCancellation() },
                onHang: { [hangingSignal] in hangingSignal.continuation.yield() })
        }
        let handles = completions.map { $0.start() }
        return CompletionHandle(choices: handles.map(\.events), cancel: { for handle in handles { handle.cancel() } })
    }

    /// Choices a request may ask for (`--parallel` of the real server).
    static let maxChoices = 4

    func snapshot() -> BackendSnapshot { snapshotValue }

    private func recordCancellation() {
        state.withLock { $0.cancellations += 1 }
        cancelledSignal.continuation.yield()
    }
}

/// One running mock completion: a task yielding its events, and its cancellation.
private final class Completion: Sendable {
    let words: [String]
    let script: MockBackend.Script
    let parameters: CompletionParameters
    let promptTokens: Int
    let onCancel: @Sendable () -> Void
    let onHang: @Sendable () -> Void
    /// Whether cancelled, and the hang to resume when it is.
    private let cancelled = Mutex((done: false, waiter: CheckedContinuation<Void, Never>?.none))

    init(
        words: [String], script: MockBackend.Script, parameters: CompletionParameters, promptTokens: Int,
        onCancel: @escaping @Sendable () -> Void, onHang: @escaping @Sendable () -> Void
    ) {
        self.words = words
        self.script = script
        self.parameters = parameters
        self.promptTokens = promptTokens
        self.onCancel = onCancel
        self.onHang = onHang
    }

    func start() -> CompletionHandle {
        let (events, continuation) = AsyncStream<CompletionEvent>.makeStream()
        Task { await self.produce(continuation) }
        return CompletionHandle(events: events, cancel: { self.cancel() })
    }

    private var isCancelled: Bool { cancelled.withLock { $0.done } }

    private func cancel() {
        let (first, waiter) = cancelled.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.done else { return (false, nil) }
            state.done = true
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        guard first else { return }
        waiter?.resume()
        onCancel()
    }

    private func produce(_ events: AsyncStream<CompletionEvent>.Continuation) async {
        var emitted = 0
        /// All generated text, and how much of it was sent (the rest may begin a stop string).
        var text = ""
        var sent = 0
        func usage() -> CompletionUsage { CompletionUsage(promptTokens: promptTokens, completionTokens: emitted) }
        func send(upTo end: Int) {
            guard end > sent else { return }
            events.yield(.text(String(text.dropFirst(sent).prefix(end - sent))))
            sent = end
        }
        defer { events.finish() }
        // A held-back piece, as the engine sends while it holds a partial character.
        events.yield(.text(""))

        let wordLimit: Int
        switch script {
        case .echo, .refuse, .reply: wordLimit = words.count
        case .hang(let count), .fail(let count, _): wordLimit = count
        case .cancelledByServer:
            events.yield(.finished(.cancelled, usage()))
            return
        }
        while emitted < wordLimit {
            await Task.yield()
            if isCancelled {
                events.yield(.finished(.cancelled, usage()))
                return
            }
            if emitted == parameters.maxTokens {
                send(upTo: text.count)
                events.yield(.finished(.length, usage()))
                return
            }
            let word = words.isEmpty ? "x" : words[emitted % words.count]
            text += (emitted == 0 ? "" : " ") + word
            emitted += 1
            if let k = parameters.sampling.logprobs {
                // The word's first byte stands for its token: logprob -0.5, then k alternatives 1 nat apart.
                let id = TokenID(word.utf8.first ?? UInt8(ascii: "x")) + 2
                events.yield(.logprobs([TokenLogprobs(
                    token: id, logprob: -0.5, top: (0..<k).map { TokenLogprob(token: id + TokenID($0), logprob: -0.5 - Float($0)) })]))
            }
            if let stop = parameters.stop.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                send(upTo: text.distance(from: text.startIndex, to: stop.lowerBound))
                events.yield(.finished(.stop, usage()))
                return
            }
            // Hold back the longest tail that could begin a stop string, as the engine does.
            let held = parameters.stop.map { stop in
                (1..<max(stop.count, 1)).reversed().first { text.hasSuffix(stop.prefix($0)) } ?? 0
            }.max() ?? 0
            send(upTo: text.count - held)
        }
        send(upTo: text.count)
        switch script {
        case .hang:
            onHang()
            await withCheckedContinuation { continuation in
                let resumeNow = cancelled.withLock { state -> Bool in
                    if state.done { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            events.yield(.finished(.cancelled, usage()))
        case .fail(_, let message):
            events.yield(.failed(message))
        default:
            events.yield(.finished(emitted == parameters.maxTokens ? .length : .stop, usage()))
        }
    }
}
