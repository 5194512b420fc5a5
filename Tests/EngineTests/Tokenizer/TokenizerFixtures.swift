import Foundation
import Testing
@testable import Engine
import TestSupport

/// Tokenizers built once from the committed model files, and the llama.cpp vocabulary
/// goldens (`models/vocab/*.gguf.inp` / `.out`, ids from Hugging Face tokenizers for
/// llama-spm and gpt-2, from llama.cpp's `llama-tokenize` for smollm2).
enum TokenizerFixtures {
    static let llamaSPM = load { () throws(ModelFileError) in
        try Vocabulary(gguf: GGUFFile(path: Fixtures.model("vocab/ggml-vocab-llama-spm.gguf")))
    }
    static let gpt2 = load { () throws(ModelFileError) in
        try Vocabulary(gguf: GGUFFile(path: Fixtures.model("vocab/ggml-vocab-gpt-2.gguf")))
    }
    /// SmolLM2's byte-level BPE vocabulary (`tokenizer.ggml.pre` = `smollm`), with its chat template.
    static let smollm2 = load { () throws(ModelFileError) in
        try Vocabulary(gguf: GGUFFile(path: Fixtures.model("vocab/ggml-vocab-smollm2.gguf")))
    }
    /// The Llama 2 vocabulary as llama2.c exported it.
    static let llama2c = load { () throws(ModelFileError) in
        try Vocabulary(llama2cTokenizerAt: Fixtures.model("tokenizer.bin"), vocabularySize: 32000)
    }
    static let stories260K = load { () throws(ModelFileError) in
        try Vocabulary(gguf: GGUFFile(path: Fixtures.model("stories260K.gguf")))
    }
    static let tok512 = load { () throws(ModelFileError) in
        try Vocabulary(llama2cTokenizerAt: Fixtures.model("tok512.bin"), vocabularySize: 512)
    }

    private static func load(_ vocabulary: () throws(ModelFileError) -> Vocabulary) -> Result<Tokenizer, ModelFileError> {
        Result { () throws(ModelFileError) in try Tokenizer(vocabulary: vocabulary()) }
    }

    /// One golden case: the text and the ids Hugging Face produces for it (no BOS).
    struct Case: Sendable, CustomTestStringConvertible {
        let index: Int
        let text: String
        let ids: [TokenID]
        var testDescription: String { "#\(index) \(text.debugDescription.prefix(40))" }
    }

    static let llamaSPMCases = cases("vocab/ggml-vocab-llama-spm.gguf")
    static let gpt2Cases = cases("vocab/ggml-vocab-gpt-2.gguf")
    /// llama.cpp's standard 46 strings, ids by llama.cpp b11312's `llama-tokenize`.
    static let smollm2Cases = cases("vocab/ggml-vocab-smollm2.gguf")

    /// The `.inp` texts are separated by `"\n__ggml_vocab_test__\n"` (the file ends with one,
    /// which adds no case); `.out` has one line of space-separated ids per case.
    static func cases(_ name: String) -> [Case] {
        cases(input: name + ".inp", output: name + ".out")
    }

    /// Cases from an `.inp` file and an `.out` file of the same layout.
    static func cases(input inputName: String, output outputName: String) -> [Case] {
        guard let input = FileManager.default.contents(atPath: Fixtures.model(inputName)),
              let output = FileManager.default.contents(atPath: Fixtures.model(outputName)) else { return [] }
        let separator = Array("\n__ggml_vocab_test__\n".utf8)
        var texts: [String] = []
        var bytes = [UInt8](input)[...]
        while let range = firstRange(of: separator, in: bytes) {
            texts.append(String(decoding: bytes[..<range.lowerBound], as: UTF8.self))
            bytes = bytes[range.upperBound...]
        }
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return texts.enumerated().map { i, text in
            let ids = i < lines.count ? lines[i].split(separator: " ").compactMap { TokenID($0) } : [-1]
            return Case(index: i, text: text, ids: ids)
        }
    }

    private static func firstRange(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Range<Int>? {
        guard haystack.count >= needle.count else { return nil }
        var i = haystack.startIndex
        while i + needle.count <= haystack.endIndex {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }
}
