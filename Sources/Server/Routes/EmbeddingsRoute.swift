import Engine
import Hummingbird

/// `POST /v1/embeddings`: texts (tokenized here) or token ids, embedded by the backend in
/// batches shared with other requests.
struct EmbeddingsRoute: Sendable {
    let backend: any EmbeddingBackend
    let bodyLimits: BodyLimits

    func register(on group: RouterGroup<ServerRequestContext>) {
        group.post("embeddings") { request, context in
            try await respond(to: request)
        }
    }

    func respond(to request: Request) async throws(OpenAIError) -> Response {
        var request = request
        let body = try await request.decodeJSONBody(as: EmbeddingRequest.self, limits: bodyLimits)
        if let model = body.model, model != backend.modelID { throw .modelNotFound(model) }
        if let dimensions = body.dimensions, dimensions != backend.dimensions {
            throw .unsupported("dimensions", "This model's embeddings have \(backend.dimensions) dimensions; 'dimensions' cannot change that.")
        }
        // Checked before any tokenizing, so a huge request is refused cheaply.
        guard body.input.count <= backend.maxInputsPerRequest else {
            throw OpenAIError(EmbeddingError.tooManyInputs(count: body.input.count, limit: backend.maxInputsPerRequest))
        }
        // A full queue refuses before any tokenizing, so a flood costs little while saturated.
        if backend.health == .saturated { throw OpenAIError(EmbeddingError.queueFull(limit: backend.snapshot().queueCapacity)) }
        var inputs: [[TokenID]]
        switch body.input {
        case .texts(let texts):
            inputs = texts.map(backend.tokenize)
            if body.truncate { inputs = inputs.map(backend.truncate) }
        case .tokens(let arrays):
            inputs = []
            for (index, ids) in arrays.enumerated() {
                guard let tokens = ids.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) ? ids.map({ TokenID($0) }) : nil else {
                    throw .invalidValue("input[\(index)]", "input[\(index)] holds a negative or huge token id.")
                }
                // Ids are the caller's own: cut, nothing added.
                inputs.append(body.truncate ? Array(tokens.prefix(backend.maxInputTokens)) : tokens)
            }
        }
        let vectors: [[Float]]
        do {
            vectors = try await backend.embed(inputs)
        } catch {
            throw OpenAIError(error)
        }
        let tokens = inputs.reduce(0) { $0 + $1.count }
        let response = EmbeddingResponse(
            data: vectors.enumerated().map { .init(index: $0, embedding: .init($1, format: body.encodingFormat)) },
            model: backend.modelID, usage: .init(promptTokens: tokens, totalTokens: tokens))
        return JSONCoding.response(response)
    }
}
