#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird

/// Server-sent events as OpenAI streams them: one `data: <json>\n\n` per event, then `data: [DONE]\n\n`.
struct SSEWriter {
    private let encoder = JSONCoding.makeEncoder()

    /// The response headers of an event stream. `Connection: close` because the disconnect watch
    /// consumes the connection's inbound stream.
    static var headers: HTTPFields {
        [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "close"]
    }

    /// `data: <value as JSON>\n\n`
    func event(_ value: some Encodable) throws -> ByteBuffer {
        let json = try encoder.encode(value)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count + 8)
        buffer.writeString("data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    /// `data: [DONE]\n\n`, the end of every stream.
    static var done: ByteBuffer { ByteBuffer(string: "data: [DONE]\n\n") }

    /// Writes `value` as one event.
    func write(_ value: some Encodable, to writer: inout any ResponseBodyWriter) async throws {
        try await writer.write(event(value))
    }

    /// Writes an error as the stream's last event, then `[DONE]`.
    func writeError(_ error: OpenAIError, to writer: inout any ResponseBodyWriter) async throws {
        try await writer.write(event(error.body))
        try await writer.write(Self.done)
    }
}
