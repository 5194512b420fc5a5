import Testing
@testable import Engine

/// Long inputs, including enormous words with no spaces for the pre-tokenizer to split on,
/// encode and decode back exactly. (Speed is measured in benchmarks, not here.)
@Suite struct TokenizerLongInputTests {
    static let prose: String = {
        let cases = TokenizerFixtures.llamaSPMCases.map(\.text).joined(separator: " ")
        return String(repeating: cases + "\n", count: 40)
    }()

    @Test(arguments: ["llama", "gpt2"])
    func longProseRoundTrips(_ kind: String) throws {
        let tokenizer = try kind == "llama" ? TokenizerFixtures.llamaSPM.get() : TokenizerFixtures.gpt2.get()
        let ids = tokenizer.encode(Self.prose, addBOS: false)
        #expect(ids.count > 10_000)
        #expect(tokenizer.decode(ids) == Self.prose)
    }

    @Test(arguments: ["llama", "gpt2"])
    func longWordsRoundTrip(_ kind: String) throws {
        let tokenizer = try kind == "llama" ? TokenizerFixtures.llamaSPM.get() : TokenizerFixtures.gpt2.get()
        for word in [String(repeating: "a", count: 100_000), String(repeating: "ab1", count: 30_000), String(repeating: "😁", count: 20_000)] {
            let ids = tokenizer.encode(word, addBOS: false)
            #expect(!ids.isEmpty)
            #expect(tokenizer.decode(ids) == word)
        }
    }
}
