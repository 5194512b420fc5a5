#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What one event of an OpenAI streaming response says.
enum StreamPayload: Equatable, Sendable {
    /// `data: [DONE]`, the end of the stream.
    case done
    /// A completion chunk (`choices[0].text`) or chat chunk (`choices[0].delta.content`):
    /// its text (empty for role-only and usage-only chunks) and the usage when it carries one.
    case chunk(text: String, usage: StreamUsage?)
    /// `{"error": ...}` in the stream, or an `event: error`.
    case error(String)

    /// Parses an event's data. Data that is not JSON of either shape is an error.
    init(_ event: ServerSentEvent) {
        let trimmed = event.data.trimmingASCIIWhitespace()
        if trimmed == "[DONE]" {
            self = .done
            return
        }
        guard let chunk = try? JSONDecoder().decode(StreamChunk.self, from: Data(trimmed.utf8)) else {
            self = .error("unreadable event: \(trimmed.prefix(200))")
            return
        }
        if let error = chunk.error {
            self = .error(error)
        } else if event.event == "error" {
            self = .error(trimmed)
        } else {
            let choice = chunk.choices?.first
            self = .chunk(text: choice?.text ?? choice?.delta?.content ?? "", usage: chunk.usage)
        }
    }
}

extension StreamPayload {
    /// The message of an OpenAI error object (`{"error": {"message": ...}}` or
    /// `{"error": "..."}`), nil when `json` is not one.
    static func errorMessage(inJSON json: String) -> String? {
        (try? JSONDecoder().decode(StreamChunk.self, from: Data(json.utf8)))?.error
    }
}

/// Token counts a server reports in a stream (`usage`, in the last chunk or a chunk of its own).
struct StreamUsage: Equatable, Sendable, Decodable {
    var promptTokens: Int?
    var completionTokens: Int?

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
    }
}

/// The fields of a streamed chunk a load generator needs.
private struct StreamChunk: Decodable {
    struct Choice: Decodable {
        struct Delta: Decodable {
            var content: String?
        }
        var text: String?
        var delta: Delta?
    }

    var choices: [Choice]?
    var usage: StreamUsage?
    /// `error.message`, or `error` itself when it is a string.
    var error: String?

    enum CodingKeys: String, CodingKey {
        case choices, usage, error
    }

    private struct ErrorBody: Decodable {
        var message: String?
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        choices = try? c.decodeIfPresent([Choice].self, forKey: .choices)
        usage = try? c.decodeIfPresent(StreamUsage.self, forKey: .usage)
        if let body = try? c.decodeIfPresent(ErrorBody.self, forKey: .error) {
            error = body.message ?? "error"
        } else if let text = try? c.decodeIfPresent(String.self, forKey: .error) {
            error = text
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    func trimmingASCIIWhitespace() -> String {
        let utf8 = self.utf8
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: utf8[first...last], as: UTF8.self)
    }
}
