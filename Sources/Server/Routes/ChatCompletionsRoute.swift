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
        let buffer = try await request.readJSONBody(limits: bodyLimits)
        let body = try Request.decodeJSON(ChatCompletionRequest.self, from: buffer)
        if let model = body.model, model != backend.modelID { throw .modelNotFound(model) }
        let ordered = body.sampling.hasOrderedFields ? try Request.orderedJSON(from: buffer) : nil
        let tools = try ToolFields(body: ordered ?? .object([]))
        let prompt: [TokenID]
        do {
            prompt = try backend.tokenizeChat(body.messages, tools: tools.active ? tools.tools : [])
        } catch {
            throw OpenAIError(error)
        }
        let maxTokens = try CompletionLength.resolve(
            requested: body.maxTokens, defaultTokens: .max, promptTokens: prompt.count,
            contextLength: backend.contextLength, param: body.maxTokensParam)
        var parameters = try body.sampling.completionParameters(maxTokens: maxTokens, vocabularySize: backend.vocabularySize)
        parameters.sampling.logprobs = body.logprobs
        var grammar = try ordered.flatMap { (o) throws(OpenAIError) in try ResponseFormat.grammar(in: o) }
        if tools.active, tools.choice != .auto {
            guard grammar == nil else {
                throw .invalidValue("tool_choice", "A forced tool call and 'response_format' cannot be combined: the reply is the call.")
            }
            do {
                grammar = try backend.toolCallFormat.grammar(tools: tools.tools, choice: tools.choice, parallel: tools.parallel)
            } catch {
                throw ResponseFormat.error(error, param: "tools")
            }
        }
        parameters.grammar = grammar.map(backend.constrain)
        // The chat format's own turn markers end the assistant's turn too.
        parameters.stop += backend.chatStopStrings.filter { !parameters.stop.contains($0) }
        let identity = CompletionIdentity(prefix: "chatcmpl", model: backend.modelID, includeUsage: body.sampling.includeUsage ?? false)
        return try await runner.run(
            prompt: prompt, parameters: parameters, stream: body.sampling.stream,
            format: ChatCompletionFormat(identity: identity,
                                         toolReplies: tools.active ? ToolReplies(format: backend.toolCallFormat, tools: tools.tools) : nil),
            logprobs: body.logprobs.map { _ in LogprobRenderer(backend: backend, textOffset: 0) }, request: request, context: context)
    }
}
