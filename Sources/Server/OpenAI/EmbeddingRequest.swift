/// The body of `POST /v1/embeddings`.
struct EmbeddingRequest: Decodable {
    /// What `input` held: texts, or the model's token ids (used as given).
    enum Inputs: Equatable {
        case texts([String])
        case tokens([[Int]])

        var count: Int {
            switch self {
            case .texts(let texts): return texts.count
            case .tokens(let ids): return ids.count
            }
        }
    }

    enum EncodingFormat: String {
        case float, base64
    }

    /// Optional here: a missing model means the one served.
    var model: String?
    var input: Inputs
    var encodingFormat: EncodingFormat
    /// OpenAI's `dimensions`: only the model's own width is possible.
    var dimensions: Int?
    /// An extension (text-embeddings-inference's): cut over-long inputs instead of refusing them.
    var truncate: Bool

    enum CodingKeys: String, CodingKey {
        case model, input, dimensions, truncate, user
        case encodingFormat = "encoding_format"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        dimensions = try container.decodeIntegerIfPresent(Int.self, forKey: .dimensions)
        truncate = try container.decodeIfPresent(Bool.self, forKey: .truncate) ?? false
        _ = try container.decodeIfPresent(String.self, forKey: .user)
        let format = try container.decodeIfPresent(String.self, forKey: .encodingFormat) ?? "float"
        guard let encodingFormat = EncodingFormat(rawValue: format) else {
            throw OpenAIError.invalidValue("encoding_format", "'encoding_format' must be 'float' or 'base64', not '\(format)'.")
        }
        self.encodingFormat = encodingFormat
        input = try Self.decodeInput(container)
    }

    /// `input`: a string, an array of strings, an array of token ids, or an array of token-id arrays.
    private static func decodeInput(_ container: KeyedDecodingContainer<CodingKeys>) throws -> Inputs {
        guard container.contains(.input) else { throw OpenAIError.missing("input") }
        if let text = try? container.decode(String.self, forKey: .input) { return .texts([text]) }
        guard let items = try? container.decode([InputItem].self, forKey: .input) else {
            throw OpenAIError.invalidType(
                "input", expected: "a string, an array of strings, an array of token ids, or an array of token-id arrays")
        }
        guard let first = items.first else { throw OpenAIError.invalidValue("input", "'input' must not be an empty array.") }
        switch first {
        case .text:
            return .texts(try items.enumerated().map { index, item in
                guard case .text(let text) = item else { throw OpenAIError.invalidType("input[\(index)]", expected: "a string") }
                return text
            })
        case .token:
            return .tokens([try items.enumerated().map { index, item in
                guard case .token(let id) = item else { throw OpenAIError.invalidType("input[\(index)]", expected: "a token id (an integer)") }
                return id
            }])
        case .tokens:
            return .tokens(try items.enumerated().map { index, item in
                guard case .tokens(let ids) = item else { throw OpenAIError.invalidType("input[\(index)]", expected: "an array of token ids") }
                return ids
            })
        }
    }

    /// One element of an `input` array.
    private enum InputItem: Decodable {
        case text(String)
        case token(Int)
        case tokens([Int])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let id = try? container.decode(Int.self) {
                self = .token(id)
            } else if let ids = try? container.decode([Int].self) {
                self = .tokens(ids)
            } else {
                let path = OpenAIError.path(decoder.codingPath)
                throw OpenAIError.invalidType(path, expected: "a string, a token id, or an array of token ids")
            }
        }
    }
}
