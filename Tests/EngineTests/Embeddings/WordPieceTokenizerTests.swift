import Engine
import Testing
import TestSupport

/// WordPiece against Hugging Face `tokenizers` on the same `tokenizer.json`: accents, CJK,
/// punctuation, whitespace runs, control characters, unknown and over-long words, special
/// tokens in the text, and input over the model's maximum length.
@Suite struct WordPieceTokenizerTests {
    @Test func everyGoldenCaseGivesHuggingFacesIDs() throws {
        let model = try TestModels.minilm()
        let goldens = MiniLMGoldens.shared
        #expect(goldens.wordpiece.count >= 40)
        for golden in goldens.wordpiece + goldens.embeddings.map({ .init(text: $0.text, ids: $0.ids) }) {
            let ids = model.tokenizer.truncate(model.tokenizer.encode(golden.text), to: goldens.maxLength)
            #expect(ids == golden.ids, "\(golden.text.debugDescription.prefix(80))")
        }
    }

    @Test func specialTokensAndFraming() throws {
        let tokenizer = try TestModels.minilm().tokenizer
        #expect(tokenizer.classification == 101 && tokenizer.separator == 102 && tokenizer.padding == 0)
        #expect(tokenizer.encode("") == [101, 102])
        // Spelled special tokens are matched before lowercasing; their lowercase forms are text.
        #expect(tokenizer.encode("[MASK]") == [101, 103, 102])
        #expect(tokenizer.encode("[mask]") != [101, 103, 102])
    }

    /// Cases Hugging Face `tokenizers` 0.23.3 answered, beyond the goldens: unassigned code
    /// points are kept (and make their word `[UNK]`); BERT's CJK Extension F range starts at
    /// U+2B920; `e` + U+0301 is not the vocabulary's `é` once accents are kept.
    @Test func hardCasesMatchHuggingFace() throws {
        let tokenizer = try TestModels.minilm().tokenizer
        #expect(tokenizer.encode("a\u{378}b") == [101, 100, 102])
        #expect(tokenizer.encode("a\u{2B820}b") == [101, 100, 102])
        #expect(tokenizer.encode("a\u{2B920}b") == [101, 1037, 100, 1038, 102])
        // A long run of 100-character words stays exact: one piece lookup per candidate, no strings.
        let word = String(repeating: "q", count: 100)
        let ids = tokenizer.encode(Array(repeating: word, count: 2000).joined(separator: " "))
        #expect(ids.count == 2 + 2000 * tokenizer.encode(word).dropFirst().dropLast().count)
    }

    @Test func truncationKeepsSeparatorLast() throws {
        let tokenizer = try TestModels.minilm().tokenizer
        let ids = tokenizer.encode(String(repeating: "word ", count: 300))
        #expect(ids.count == 302)
        let cut = tokenizer.truncate(ids, to: 256)
        #expect(cut.count == 256 && cut.first == 101 && cut.last == 102)
        #expect(Array(cut[1..<255]) == Array(ids[1..<255]))
        #expect(tokenizer.truncate([101, 7592, 102], to: 256) == [101, 7592, 102])
    }
}
