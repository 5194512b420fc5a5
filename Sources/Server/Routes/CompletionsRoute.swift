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
        let body = try await request.decodeJSONBody(as: CompletionRequest.self, limits: bodyLimits)
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
        let identity = CompletionIdentity(prefix: "cmpl", model: backend.modelID, includeUsage: body.sampling.includeUsage ?? false)
        return try await runner.run(
            prompt: prompt, parameters: parameters, stream: body.sampling.stream,
            format: TextCompletionFormat(identity: identity, echo: body.echo ? promptText : ""),
            logprobs: body.logprobs.map { _ in LogprobRenderer(backend: backend, textOffset: 0) }, request: request, context: context)
    }
}
