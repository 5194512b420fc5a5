import Engine
import FuzzSupport

// A llama2.c tokenizer file (`tokenizer.bin`) as `ModelLoader` reads it beside a checkpoint:
// the input is the vocabulary size (the checkpoint header's, a little-endian int32) followed
// by the file. Then the vocabulary conversion, the SentencePiece tokenizer, and an encode and
// decode. Every refusal must be a `ModelFileError`.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 4 else { return 0 }
    let vocabularySize = Int(UnsafeRawPointer(data).loadUnaligned(as: Int32.self).littleEndian)
    let bytes = UnsafeRawBufferPointer(start: data + 4, count: size - 4)
    do {
        let tokenizerFile = try Llama2CTokenizerFile(bytes: bytes, vocabularySize: vocabularySize)
        let tokenizer = try Tokenizer(vocabulary: Vocabulary(llama2c: tokenizerFile))
        let ids = tokenizer.encode(sampleText, addBOS: true, parseSpecial: true)
        _ = tokenizer.decode(ids)
        var stream = StreamingDetokenizer(tokenizer: tokenizer, previous: tokenizer.vocabulary.bos)
        for id in 0..<min(tokenizer.vocabulary.count, 4096) { _ = stream.append(TokenID(id)) }
        _ = stream.finish()
    } catch {
        _ = error.description
    }
    return 0
}
