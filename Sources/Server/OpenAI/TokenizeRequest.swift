/// `POST /tokenize` (llama-server's shape): `content`, with `add_special` (BOS where the model
/// adds one; default false), `parse_special` (special tokens' texts become those tokens; default
/// true) and `with_pieces` (each id with its text; default false).
struct TokenizeRequest: Decodable {
    var content: String
    var addSpecial: Bool
    var parseSpecial: Bool
    var withPieces: Bool

    enum CodingKeys: String, CodingKey {
        case content
        case addSpecial = "add_special"
        case parseSpecial = "parse_special"
        case withPieces = "with_pieces"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.content) else { throw OpenAIError.missing("content") }
        content = try container.decode(String.self, forKey: .content)
        addSpecial = try container.decodeIfPresent(Bool.self, forKey: .addSpecial) ?? false
        parseSpecial = try container.decodeIfPresent(Bool.self, forKey: .parseSpecial) ?? true
        withPieces = try container.decodeIfPresent(Bool.self, forKey: .withPieces) ?? false
    }
}

/// `POST /tokenize`'s answer: `{"tokens": [ids]}`, or with pieces `{"tokens": [{"id", "piece"}]}`
/// where a piece is its text, or its bytes where they are not valid UTF-8 alone.
struct TokenizeResponse: Encodable {
    enum Piece: Encodable {
        case text(String)
        case bytes([UInt8])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let text): try container.encode(text)
            case .bytes(let bytes): try container.encode(bytes)
            }
        }
    }

    struct TokenPiece: Encodable {
        var id: Int32
        var piece: Piece
    }

    enum Tokens: Encodable {
        case ids([Int32])
        case pieces([TokenPiece])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .ids(let ids): try container.encode(ids)
            case .pieces(let pieces): try container.encode(pieces)
            }
        }
    }

    var tokens: Tokens
}

/// `POST /detokenize` (llama-server's shape): `{"tokens": [ids]}`.
struct DetokenizeRequest: Decodable {
    var tokens: [Int32]

    enum CodingKeys: String, CodingKey { case tokens }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.tokens) else { throw OpenAIError.missing("tokens") }
        tokens = try container.decode([Int32].self, forKey: .tokens)
    }
}

/// `POST /detokenize`'s answer: `{"content": text}`.
struct DetokenizeResponse: Encodable {
    var content: String
}
