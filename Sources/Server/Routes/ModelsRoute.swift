import Engine
import Hummingbird

/// `GET /v1/models` and `GET /v1/models/{id}`: the one model served. Ids may hold slashes
/// (`org/name`), so the id route takes the rest of the path.
struct ModelsRoute: Sendable {
    let backend: any ModelBackend
    /// When the server started, as the model's `created`.
    let created: Int

    func register(on group: RouterGroup<ServerRequestContext>) {
        let card = ModelCard(id: backend.modelID, created: created)
        group.get("models") { _, _ in
            JSONCoding.response(ModelList(data: [card]))
        }
        group.get("models/**") { _, context throws(OpenAIError) in
            let id = context.parameters.getCatchAll().joined(separator: "/")
            guard id == card.id else { throw .modelNotFound(id) }
            return JSONCoding.response(card)
        }
    }
}
