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
            return try await collect(events, format: format, logprobs: logprobs, watcher: watcher)
        }
        let first = await events.nextNonEmpty()
        switch first {
        case .failed, .finished(.cancelled, _):
            await watcher.stop()
            throw Self.error(ending: first, clientGone: watcher.clientGone).closingConnection()
        case .text, .logprobs, .finished:
            return Response(status: .ok, headers: SSEWriter.headers, body: ResponseBody { writer in
                do {
                    try await Self.stream(from: first, events, format: format, logprobs: logprobs, watcher: watcher, to: &writer)
                } catch {
                    handle.cancel()
                    await watcher.stop()
                    throw error
                }
            })
        }
    }

    /// Reads the whole completion and answers with one JSON object.
    private func collect<Format: CompletionFormat>(
        _ events: CompletionEvents, format: Format, logprobs renderer: LogprobRenderer?, watcher: DisconnectWatcher
    ) async throws(OpenAIError) -> Response {
        var text = ""
        var renderer = renderer
        var shown: [ShownLogprob]? = renderer == nil ? nil : []
        while true {
            let event = await events.next()
            switch event {
            case .text(let piece):
                text += piece
            case .logprobs(let entries):
                if let rendered = renderer?.render(entries) { shown?.append(contentsOf: rendered) }
            case .finished(let reason, let usage) where reason != .cancelled:
                await watcher.stop()
                // The watch consumed the connection's inbound stream: the server closes it after this response.
                return JSONCoding.response(
                    format.response(text: text, logprobs: shown, finishReason: reason.rawValue, usage: usage), headers: [.connection: "close"])
            case .finished, .failed:
                await watcher.stop()
                throw Self.error(ending: event, clientGone: watcher.clientGone).closingConnection()
            }
        }
    }

    /// Writes the events from `first` on, then `[DONE]`.
    private static func stream<Format: CompletionFormat>(
        from first: CompletionEvent, _ events: CompletionEvents, format: Format, logprobs renderer: LogprobRenderer?,
        watcher: DisconnectWatcher, to writer: inout any ResponseBodyWriter
    ) async throws {
        let sse = SSEWriter()
        if let opening = format.openingChunk() {
            try await sse.write(opening, to: &writer)
        }
        var renderer = renderer
        // Log-probabilities go out with the text of their tokens (the event after them).
        var pending: [ShownLogprob] = []
        var event = first
        loop: while true {
            switch event {
            case .logprobs(let entries):
                pending += renderer?.render(entries) ?? []
            case .text(let text):
                if !text.isEmpty || !pending.isEmpty {
                    try await sse.write(format.textChunk(text, logprobs: renderer == nil ? nil : pending), to: &writer)
                    pending.removeAll()
                }
            case .finished(let reason, let usage) where reason != .cancelled:
                if !pending.isEmpty { try await sse.write(format.textChunk("", logprobs: pending), to: &writer) }
                try await sse.write(format.finishChunk(reason.rawValue), to: &writer)
                if format.identity.includeUsage { try await sse.write(format.usageChunk(usage), to: &writer) }
                try await writer.write(SSEWriter.done)
                break loop
            case .finished, .failed:
                let error = Self.error(ending: event, clientGone: watcher.clientGone)
                guard !watcher.clientGone else { throw error }
                try await sse.writeError(error, to: &writer)
                break loop
            }
            event = await events.next()
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
