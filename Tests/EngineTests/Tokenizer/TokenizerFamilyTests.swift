import Testing
@testable import Engine
import TestSupport

/// The tokenizers of the families Strata runs, each against llama.cpp's vocabulary test
/// vectors: the 46 standard strings (`ggml-vocab-*.gguf.inp`/`.out`) and 15 more that reach
/// the corners of each pre-tokenizer (`extra.inp`: contractions in capitals, punctuation
/// before words, digit runs, newline runs, Unicode punctuation and digits, user-defined
/// tokens). Ids by llama.cpp b11312's `llama-tokenize --ids --no-bos --no-parse-special`,
/// which reproduces llama.cpp's own committed `.out` files for llama-spm, gpt-2, llama-bpe,
/// qwen2 and phi-3 exactly. `gpt-2.default` is the GPT-2 vocabulary with
/// `tokenizer.ggml.pre` set to `default` (llama.cpp's list for byte-level files that name
/// none).
enum TokenizerFamily: String, CaseIterable, Sendable {
    case llamaBPE = "llama-bpe"
    case qwen2
    case phi3 = "phi-3"
    case gemma3
    case gpt2Default = "gpt-2.default"
    case gpt2 = "gpt-2"
    case smollm2
    case llamaSPM = "llama-spm"

    /// The vocabulary file's name in `models/vocab`.
    var vocabularyFile: String {
        self == .gpt2Default ? "vocab/ggml-vocab-gpt-2.gguf" : "vocab/ggml-vocab-\(rawValue).gguf"
    }

    /// What the file's metadata should select.
    var expectedPreTokenizer: PreTokenizerKind? {
        switch self {
        case .llamaBPE: .llama3
        case .qwen2: .qwen2
        case .gpt2Default: .bpeDefault
        case .gpt2: .gpt2
        case .smollm2: .isolatedDigits
        case .phi3, .gemma3, .llamaSPM: nil
        }
    }

    var tokenizer: Result<Tokenizer, ModelFileError> { Self.tokenizers[self]! }

    private static let tokenizers: [TokenizerFamily: Result<Tokenizer, ModelFileError>] = {
        var all: [TokenizerFamily: Result<Tokenizer, ModelFileError>] = [:]
        for family in allCases {
            all[family] = Result { () throws(ModelFileError) in
                var vocabulary = try Vocabulary(gguf: GGUFFile(path: Fixtures.model(family.vocabularyFile)))
                if family == .gpt2Default { vocabulary = try vocabulary.with(preTokenizer: .bpeDefault) }
                return try Tokenizer(vocabulary: vocabulary)
            }
        }
        return all
    }()

    /// The standard 46 cases (the ones committed for llama-spm, gpt-2 and smollm2 are
    /// checked in `TokenizerGoldenTests` too).
    var standardCases: [TokenizerFixtures.Case] {
        let stem = vocabularyFile
        return TokenizerFixtures.cases(
            input: stem + ".inp", output: self == .gpt2Default ? "vocab/ggml-vocab-gpt-2.default.out" : stem + ".out")
    }

    var extraCases: [TokenizerFixtures.Case] {
        TokenizerFixtures.cases(input: "vocab/extra.inp", output: "vocab/ggml-vocab-\(rawValue).extra.out")
    }
}

/// One case of one family.
struct FamilyCase: Sendable, CustomTestStringConvertible {
    let family: TokenizerFamily
    let c: TokenizerFixtures.Case
    var testDescription: String { "\(family.rawValue) \(c.testDescription)" }

    static let all: [FamilyCase] = TokenizerFamily.allCases.flatMap { family in
        let standard = [TokenizerFamily.llamaBPE, .qwen2, .phi3, .gemma3, .gpt2Default].contains(family) ? family.standardCases : []
        return (standard + family.extraCases).map { FamilyCase(family: family, c: $0) }
    }
}

extension Vocabulary {
    /// This vocabulary with another pre-tokenizer.
    func with(preTokenizer: PreTokenizerKind) throws(ModelFileError) -> Vocabulary {
        try Vocabulary(
            kind: kind, preTokenizer: preTokenizer, tokens: tokens, scores: scores, types: types, merges: merges,
            bos: bos, eos: eos, unknown: unknown, padding: padding, addBOS: addBOS, addEOS: addEOS,
            addSpacePrefix: addSpacePrefix, endOfGeneration: endOfGeneration)
    }
}

