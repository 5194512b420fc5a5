import Engine

/// Reads a chat reply for the calls of the request's tools, whole or as it streams.
struct ToolReplies: Sendable {
    let format: ToolCallFormat
    let tools: [ToolDefinition]

    /// The reply's text outside its calls, and the calls with fresh ids; nil when it calls nothing.
    func read(_ text: String) -> (content: String, calls: [ToolCall])? {
        guard let parsed = format.parse(text, tools: tools) else { return nil }
        return (parsed.content, parsed.calls.map { ToolCall(id: Self.newID(), name: $0.name, arguments: $0.arguments) })
    }

    /// `call_` and 24 random letters and digits, as OpenAI's ids look.
    static func newID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return "call_" + String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}

/// One streamed choice of a reply that may call tools: text goes out as it comes until
/// something that may begin a call appears (a call marker, or the start of one at the end of
/// the text so far); from a marker on, the rest is held back and read for calls at the end.
struct ToolCallStream {
    let replies: ToolReplies
    private var bytes: [UInt8] = []
    private var sent = 0
    private var holding = false

    init(_ replies: ToolReplies) { self.replies = replies }

    /// The text that can go out now, after `piece`.
    mutating func feed(_ piece: String) -> String {
        bytes += piece.utf8
        guard !holding else { return "" }
        let markers = replies.format.callMarkers.map { Array($0.utf8) }
        var end = bytes.count
        var i = sent
        scan: while i < bytes.count {
            for marker in markers {
                let available = min(marker.count, bytes.count - i)
                if bytes[i..<(i + available)].elementsEqual(marker[0..<available]) {
                    // A whole marker holds the rest for good; a marker's beginning at the end, for now.
                    if available == marker.count { holding = true }
                    end = i
                    break scan
                }
            }
            i += 1
        }
        defer { sent = end }
        return String(decoding: bytes[sent..<end], as: UTF8.self)
    }

    /// At the end: the held text that is not a call, and the calls.
    mutating func finish() -> (text: String, calls: [ToolCall]) {
        let whole = String(decoding: bytes, as: UTF8.self)
        if holding, let (_, calls) = replies.read(whole) {
            sent = bytes.count
            return ("", calls)
        }
        defer { sent = bytes.count }
        return (String(decoding: bytes[sent...], as: UTF8.self), [])
    }
}
