import Hummingbird

/// An endpoint of the other kind of model (`/v1/embeddings` on a text generator, completions on
/// an embedding model): 400 saying which endpoint to use instead.
struct WrongModelKindRoute: Sendable {
    let path: String
    /// How the message names the endpoint, and what to use instead.
    let endpoint: String
    let use: String
    let modelID: String

    func register(on group: RouterGroup<ServerRequestContext>) {
        group.post(RouterPath(stringLiteral: path)) { _, _ throws(OpenAIError) -> Response in
            throw .wrongModelKind(model: modelID, endpoint: endpoint, use: use)
        }
    }
}
