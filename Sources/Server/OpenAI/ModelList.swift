/// `GET /v1/models/{id}`: `{id, object: "model", created, owned_by}`.
struct ModelCard: Encodable {
    var id: String
    var object = "model"
    var created: Int
    var ownedBy = "strata"

    enum CodingKeys: String, CodingKey {
        case id, object, created
        case ownedBy = "owned_by"
    }
}

/// `GET /v1/models`: `{object: "list", data: [model]}`.
struct ModelList: Encodable {
    var object = "list"
    var data: [ModelCard]
}
