import Engine
import Hummingbird

/// `POST /v1/chat/completions`: messages rendered with the model's chat template by
/// `CompletionBackend.tokenizeChat`. Without a token limit, the completion may fill the context.
struct ChatCompletionsRoute: Sendable {
    let backend: any CompletionBackend
    let runner: CompletionRunner
    let bodyLimits: BodyLimits

    func register(on group: RouterGroup<ServerRequestContext>) {
        group.post("chat/completions") { request, context in
            try await respond(to: request, context: context)
        }
    }

    func respond(to request: Request, context: ServerRequestContext) async throws(OpenAIError) -> Response {
        var request = request
        let body = try await request.decodeJSONBody(as: ChatCompletionRequest.self, limits: bodyLimits)
        if let model = body.model, model != backend.modelID { throw .modelNotFound(model) }
        let prompt: [TokenID]
        do {
            prompt = try backend.tokenizeChat(body.messages)
        } catch {
            throw OpenAIError(error)
        }
        let maxTokens = try CompletionLength.resolve(
            requested: body.maxTokens, defaultTokens: .max, promptTokens: prompt.count,
            contextLength: backend.contextLength, param: body.maxTokensParam)
        var parameters = try body.sampling.completionParameters(maxTokens: maxTokens, vocabularySize: backend.vocabularySize)
        parameters.sampling.logprobs = body.logprobs
        // The chat format's own turn markers end the assistant's turn too.
        parameters.stop += backend.chatStopStrings.filter { !parameters.stop.contains($0) }
        let identity = CompletionIdentity(prefix: "chatcmpl", model: backend.modelID, includeUsage: body.sampling.includeUsage ?? false)
        return try await runner.run(
            prompt: prompt, parameters: parameters, stream: body.sampling.stream,
            format: ChatCompletionFormat(identity: identity),
            logprobs: body.logprobs.map { _ in LogprobRenderer(backend: backend, textOffset: 0) }, request: request, context: context)
    }
}
