import Foundation
import Testing
@testable import Engine

/// Encoding stays O(n log n): long inputs, including one enormous word (no spaces for the
/// pre-tokenizer to split on), encode in bounded time.
@Suite struct TokenizerPerformanceTests {
    static let prose: String = {
        let cases = TokenizerFixtures.llamaSPMCases.map(\.text).joined(separator: " ")
        return String(repeating: cases + "\n", count: 40)
    }()

    static func measure(_ body: () -> Int) -> (tokens: Int, seconds: Double) {
        let clock = ContinuousClock()
        var tokens = 0
        let elapsed = clock.measure { tokens = body() }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return (tokens, seconds)
    }

    @Test(arguments: ["llama", "gpt2"])
    func throughput(_ kind: String) throws {
        let tokenizer = try kind == "llama" ? TokenizerFixtures.llamaSPM.get() : TokenizerFixtures.gpt2.get()
        let text = Self.prose
        let (tokens, seconds) = Self.measure { tokenizer.encode(text, addBOS: false).count }
        print("\(kind): \(text.utf8.count) bytes -> \(tokens) tokens in \(seconds) s, \(Int(Double(tokens) / seconds)) tokens/s")
        #expect(tokens > 10_000)
    }

    @Test(arguments: ["llama", "gpt2"])
    func longWordsDoNotBlowUp(_ kind: String) throws {
        let tokenizer = try kind == "llama" ? TokenizerFixtures.llamaSPM.get() : TokenizerFixtures.gpt2.get()
        for word in [String(repeating: "a", count: 100_000), String(repeating: "ab1", count: 30_000), String(repeating: "😁", count: 20_000)] {
            let (tokens, seconds) = Self.measure { tokenizer.encode(word, addBOS: false).count }
            print("\(kind): word of \(word.utf8.count) bytes -> \(tokens) tokens in \(seconds) s")
            #expect(tokens > 0)
            #expect(seconds < 30)
        }
    }
}
