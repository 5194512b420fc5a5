#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird

/// JSON in and out of the server, configured once.
enum JSONCoding {
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    static func makeDecoder() -> JSONDecoder { JSONDecoder() }

    /// `value` as a JSON body with `status`.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        do {
            let data = try makeEncoder().encode(value)
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            // Our response types always encode; this is a safety net, not a path.
            let fallback = #"{"error":{"message":"the response could not be encoded","type":"server_error","param":null,"code":null}}"#
            return Response(status: .internalServerError, headers: headers, body: .init(byteBuffer: ByteBuffer(string: fallback)))
        }
    }
}

/// An optional that encodes as an explicit JSON `null` rather than being left out,
/// as OpenAI's shapes require (`"logprobs": null`, `"finish_reason": null`).
struct Nullable<Wrapped: Encodable>: Encodable {
    var value: Wrapped?

    init(_ value: Wrapped?) { self.value = value }

    static var null: Nullable { Nullable(nil) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
