/// One server-sent event: its `event:` name, if any, and its `data:` lines joined by `\n`.
struct ServerSentEvent: Equatable, Sendable {
    var event: String?
    var data: String
}

/// The `text/event-stream` format (WHATWG HTML, "Server-sent events"), parsed incrementally:
/// bytes arrive in pieces that may split a line, a `\r\n` or a UTF-8 character anywhere;
/// complete events come out. Lines end with `\n`, `\r\n` or `\r`; a blank line dispatches the
/// event; `:` starts a comment; `data:` and `event:` are kept (`id:` and `retry:` ignored);
/// one space after the colon is dropped.
struct ServerSentEventParser {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var event: String?
    /// The previous byte ended a line with `\r`; a `\n` right after it belongs to that ending.
    private var afterCR = false

    /// Feeds the next bytes of the stream; returns the events they complete.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for b in bytes {
            if afterCR {
                afterCR = false
                if b == 0x0A { continue }
            }
            switch b {
            case 0x0A:
                endLine(into: &events)
            case 0x0D:
                endLine(into: &events)
                afterCR = true
            default:
                line.append(b)
            }
        }
        return events
    }

    /// Ends the stream: a last event without its blank line is dispatched too (servers that
    /// close right after `data: [DONE]\n` lose nothing).
    mutating func finish() -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        dispatch(into: &events)
        return events
    }

    private mutating func endLine(into events: inout [ServerSentEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else {
            dispatch(into: &events)
            return
        }
        if line[0] == 0x3A { return }  // ":" comment
        let colon = line.firstIndex(of: 0x3A) ?? line.count
        var valueStart = min(colon + 1, line.count)
        if valueStart < line.count, line[valueStart] == 0x20 { valueStart += 1 }
        let field = line[..<colon]
        let value = line[valueStart...]
        if field.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            event = String(decoding: value, as: UTF8.self)
        }
    }

    private mutating func dispatch(into events: inout [ServerSentEvent]) {
        if hasData { events.append(ServerSentEvent(event: event, data: String(decoding: data, as: UTF8.self))) }
        data.removeAll(keepingCapacity: true)
        hasData = false
        event = nil
    }
}
