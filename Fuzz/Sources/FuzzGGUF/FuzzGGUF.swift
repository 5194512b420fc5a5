import Engine
import FuzzSupport

// A GGUF file as `ModelLoader` and `strata inspect` open it: header, metadata and tensor table
// (`GGUFFile`), the architecture's hyperparameters and tensor layout (`Runnability`, which
// builds the model), the vocabulary and tokenizer from `tokenizer.ggml.*`, and the chat
// template from `tokenizer.chat_template`. Every refusal must be a `ModelFileError`.

private let file = MemoryFile("gguf")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    file.write(data, size)
    let gguf: GGUFFile
    do {
        gguf = try GGUFFile(path: file.path)
    } catch {
        _ = error.description
        return 0
    }
    _ = Runnability(gguf: gguf).report
    _ = ModelInspector.report(gguf: gguf)
    let vocabulary: Vocabulary, tokenizer: Tokenizer
    do {
        vocabulary = try Vocabulary(gguf: gguf)
        tokenizer = try Tokenizer(vocabulary: vocabulary)
    } catch {
        _ = error.description
        return 0
    }
    let ids = tokenizer.encode(sampleText, addBOS: true, parseSpecial: true)
    _ = tokenizer.decode(ids)
    _ = tokenizer.encode(sampleText, addBOS: false)
    // Every token through the streaming detokenizer, as a server streams them.
    var stream = StreamingDetokenizer(tokenizer: tokenizer)
    for id in 0..<min(vocabulary.count, 4096) { _ = stream.append(TokenID(id)) }
    _ = stream.finish()
    let template = ChatTemplate(gguf: gguf, vocabulary: vocabulary)
    _ = try? tokenizer.encodeChat(sampleMessages.map { ChatMessage(role: $0.role, content: $0.content) }, template: template)
    return 0
}
