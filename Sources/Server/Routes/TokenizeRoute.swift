import Engine
import Hummingbird

/// `POST /tokenize` and `POST /detokenize`, as llama-server has them: the served model's
/// tokenizer over HTTP (clients count tokens and build `logit_bias` and token-id prompts with it).
struct TokenizeRoute: Sendable {
    let backend: any CompletionBackend
    let bodyLimits: BodyLimits

    func register(on group: RouterGroup<ServerRequestContext>) {
        group.post("tokenize") { request, _ throws(OpenAIError) in
            var request = request
            let body = try await request.decodeJSONBody(as: TokenizeRequest.self, limits: bodyLimits)
            let ids = backend.tokenize(body.content, addSpecial: body.addSpecial, parseSpecial: body.parseSpecial)
            guard body.withPieces else { return JSONCoding.response(TokenizeResponse(tokens: .ids(ids))) }
            let pieces = ids.map { id in
                let bytes = backend.pieceBytes(id)
                let text = String(validating: bytes, as: UTF8.self)
                return TokenizeResponse.TokenPiece(id: id, piece: text.map { .text($0) } ?? .bytes(bytes))
            }
            return JSONCoding.response(TokenizeResponse(tokens: .pieces(pieces)))
        }
        group.post("detokenize") { request, _ throws(OpenAIError) in
            var request = request
            let body = try await request.decodeJSONBody(as: DetokenizeRequest.self, limits: bodyLimits)
            try OpenAIError.checkVocabulary(body.tokens, "tokens", vocabularySize: backend.vocabularySize)
            return JSONCoding.response(DetokenizeResponse(content: backend.detokenize(body.tokens)))
        }
    }
}
