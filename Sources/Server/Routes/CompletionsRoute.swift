import Engine
import Hummingbird

/// `POST /v1/completions`: a plain prompt, tokenized with `CompletionBackend.tokenize`.
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
        let prompt = backend.tokenize(body.prompt)
        let maxTokens = try CompletionLength.resolve(
            requested: body.maxTokens, defaultTokens: 16, promptTokens: prompt.count,
            contextLength: backend.contextLength, param: "max_tokens")
        let parameters = try body.sampling.completionParameters(maxTokens: maxTokens)
        let identity = CompletionIdentity(prefix: "cmpl", model: backend.modelID, includeUsage: body.sampling.includeUsage ?? false)
        return try await runner.run(
            prompt: prompt, parameters: parameters, stream: body.sampling.stream,
            format: TextCompletionFormat(identity: identity), request: request, context: context)
    }
}
