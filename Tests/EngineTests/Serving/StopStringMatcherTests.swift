import Engine
import Testing

/// Stop strings are cut exactly, even when split across pieces; nothing else is held for long.
@Suite struct StopStringMatcherTests {
    static func run(_ pieces: [String], stops: [String]) -> (text: String, stopped: Bool) {
        var m = StopStringMatcher(stops: stops)
        var out = ""
        for p in pieces {
            let (release, stopped) = m.append(p)
            out += release
            if stopped { return (out, true) }
        }
        return (out + m.finish(), false)
    }

    @Test func noStops() {
        #expect(Self.run(["a", "b"], stops: []) == ("ab", false))
    }

    @Test func stopInsideOnePiece() {
        #expect(Self.run(["Hello. The end", " and more"], stops: ["The end"]) == ("Hello. ", true))
    }

    @Test func stopSplitAcrossPieces() {
        #expect(Self.run(["Hello <", "|e", "nd|> tail"], stops: ["<|end|>"]) == ("Hello ", true))
    }

    @Test func aFalseStartIsReleased() {
        #expect(Self.run(["a <", "|x", " b"], stops: ["<|end|>"]) == ("a <|x b", false))
    }

    @Test func earliestOfSeveralStopsWins() {
        #expect(Self.run(["one two three"], stops: ["three", "two"]) == ("one ", true))
    }

    @Test func heldTextIsOnlyAPossiblePrefix() {
        var m = StopStringMatcher(stops: ["\n\n"])
        #expect(m.append("line\n").release == "line")
        #expect(m.append("x").release == "\nx")
    }
}
