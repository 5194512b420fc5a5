import Testing
@testable import Engine

/// The pipeline stages on their own.
@Suite struct TokenizerStagesTests {
    /// Expected splits from Python's `regex` module running the GPT-2 pattern.
    @Test(arguments: [
        ("Hello world", ["Hello", " world"]),
        ("   Hello", ["  ", " Hello"]),
        ("a  \n\nb", ["a", "  \n", "\n", "b"]),
        ("I'm don't they're we've he'll she'd it's",
         ["I", "'m", " don", "'t", " they", "'re", " we", "'ve", " he", "'ll", " she", "'d", " it", "'s"]),
        ("'s'", ["'s", "'"]),
        ("hello   ", ["hello", "   "]),
        ("abc123 456", ["abc", "123", " 456"]),
        (" 123", [" 123"]),
        ("Ünïcödé ١٢٣ ½", ["Ünïcödé", " ١٢٣", " ½"]),
        ("\u{3000}x", ["\u{3000}", "x"]),
        ("a\u{A0}b", ["a", "\u{A0}", "b"]),
        ("x \u{2028}y", ["x", " ", "\u{2028}", "y"]),
        ("\u{1780}\u{17D2}\u{179A}\u{17BB}\u{1784}", ["\u{1780}", "\u{17D2}", "\u{179A}", "\u{17BB}", "\u{1784}"]),
        ("e\u{301}t\u{E9}", ["e", "\u{301}", "t\u{E9}"]),
        (" 'tis", [" '", "tis"]),
        ("''", ["''"]),
        ("😶\u{200D}🌫️", ["😶\u{200D}🌫️"]),
        ("a\tb", ["a", "\t", "b"]),
        ("\r\n", ["\r\n"]),
        ("ǅungla Ⅻ", ["ǅungla", " Ⅻ"]),
        ("", []),
    ] as [(String, [String])])
    func gpt2PreTokenizerSplitsLikeTheRegex(text: String, expected: [String]) {
        let utf8 = Array(text.utf8)
        let words = utf8.withUnsafeBufferPointer { GPT2PreTokenizer().split($0) }
        // Compare bytes: String == would accept canonically equivalent splits.
        #expect(words.map { Array(utf8[$0]) } == expected.map { Array($0.utf8) })
    }

    /// llama.cpp's `smollm` split: `\p{N}` matches first, and GPT-2's pattern then runs in
    /// each fragment on its own, so digits stand alone and whitespace before a digit stays
    /// whole (it ends its fragment).
    @Test(arguments: [
        ("abc123 456", ["abc", "1", "2", "3", " ", "4", "5", "6"]),
        (" 123", [" ", "1", "2", "3"]),
        ("x   7 y", ["x", "   ", "7", " y"]),
        ("x   y", ["x", "  ", " y"]),
        ("3.14", ["3", ".", "1", "4"]),
        ("Ünïcödé ١٢٣ ½", ["Ünïcödé", " ", "١", "٢", "٣", " ", "½"]),
        ("ǅungla Ⅻ", ["ǅungla", " ", "Ⅻ"]),
        ("I'm 2's", ["I", "'m", " ", "2", "'s"]),
        ("a\n\n1", ["a", "\n\n", "1"]),
        ("9", ["9"]),
        ("Hello world", ["Hello", " world"]),
        ("", []),
    ] as [(String, [String])])
    func isolatedDigitsPreTokenizerSplitsLikeLlamaCpp(text: String, expected: [String]) {
        let utf8 = Array(text.utf8)
        let words = utf8.withUnsafeBufferPointer { IsolatedDigitsPreTokenizer().split($0) }
        #expect(words.map { Array(utf8[$0]) } == expected.map { Array($0.utf8) })
    }

    @Test func sentencePieceNormalizer() {
        #expect(SentencePieceNormalizer(addSpacePrefix: true).normalize("a b\tc") == Array("▁a▁b\tc".utf8))
        #expect(SentencePieceNormalizer(addSpacePrefix: false).normalize(" a") == Array("▁a".utf8))
        #expect(SentencePieceNormalizer(addSpacePrefix: true).normalize("").isEmpty)
    }

    @Test func byteLevelMappingIsGPT2s() {
        #expect(ByteLevelMapping.scalarForByte[0x20] == 0x120)  // Ġ
        #expect(ByteLevelMapping.scalarForByte[0x0A] == 0x10A)  // Ċ
        #expect(ByteLevelMapping.scalarForByte[0x41] == 0x41)
        #expect(ByteLevelMapping.scalarForByte[0xAD] == 0x143)  // the last one
        #expect(Set(ByteLevelMapping.scalarForByte).count == 256)
        for b in 0..<256 { #expect(ByteLevelMapping.byte(for: ByteLevelMapping.scalarForByte[b]) == UInt8(b)) }
        #expect(ByteLevelMapping.byte(for: 0x144) == nil && ByteLevelMapping.byte(for: 0x20) == nil)
    }

    @Test(arguments: [
        ([], 0), ([0x41], 0), ([0xC3], 1), ([0xC3, 0xA9], 0), ([0xE2, 0x96], 2), ([0xE2], 1),
        ([0xF0, 0x9F, 0x98], 3), ([0xF0, 0x9F, 0x98, 0x81], 0), ([0x41, 0xF0], 1),
        ([0xE0, 0x80], 0), ([0xED, 0xA0], 0), ([0xF4, 0x90], 0), ([0xF5], 0), ([0xC1], 0), ([0x80], 0),
        ([0x80, 0x80, 0x80], 0), ([0xE0, 0xA0], 2), ([0xF4, 0x8F, 0xBF], 3),
    ] as [([UInt8], Int)])
    func incompleteUTF8Suffix(bytes: [UInt8], held: Int) {
        #expect(bytes.withUnsafeBufferPointer { UTF8Scalars.incompleteSuffixLength($0) } == held)
    }

    @Test func mergeQueuePopsBestFirstLeftmostOnTies() {
        struct C: MergeCandidate {
            var score: Int
            var left: Int
            func precedes(_ o: C) -> Bool { score > o.score || (score == o.score && left < o.left) }
        }
        var q = MergeQueue<C>()
        for (s, l) in [(1, 5), (3, 9), (3, 2), (0, 0), (7, 4), (3, 1)] { q.push(C(score: s, left: l)) }
        var popped: [Int] = []
        while let c = q.pop() { popped.append(c.left) }
        #expect(popped == [4, 1, 2, 9, 5, 0])
    }

    @Test func pieceIndexIsByteExact() {
        let index = PieceIndex(tokens: ["a", "\u{E9}", "e\u{301}", "ab"], include: { $0 != 3 })
        #expect(index.lookup("a") == 0)
        #expect(index.lookup("\u{E9}") == 1)
        #expect(index.lookup("e\u{301}") == 2)
        #expect(index.lookup("ab") == nil)
        #expect(index.lookup("") == nil)
        #expect(PieceIndex.firstDuplicate(in: ["x", "y", "x"]) == "x")
        #expect(PieceIndex.firstDuplicate(in: ["\u{E9}", "e\u{301}"]) == nil)
    }
}
