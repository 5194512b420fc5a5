import Foundation
import Testing
@testable import Engine
import TestSupport

/// llama2.c's tokenizer files: its `test.c` expectations, TinyStories' 512-token vocabulary
/// read both ways, and hostile files.
@Suite struct TokenizerLlama2CTests {
    /// llama2.c `test.c` (encode with BOS and the dummy-prefix space), Llama 2 vocabulary.
    @Test(arguments: [
        ("", [1] as [TokenID]),
        ("I believe the meaning of life is", [1, 306, 4658, 278, 6593, 310, 2834, 338]),
        ("Simply put, the theory of relativity states that ",
         [1, 3439, 17632, 1925, 29892, 278, 6368, 310, 14215, 537, 5922, 393, 29871]),
    ])
    func llama2cTestCases(text: String, expected: [TokenID]) throws {
        let bin = try TokenizerFixtures.llama2c.get()
        let gguf = try TokenizerFixtures.llamaSPM.get()
        #expect(bin.encode(text, addBOS: true) == expected)
        #expect(gguf.encode(text, addBOS: true) == expected)
        #expect(bin.decode(expected) == text)
    }

    @Test func stories260KVocabularyEqualsTok512() throws {
        let gguf = try TokenizerFixtures.stories260K.get().vocabulary
        let bin = try TokenizerFixtures.tok512.get().vocabulary
        #expect(gguf.count == 512 && bin.count == 512)
        #expect(gguf.tokens == bin.tokens)
        #expect(gguf.scores == bin.scores)
        #expect(gguf.types == bin.types)
        #expect(gguf.bos == 1 && bin.bos == 1 && gguf.eos == 2 && bin.eos == 2 && gguf.unknown == 0 && bin.unknown == 0)
        // stories260K.gguf stores padding 0xFFFFFFFF: outside the vocabulary, so none (as llama.cpp).
        #expect(gguf.padding == nil)
    }

    static let storyTexts = TokenizerFixtures.llamaSPMCases.map(\.text) + [
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine.",
        "Tom said, \"Look! A big red ball!\"\n\nThe end. 😁 ünïcödé 中文",
    ]

    @Test(arguments: storyTexts)
    func stories260KEncodesLikeTok512(_ text: String) throws {
        let gguf = try TokenizerFixtures.stories260K.get()
        let bin = try TokenizerFixtures.tok512.get()
        let ids = gguf.encode(text, addBOS: true)
        #expect(ids == bin.encode(text, addBOS: true))
        #expect(Array(gguf.decode(ids).utf8) == Array(text.utf8))
    }

    // MARK: - Hostile files

    static func tok512Bytes() throws -> [UInt8] {
        try #require(FileManager.default.contents(atPath: Fixtures.model("tok512.bin"))).map { $0 }
    }

