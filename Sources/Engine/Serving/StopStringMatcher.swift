/// Streams text while watching for stop strings: text that could still be the start of a
/// stop string is held back until it is clearly not; a complete match ends the text there
/// (the stop string itself is not returned).
public struct StopStringMatcher: Sendable {
    public let stops: [String]
    private var held = ""

    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
    }

    /// Adds `text`; returns what can be released now, and whether a stop string matched
    /// (then nothing after it is ever released).
    public mutating func append(_ text: String) -> (release: String, stopped: Bool) {
        guard !stops.isEmpty else { return (text, false) }
        held += text
        // The earliest complete match wins.
        var earliest: String.Index?
        for stop in stops {
            if let range = held.firstRange(of: stop), earliest.map({ range.lowerBound < $0 }) ?? true {
                earliest = range.lowerBound
            }
        }
        if let cut = earliest {
            let out = String(held[..<cut])
            held = ""
            return (out, true)
        }
        // Hold back the longest suffix that is a proper prefix of some stop string.
        var keep = 0
        for stop in stops {
            let maxLength = min(stop.count - 1, held.count)
            var n = maxLength
            while n > keep {
                if held.hasSuffix(stop.prefix(n)) {
                    keep = n
                    break
                }
                n -= 1
            }
        }
        let cut = held.index(held.endIndex, offsetBy: -keep)
        let out = String(held[..<cut])
        held = String(held[cut...])
        return (out, false)
    }

    /// Releases whatever is held (generation ended without a match).
    public mutating func finish() -> String {
        defer { held = "" }
        return held
    }
}