@Suite struct TokenizerFamilyTests {
    @Test func everyFamilyHasItsCases() {
        for family in [TokenizerFamily.llamaBPE, .qwen2, .phi3, .gemma3, .gpt2Default] {
            #expect(family.standardCases.count == 46, "\(family)")
        }
        for family in TokenizerFamily.allCases {
            #expect(family.extraCases.count == 15, "\(family)")
        }
    }

    @Test(arguments: TokenizerFamily.allCases)
    func metadataSelectsThePreTokenizer(_ family: TokenizerFamily) throws {
        let vocabulary = try family.tokenizer.get().vocabulary
        if let expected = family.expectedPreTokenizer {
            #expect(vocabulary.kind == .gpt2)
            #expect(vocabulary.preTokenizer == expected)
        } else {
            #expect(vocabulary.kind == .llama)
        }
    }

    @Test(arguments: FamilyCase.all)
    func encodesLikeLlamaCpp(_ fc: FamilyCase) throws {
        let tokenizer = try fc.family.tokenizer.get()
        #expect(tokenizer.encode(fc.c.text, addBOS: false) == fc.c.ids)
    }

    /// Decoding gives the text back byte for byte.
    @Test(arguments: FamilyCase.all)
    func roundTrips(_ fc: FamilyCase) throws {
        let tokenizer = try fc.family.tokenizer.get()
        #expect(Array(tokenizer.decode(fc.c.ids).utf8) == Array(fc.c.text.utf8))
    }

    /// BOS as llama.cpp adds it: Llama 3 (no `add_bos_token` key: its pre-tokenizer's
    /// default), Gemma 3 and Phi-3 add theirs; Qwen2 and SmolLM2 add none.
    @Test func bosRules() throws {
        let expected: [TokenizerFamily: TokenID?] = [.llamaBPE: 128000, .gemma3: 2, .phi3: 1, .qwen2: nil, .smollm2: nil]
        for (family, bos) in expected {
            let vocabulary = try family.tokenizer.get().vocabulary
            #expect(vocabulary.addBOS == (bos != nil), "\(family)")
            if let bos { #expect(vocabulary.bos == bos, "\(family)") }
        }
    }

    /// Llama 3 ignores merges: a word that is a piece is that piece even where the merge
    /// order would not reach it. Every piece of ordinary text must encode to itself.
    @Test func llama3WordsThatArePiecesEncodeWhole() throws {
        let tokenizer = try TokenizerFamily.llamaBPE.tokenizer.get()
        for word in [" Hello", " tokenizer", "ing", " 123"] {
            let ids = tokenizer.encode(word, addBOS: false)
            if ids.count == 1 { #expect(tokenizer.decode(ids) == word) }
        }
        #expect(tokenizer.encode(" Hello", addBOS: false).count == 1)
    }

    /// Gemma's user-defined tokens (runs of newlines and spaces) are split out even without
    /// special-token parsing; its control tokens are not.
    @Test func gemmaSplitsUserDefinedTokensOnly() throws {
        let tokenizer = try TokenizerFamily.gemma3.tokenizer.get()
        let newlines = try #require(tokenizer.vocabulary.tokens.firstIndex(of: "\n\n\n"))
        #expect(tokenizer.encode("a\n\n\nb", addBOS: false).contains(TokenID(newlines)))
        let startOfTurn = try #require(tokenizer.vocabulary.tokens.firstIndex(of: "<start_of_turn>"))
        #expect(!tokenizer.encode("<start_of_turn>", addBOS: false).contains(TokenID(startOfTurn)))
        #expect(tokenizer.encode("<start_of_turn>", addBOS: false, parseSpecial: true) == [TokenID(startOfTurn)])
    }

    /// A pre-tokenizer llama.cpp names but Strata does not implement is refused by name,
    /// with the supported list.
    @Test func unknownPreTokenizerIsATypedError() throws {
        let path = Fixtures.model("vocab/ggml-vocab-gpt-2.gguf")
        var metadata = try GGUFFile(path: path).metadata
        metadata[Vocabulary.GGUFKey.preTokenizer] = .string("tekken")
        #expect {
            try Vocabulary(metadata: metadata)
        } throws: { error in
            guard case ModelFileError.invalidTokenizer(let message) = error else { return false }
            return message.contains("'tekken'") && message.contains("llama-bpe") && message.contains("qwen2")
        }
    }
}