    static func parse(_ bytes: [UInt8], vocabularySize: Int = 512) throws(ModelFileError) -> Llama2CTokenizerFile {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ModelFileError) in try Llama2CTokenizerFile(bytes: raw, vocabularySize: vocabularySize) }
        }
        return try result.get()
    }

    /// Offsets of each token's score field in tok512.bin.
    static func tokenOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var o = 4
        for _ in 0..<512 {
            offsets.append(o)
            let length = bytes[(o + 4)..<(o + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
            o += 8 + length
        }
        return offsets
    }

    @Test func wholeTok512Parses() throws {
        let bytes = try Self.tok512Bytes()
        let file = try Self.parse(bytes)
        #expect(file.maxTokenLength == 7)
        #expect(file.pieces.count == 512 && file.scores.count == 512)
        #expect(file.pieces[1] == Array("\n<s>\n".utf8))
    }

    /// Every proper prefix of the file fails with a typed error, never a crash.
    @Test func everyTruncationThrows() throws {
        let bytes = try Self.tok512Bytes()
        for cut in 0..<bytes.count {
            #expect(throws: ModelFileError.self, "cut at \(cut)") { try Self.parse(Array(bytes[..<cut])) }
        }
    }

    /// Cuts at each field boundary name what was being read.
    @Test func truncationAtFieldBoundariesIsReported() throws {
        let bytes = try Self.tok512Bytes()
        for (token, offset) in Self.tokenOffsets(bytes).enumerated().dropFirst(300) {
            let length = Int(bytes[offset + 4])  // pieces are short: the low byte is the length
            // Inside the score, after it, inside the length, and inside the piece.
            for cut in [offset + 2, offset + 4, offset + 6, offset + 8 + length - 1] {
                do {
                    _ = try Self.parse(Array(bytes[..<cut]), vocabularySize: token + 1)
                    Issue.record("cut at \(cut) in token \(token) parsed")
                } catch {
                    guard case .truncated(let section, _, _, let size) = error else {
                        Issue.record("cut at \(cut): \(error)")
                        continue
                    }
                    #expect(section == "llama2.c tokenizer token \(token)")
                    #expect(size == cut)
                }
            }
        }
    }

    @Test func truncatedFileOnDisk() throws {
        let bytes = try Self.tok512Bytes()
        let path = Fixtures.temporaryPath("tok512-cut.bin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes[..<(bytes.count - 1)]))
        #expect(throws: ModelFileError.self) { try Vocabulary(llama2cTokenizerAt: path, vocabularySize: 512) }
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: ModelFileError.file(.empty(path: path))) { try Vocabulary(llama2cTokenizerAt: path, vocabularySize: 512) }
        #expect(throws: ModelFileError.file(.missing(path: path + ".absent"))) {
            try Vocabulary(llama2cTokenizerAt: path + ".absent", vocabularySize: 512)
        }
    }

    static func withInt32(_ bytes: [UInt8], at offset: Int, _ value: Int32) -> [UInt8] {
        var out = bytes
        withUnsafeBytes(of: value.littleEndian) { out.replaceSubrange(offset..<(offset + 4), with: $0) }
        return out
    }

    @Test func negativeAndHugeLengthsThrow() throws {
        let bytes = try Self.tok512Bytes()
        let lengthOfToken5 = Self.tokenOffsets(bytes)[5] + 4
        for length: Int32 in [-1, Int32.min, 8, Int32.max] {
            #expect(throws: ModelFileError.self, "length \(length)") {
                try Self.parse(Self.withInt32(bytes, at: lengthOfToken5, length))
            }
        }
        #expect(throws: ModelFileError.invalidTokenizer("token 5 has length -1")) {
            try Self.parse(Self.withInt32(bytes, at: lengthOfToken5, -1))
        }
        // A header that allows anything still cannot make a token outrun the file.
        let permissive = Self.withInt32(bytes, at: 0, Int32.max)
        #expect(throws: ModelFileError.self) {
            try Self.parse(Self.withInt32(permissive, at: lengthOfToken5, Int32.max - 1))
        }
        for header: Int32 in [0, -1, Int32.min] {
            #expect(throws: ModelFileError.invalidTokenizer("max_token_length is \(header); it must be positive")) {
                try Self.parse(Self.withInt32(bytes, at: 0, header))
            }
        }
    }

    @Test func absurdVocabularySizesThrow() throws {
        let bytes = try Self.tok512Bytes()
        for size in [0, -1, Int.min] {
            #expect(throws: ModelFileError.invalidTokenizer("vocabulary size is \(size); it must be positive")) {
                try Self.parse(bytes, vocabularySize: size)
            }
        }
        let limit = UInt64((bytes.count - 4) / 8)
        #expect(throws: ModelFileError.absurdCount(what: "vocabulary size", count: 1 << 40, limit: limit)) {
            try Self.parse(bytes, vocabularySize: 1 << 40)
        }
        #expect(throws: ModelFileError.self) { try Self.parse(bytes, vocabularySize: Int.max) }
        // Asking for more tokens than the file holds runs out of bytes.
        #expect(throws: ModelFileError.self) { try Self.parse(bytes, vocabularySize: 600) }
    }

    @Test func duplicatePiecesAreRejected() throws {
        var bytes: [UInt8] = []
        bytes.append(le: Int32(6))  // max_token_length
        for piece in ["<unk>", "\n<s>\n", "\n</s>\n", " a", " a"] {
            bytes.append(le: Float(0).bitPattern)
            bytes.append(le: Int32(piece.utf8.count))
            bytes.append(contentsOf: piece.utf8)
        }
        let file = try Self.parse(bytes, vocabularySize: 5)
        #expect(throws: ModelFileError.duplicate(what: "token", name: "▁a")) { try Vocabulary(llama2c: file) }
        #expect(throws: Never.self) { try Vocabulary(llama2c: Self.parse(bytes, vocabularySize: 4)) }
    }

    @Test func llama2cConventionsAreConverted() throws {
        let v = try TokenizerFixtures.llama2c.get().vocabulary
        #expect(v.tokens[0] == "<unk>" && v.types[0] == .unknown)
        #expect(v.tokens[1] == "<s>" && v.types[1] == .control)
        #expect(v.tokens[2] == "</s>" && v.types[2] == .control)
        #expect(v.tokens[3] == "<0x00>" && v.types[3] == .byte)
        #expect(v.tokens[13] == "<0x0A>" && v.types[13] == .byte)
        #expect(v.tokens[259] == "▁▁" && v.types[259] == .normal)
        #expect(v.addBOS && v.addSpacePrefix && !v.addEOS)
        #expect(v.endOfGeneration == [2])
    }
}
