#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The body answering `POST /v1/embeddings`: `{object: "list", data: [...], model, usage}`.
struct EmbeddingResponse: Encodable {
    /// One input's vector: floats, or base64 of its little-endian float32 bytes.
    enum Vector: Encodable {
        case floats([Float])
        case base64(String)

        init(_ vector: [Float], format: EmbeddingRequest.EncodingFormat) {
            switch format {
            case .float:
                self = .floats(vector)
            case .base64:
                let words = vector.map { $0.bitPattern.littleEndian }
                self = .base64(words.withUnsafeBytes { Data($0) }.base64EncodedString())
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .floats(let values): try container.encode(values)
            case .base64(let text): try container.encode(text)
            }
        }
    }

    struct Item: Encodable {
        var object = "embedding"
        var index: Int
        var embedding: Vector
    }

    struct Usage: Encodable {
        var promptTokens: Int
        var totalTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }

    var object = "list"
    var data: [Item]
    var model: String
    var usage: Usage
}
