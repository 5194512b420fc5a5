import Engine
import Hummingbird

/// Runs one completion for a route: checks the engine can take work, submits, then either collects
/// the whole text or streams it as server-sent events, cancelling the completion if the client leaves.
///
/// Errors before any text reach the client with their own status (429, 503, ...): a stream's
/// headers go out only with its first text. Errors after that end the stream with an error event.
/// A refused submission leaves the connection open for the client's retry; once the completion
/// runs, its watcher has consumed the connection, and every answer says `Connection: close`.
struct CompletionRunner: Sendable {
    let backend: any CompletionBackend
    let metrics: ServerMetrics

    /// - Parameter logprobs: set when the request asked for log-probabilities (its offset after any echo).
    func run<Format: CompletionFormat>(
        prompt: [TokenID], parameters: CompletionParameters, stream: Bool, format: Format,
        logprobs: LogprobRenderer? = nil, request: Request, context: ServerRequestContext
    ) async throws(OpenAIError) -> Response {
        switch backend.health {
        case .loading: throw .unavailable("The model is still loading; retry shortly.", retryAfter: 5)
        case .stopping: throw .unavailable("The server is shutting down.", retryAfter: 5)
        case .ready, .saturated: break
        }
        let handle: CompletionHandle
        do {
            handle = try backend.submit(prompt: prompt, parameters: parameters)
        } catch {
            throw OpenAIError(error)  // nothing read past the request: the connection stays usable
        }
        // A client already gone is seen at once, and `attach` then cancels the completion.
        let watcher = DisconnectWatcher(request: request)
        watcher.attach(handle)
        let events = CompletionEvents(handle, metrics: metrics, tokens: context.tokens)

        guard stream else {
            return try await collect(events, format: format, logprobs: logprobs, watcher: watcher, cancel: handle.cancel)
        }
        let first = await events.nextNonEmpty()
        switch first.event {
        case .failed, .finished(.cancelled, _):
            handle.cancel()
            await watcher.stop()
            throw Self.error(ending: first.event, clientGone: watcher.clientGone).closingConnection()
        case .text, .logprobs, .finished:
            return Response(status: .ok, headers: SSEWriter.headers, body: ResponseBody { writer in
                do {
                    try await Self.stream(from: first, events, format: format, logprobs: logprobs, watcher: watcher,
                                          cancel: handle.cancel, to: &writer)
                } catch {
                    handle.cancel()
                    await watcher.stop()
                    throw error
                }
            })
        }
    }

    /// Reads every choice to its end and answers with one JSON object.
    private func collect<Format: CompletionFormat>(
        _ events: CompletionEvents, format: Format, logprobs renderer: LogprobRenderer?, watcher: DisconnectWatcher,
        cancel: @Sendable () -> Void
    ) async throws(OpenAIError) -> Response {
        var results = (0..<events.choices).map { _ in ChoiceResult(text: "", logprobs: renderer == nil ? nil : [], finishReason: "") }
        var renderers = (0..<events.choices).map { _ in renderer }
        while !events.allEnded {
            let (choice, event) = await events.next()
            switch event {
            case .text(let piece):
                results[choice].text += piece
            case .logprobs(let entries):
                if let rendered = renderers[choice]?.render(entries) { results[choice].logprobs?.append(contentsOf: rendered) }
            case .finished(let reason, _) where reason != .cancelled:
                results[choice].finishReason = reason.rawValue
            case .finished, .failed:
                cancel()  // the other choices are of no use without this one
                await watcher.stop()
                throw Self.error(ending: event, clientGone: watcher.clientGone).closingConnection()
            }
        }
        await watcher.stop()
        if let replies = format.toolReplies {
            for i in results.indices {
                guard let (content, calls) = replies.read(results[i].text) else { continue }
                (results[i].text, results[i].toolCalls, results[i].finishReason) = (content, calls, "tool_calls")
            }
        }
        // The watch consumed the connection's inbound stream: the server closes it after this response.
        return JSONCoding.response(format.response(choices: results, usage: events.totalUsage), headers: [.connection: "close"])
    }

    /// Writes the events from `first` on, each chunk naming its choice, then `[DONE]`.
    private static func stream<Format: CompletionFormat>(
        from first: (choice: Int, event: CompletionEvent), _ events: CompletionEvents, format: Format, logprobs renderer: LogprobRenderer?,
        watcher: DisconnectWatcher, cancel: @Sendable () -> Void, to writer: inout any ResponseBodyWriter
    ) async throws {
        let sse = SSEWriter()
        for choice in 0..<events.choices {
            if let opening = format.openingChunk(choice: choice) { try await sse.write(opening, to: &writer) }
        }
        var renderers = (0..<events.choices).map { _ in renderer }
        // Log-probabilities go out with the text of their tokens (the event after them).
        var pending = (0..<events.choices).map { _ in [ShownLogprob]() }
        // With tools, text that may be a call is held back until the choice ends.
        var toolStreams = (0..<events.choices).map { _ in format.toolReplies.map(ToolCallStream.init) }
        var (choice, event) = first
        loop: while true {
            switch event {
            case .logprobs(let entries):
                pending[choice] += renderers[choice]?.render(entries) ?? []
            case .text(var text):
                if toolStreams[choice] != nil { text = toolStreams[choice]!.feed(text) }
                if !text.isEmpty || !pending[choice].isEmpty {
                    try await sse.write(format.textChunk(text, logprobs: renderer == nil ? nil : pending[choice], choice: choice), to: &writer)
                    pending[choice].removeAll()
                }
            case .finished(let reason, _) where reason != .cancelled:
                var finishReason = reason.rawValue
                if let (rest, calls) = toolStreams[choice]?.finish() {
                    if !rest.isEmpty || !pending[choice].isEmpty {
                        try await sse.write(format.textChunk(rest, logprobs: renderer == nil ? nil : pending[choice], choice: choice), to: &writer)
                        pending[choice].removeAll()
                    }
                    if !calls.isEmpty {
                        try await sse.write(format.toolCallsChunk(calls, choice: choice), to: &writer)
                        finishReason = "tool_calls"
                    }
                }
                if !pending[choice].isEmpty {
                    try await sse.write(format.textChunk("", logprobs: pending[choice], choice: choice), to: &writer)
                }
                try await sse.write(format.finishChunk(finishReason, choice: choice), to: &writer)
                if events.allEnded {
                    if format.identity.includeUsage { try await sse.write(format.usageChunk(events.totalUsage), to: &writer) }
                    try await writer.write(SSEWriter.done)
                    break loop
                }
            case .finished, .failed:
                cancel()
                let error = Self.error(ending: event, clientGone: watcher.clientGone)
                guard !watcher.clientGone else { throw error }
                try await sse.writeError(error, to: &writer)
                break loop
            }
            (choice, event) = await events.next()
        }
        await watcher.stop()
        try await writer.finish(nil)
    }

    /// The error for a completion that ended without a result.
    private static func error(ending event: CompletionEvent, clientGone: Bool) -> OpenAIError {
        switch event {
        case .failed(let why):
            return .unavailable("The completion failed: \(why).")
        case .finished(.cancelled, _):
            return clientGone ? .clientClosedRequest : .unavailable("The completion was cancelled: the server is stopping.")
        case .text, .logprobs, .finished:
            return .internalError("The completion ended unexpectedly.")
        }
    }
}
