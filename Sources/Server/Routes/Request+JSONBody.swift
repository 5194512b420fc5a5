#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Engine
import Hummingbird

/// The most a request body may be and take.
struct BodyLimits: Sendable {
    var maxBytes: Int
    var timeoutSeconds: Int
}

extension Request {
    /// Reads the body, at most `limits.maxBytes` bytes (413 beyond, told from `Content-Length`
    /// before reading when the client sends one, else once the limit is passed) within
    /// `limits.timeoutSeconds` (408 after: a half-sent body holds no connection for ever), and
    /// decodes it as `T`; every decoding failure becomes a 400 naming the field. A body not
    /// declared JSON is a 415.
    mutating func decodeJSONBody<T: Decodable>(as type: T.Type, limits: BodyLimits) async throws(OpenAIError) -> T {
        try Self.decodeJSON(T.self, from: try await readJSONBody(limits: limits))
    }

    /// Reads the body as `decodeJSONBody` does, without decoding it.
    mutating func readJSONBody(limits: BodyLimits) async throws(OpenAIError) -> ByteBuffer {
        let limit = limits.maxBytes
        let contentType = headers[.contentType]
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let mediaType, mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw .notJSON(contentType)
        }
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw .bodyTooLarge(limit: limit)
        }
        let source = body
        let buffer: ByteBuffer
        do {
            // The body against a timer: whichever ends first.
            let collected = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask {
                    var buffer = ByteBuffer()
                    for try await part in source {
                        guard part.readableBytes <= limit - buffer.readableBytes else { throw OpenAIError.bodyTooLarge(limit: limit) }
                        buffer.writeImmutableBuffer(part)
                    }
                    return buffer
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(limits.timeoutSeconds))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let collected else { throw OpenAIError.bodyTimeout(seconds: limits.timeoutSeconds) }
            buffer = collected
        } catch let error as OpenAIError {
            throw error
        } catch {
            throw .invalidValue("body", "The request body could not be read: \(error).")
        }
        // Keeps the connection's stream behind the collected body, as `DisconnectWatcher` needs.
        body = RequestBody(buffer: buffer)
        return buffer
    }

    /// Decodes a JSON body read by `readJSONBody`; every failure is a 400 naming the field.
    static func decodeJSON<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(OpenAIError) -> T {
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

    /// The body read by `readJSONBody` as ordered JSON (object members in document order, as
    /// schemas need them), for requests whose decoding already succeeded.
    static func orderedJSON(from buffer: ByteBuffer) throws(OpenAIError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes: buffer.readableBytesView)
        } catch {
            throw OpenAIError(status: .badRequest, message: "The request body is not valid JSON: \(error.description).", code: "invalid_json")
        }
    }
}
