import Engine
import FuzzSupport

// A Hugging Face `tokenizer.json` as a BERT model directory's is read (`WordPieceTokenizer`:
// model, vocabulary, normalizer, added tokens), then an encode and a truncation.
// Every refusal must be a `ModelFileError`.

private let file = MemoryFile("tokenizer-json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    file.run(data, size) { path in
        let tokenizer = try WordPieceTokenizer(path: path)
        let ids = tokenizer.encode(sampleText)
        _ = tokenizer.truncate(ids, to: 8)
    }
}
