#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird

extension Request {
    /// Reads the body, at most `limit` bytes (413 beyond, told from `Content-Length` before reading
    /// when the client sends one, else once the limit is passed), and decodes it as `T`; every
    /// decoding failure becomes a 400 naming the field.
    mutating func decodeJSONBody<T: Decodable>(as type: T.Type, limit: Int) async throws(OpenAIError) -> T {
        let contentType = headers[.contentType]
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let mediaType, mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw .notJSON(contentType)
        }
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw .bodyTooLarge(limit: limit)
        }
        var buffer = ByteBuffer()
        do {
            for try await part in body {
                guard part.readableBytes <= limit - buffer.readableBytes else { throw OpenAIError.bodyTooLarge(limit: limit) }
                buffer.writeImmutableBuffer(part)
            }
        } catch let error as OpenAIError {
            throw error
        } catch {
            throw .invalidValue("body", "The request body could not be read: \(error).")
        }
        // Keeps the connection's stream behind the collected body, as `DisconnectWatcher` needs.
        body = RequestBody(buffer: buffer)
        do {
            return try JSONCoding.makeDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as OpenAIError {
            throw error
        } catch let error as DecodingError {
            throw OpenAIError(error)
        } catch {
            throw OpenAIError(status: .badRequest, message: "The request body could not be decoded: \(error).", code: "invalid_json")
        }
    }
}
