import Engine

/// A token with its log-probability as the API shows it: its text (invalid UTF-8 repaired) and bytes.
struct ShownToken: Sendable {
    var text: String
    var bytes: [UInt8]
    /// Finite: JSON has no infinity; an impossible token shows OpenAI's -9999.
    var logprob: Double
}

/// One generated token's log-probability and its alternatives, where its text starts in the
/// response's text (in Unicode scalars, as `text_offset` counts).
struct ShownLogprob: Sendable {
    var token: ShownToken
    var top: [ShownToken]
    var textOffset: Int
}

/// Turns the engine's token ids into what the API shows, keeping the running text offset.
struct LogprobRenderer {
    let backend: any CompletionBackend
    /// Where the next token's text starts (after `echo`'s prompt text, if any).
    var textOffset: Int

    mutating func render(_ entries: [TokenLogprobs]) -> [ShownLogprob] {
        entries.map { entry in
            let token = show(entry.token, entry.logprob)
            defer { textOffset += token.text.unicodeScalars.count }
            return ShownLogprob(token: token, top: entry.top.map { show($0.token, $0.logprob) }, textOffset: textOffset)
        }
    }

    private func show(_ id: TokenID, _ logprob: Float) -> ShownToken {
        let bytes = backend.pieceBytes(id)
        return ShownToken(text: String(decoding: bytes, as: UTF8.self), bytes: bytes, logprob: logprob.isFinite ? Double(logprob) : -9999)
    }
}

/// `choices[].logprobs` of a chat completion (and of each stream chunk):
/// `{content: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}], refusal: null}`.
struct ChatLogprobs: Encodable {
    struct Top: Encodable {
        var token: String
        var logprob: Double
        var bytes: [UInt8]
    }

    struct Content: Encodable {
        var token: String
        var logprob: Double
        var bytes: [UInt8]
        var topLogprobs: [Top]

        enum CodingKeys: String, CodingKey {
            case token, logprob, bytes
            case topLogprobs = "top_logprobs"
        }
    }

    var content: [Content]
    var refusal = Nullable<String>.null

    init(_ shown: [ShownLogprob]) {
        content = shown.map { entry in
            Content(token: entry.token.text, logprob: entry.token.logprob, bytes: entry.token.bytes,
                    topLogprobs: entry.top.map { Top(token: $0.text, logprob: $0.logprob, bytes: $0.bytes) })
        }
    }
}

/// `choices[].logprobs` of a text completion (the legacy shape):
/// `{tokens, token_logprobs, top_logprobs: [{text: logprob}], text_offset}`.
struct CompletionLogprobs: Encodable {
    var tokens: [String]
    var tokenLogprobs: [Double]
    var topLogprobs: [[String: Double]]
    var textOffset: [Int]

    enum CodingKeys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case topLogprobs = "top_logprobs"
        case textOffset = "text_offset"
    }

    init(_ shown: [ShownLogprob]) {
        tokens = shown.map(\.token.text)
        tokenLogprobs = shown.map(\.token.logprob)
        // Two alternatives with one text (different ids) show once, with the likelier logprob.
        topLogprobs = shown.map { entry in Dictionary(entry.top.map { ($0.text, $0.logprob) }, uniquingKeysWith: max) }
        textOffset = shown.map(\.textOffset)
    }
}
