import Testing
@testable import Engine

/// `StreamingDetokenizer`: text that is always valid UTF-8, and llama2.c's space after BOS.
@Suite struct TokenizerStreamingTests {
    static func stream(_ tokenizer: Tokenizer, _ ids: [TokenID], previous: TokenID? = nil) -> [String] {
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer, previous: previous)
        return ids.map { detokenizer.append($0) } + [detokenizer.finish()]
    }

    /// TinyStories' 512-token vocabulary has no emoji: 😁 falls back to four byte tokens,
    /// and the stream holds the first three bytes until the fourth completes the character.
    @Test func holdsPartialUTF8UntilComplete() throws {
        let tokenizer = try TokenizerFixtures.stories260K.get()
        let ids = tokenizer.encode("Once upon a time 😁", addBOS: true)
        let byteIDs = Array(ids.suffix(4))
        #expect(byteIDs.map { tokenizer.vocabulary.tokens[Int($0)] } == ["<0xF0>", "<0x9F>", "<0x98>", "<0x81>"])
        #expect(byteIDs.allSatisfy { tokenizer.vocabulary.types[Int($0)] == .byte })

        let chunks = Self.stream(tokenizer, ids)
        #expect(chunks.suffix(5) == ["", "", "", "😁", ""])
        #expect(chunks.joined() == "Once upon a time 😁")
        #expect(!chunks.joined().unicodeScalars.contains("\u{FFFD}"))
    }

    @Test func stripsTheSpaceAfterBOSOnly() throws {
        let tokenizer = try TokenizerFixtures.stories260K.get()
        let ids = tokenizer.encode("Once upon", addBOS: false)
        #expect(tokenizer.vocabulary.tokens[Int(ids[0])].hasPrefix("▁"))
        #expect(Self.stream(tokenizer, [1] + ids).joined() == "Once upon")
        #expect(Self.stream(tokenizer, ids, previous: 1).joined() == "Once upon")
        // Not after BOS: the piece's space is text.
        #expect(Self.stream(tokenizer, ids).joined() == " Once upon")
        #expect(Self.stream(tokenizer, ids, previous: ids[0]).joined() == " Once upon")
    }

    @Test func finishRepairsAnUnfinishedCharacter() throws {
        let tokenizer = try TokenizerFixtures.stories260K.get()
        let f0 = try #require(tokenizer.vocabulary.tokens.firstIndex(of: "<0xF0>")).asToken
        let x9f = try #require(tokenizer.vocabulary.tokens.firstIndex(of: "<0x9F>")).asToken
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        #expect(detokenizer.append(f0) == "")
        #expect(detokenizer.append(x9f) == "")
        #expect(detokenizer.finish() == String(decoding: [0xF0, 0x9F] as [UInt8], as: UTF8.self))
        #expect(detokenizer.finish() == "")
    }

    /// Bytes that can never start or continue a character are released (repaired) at once.
    @Test(arguments: [[0xFF], [0x80], [0xC0], [0xE0, 0x80], [0xED, 0xA0], [0xF4, 0x90], [0xF0, 0x9F, 0x41]] as [[UInt8]])
    func invalidBytesAreNotHeld(_ bytes: [UInt8]) throws {
        let tokenizer = try TokenizerFixtures.stories260K.get()
        let ids = bytes.map { b in tokenizer.vocabulary.tokens.firstIndex(of: "<0x\(b.hex)>")!.asToken }
        let chunks = Self.stream(tokenizer, ids)
        #expect(chunks.last == "", "nothing left for finish()")
        #expect(chunks.joined() == String(decoding: bytes, as: UTF8.self))
    }

    /// Streaming every golden case (BOS first) gives back the text; for gpt2 the emoji
    /// cases split characters across tokens.
    @Test(arguments: TokenizerFixtures.llamaSPMCases)
    func llamaStreamsEveryGoldenCase(_ c: TokenizerFixtures.Case) throws {
        let tokenizer = try TokenizerFixtures.llamaSPM.get()
        let chunks = Self.stream(tokenizer, [1] + c.ids)
        #expect(Array(chunks.joined().utf8) == Array(c.text.utf8))
        #expect(chunks.last == "")
    }

    @Test(arguments: TokenizerFixtures.gpt2Cases)
    func gpt2StreamsEveryGoldenCase(_ c: TokenizerFixtures.Case) throws {
        let tokenizer = try TokenizerFixtures.gpt2.get()
        let chunks = Self.stream(tokenizer, c.ids)
        #expect(Array(chunks.joined().utf8) == Array(c.text.utf8))
        #expect(chunks.last == "")
    }

    @Test func pieceBytesAndEndOfGeneration() throws {
        let llama = try TokenizerFixtures.llamaSPM.get()
        #expect(llama.pieceBytes(1) == [])
        #expect(llama.pieceBytes(2) == [])
        #expect(llama.pieceBytes(0) == [])
        #expect(llama.pieceBytes(13) == [0x0A])
        #expect(llama.pieceBytes(306) == Array(" I".utf8))
        #expect(llama.pieceBytes(-1) == [] && llama.pieceBytes(32000) == [])
        #expect(llama.isEndOfGeneration(2))
        #expect(!llama.isEndOfGeneration(1) && !llama.isEndOfGeneration(-1) && !llama.isEndOfGeneration(1 << 30))
        #expect(llama.decode([1, 306, 4658, 2]) == "I believe")

        let gpt2 = try TokenizerFixtures.gpt2.get()
        #expect(gpt2.pieceBytes(50256) == [])
        #expect(gpt2.pieceBytes(220) == [0x20])
        #expect(gpt2.pieceBytes(198) == [0x0A])
        #expect(gpt2.isEndOfGeneration(50256))
        #expect(gpt2.vocabulary.endOfGeneration == [50256])
        #expect(gpt2.encode("<|endoftext|>", addBOS: false) != [50256], "no special-token parsing")
        #expect(gpt2.encode("Hello", addBOS: true) == [50256, 15496])
    }
}

extension Int {
    var asToken: TokenID { TokenID(self) }
}

extension UInt8 {
    var hex: String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(self >> 4)], digits[Int(self & 15)]])
    }
}
