import Engine
import Hummingbird

/// `POST /v1/completions`: a plain prompt, tokenized with `CompletionBackend.tokenize`, or token ids.
struct CompletionsRoute: Sendable {
    let backend: any CompletionBackend
    let runner: CompletionRunner
    let bodyLimits: BodyLimits

    func register(on group: RouterGroup<ServerRequestContext>) {
        group.post("completions") { request, context in
            try await respond(to: request, context: context)
        }
    }

    func respond(to request: Request, context: ServerRequestContext) async throws(OpenAIError) -> Response {
        var request = request
        let buffer = try await request.readJSONBody(limits: bodyLimits)
        let body = try Request.decodeJSON(CompletionRequest.self, from: buffer)
        if let model = body.model, model != backend.modelID { throw .modelNotFound(model) }
        let prompt: [TokenID]
        let promptText: String
        switch body.prompt {
        case .text(let text):
            (prompt, promptText) = (backend.tokenize(text), text)
        case .tokens(let tokens):
            try OpenAIError.checkVocabulary(tokens, "prompt", vocabularySize: backend.vocabularySize)
            (prompt, promptText) = (tokens, body.echo ? backend.detokenize(tokens) : "")
        }
        let maxTokens = try CompletionLength.resolve(
            requested: body.maxTokens, defaultTokens: 16, promptTokens: prompt.count,
            contextLength: backend.contextLength, param: "max_tokens")
        var parameters = try body.sampling.completionParameters(maxTokens: maxTokens, vocabularySize: backend.vocabularySize)
        parameters.sampling.logprobs = body.logprobs
        if body.sampling.hasOrderedFields {
            let ordered = try Request.orderedJSON(from: buffer)
            if !(ordered["tools"]?.arrayValue ?? []).isEmpty || !(ordered["functions"]?.arrayValue ?? []).isEmpty {
                throw .unsupported("tools", "'tools' are for /v1/chat/completions; a completion has no tool calls.")
            }
            parameters.grammar = try ResponseFormat.grammar(in: ordered).map(backend.constrain)
        }
        let identity = CompletionIdentity(prefix: "cmpl", model: backend.modelID, includeUsage: body.sampling.includeUsage ?? false)
        return try await runner.run(
            prompt: prompt, parameters: parameters, stream: body.sampling.stream,
            format: TextCompletionFormat(identity: identity, echo: body.echo ? promptText : ""),
            logprobs: body.logprobs.map { _ in LogprobRenderer(backend: backend, textOffset: 0) }, request: request, context: context)
    }
}
