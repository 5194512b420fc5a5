import Memory

/// A model ready to run: weights mapped, tokenizer built.
public struct LoadedModel: Sendable {
    public enum Format: String, Sendable { case gguf, llama2c }

    public let path: String
    public let format: Format
    public let model: any DecoderModel
    public let tokenizer: Tokenizer
    /// Size of the model file in bytes.
    public let fileBytes: Int
    /// The GGUF `tokenizer.chat_template`, when the file has one.
    public var chatTemplate: String? = nil
    /// `general.name`, when the file has one.
    public var name: String? = nil
}

/// Opens model files: recognizes the format by its magic and the architecture by its
/// metadata, then hands the file to that architecture's loader (`ModelRegistry`).
public enum ModelLoader {
    /// Loads `path`. A llama2.c checkpoint needs its tokenizer file: `tokenizerPath`, or
    /// `tokenizer.bin` beside the checkpoint.
    public static func load(path: String, tokenizerPath: String? = nil) throws(ModelFileError) -> LoadedModel {
        if BertModel.isModelDirectory(path) {
            throw .wrongModelKind(path: path, advice: "a BERT embedding model; embed with `strata embed --model \(path)` or serve it with `strata serve --model \(path)`")
        }
        let file = try MappedFile.modelFile(path, minimumSize: 4)
        if SafetensorsFile.recognizes(file) {
            throw .wrongModelKind(path: path, advice: "a safetensors file; pass the model directory that holds it, with its config.json and tokenizer.json")
        }
        if file.magic == GGUFFile.magic {
            let gguf = try GGUFFile(file: file)
            let model = try ModelRegistry.decoder(gguf)
            let tokenizer = try Tokenizer(vocabulary: Vocabulary(gguf: gguf))
            try checkVocabulary(tokenizer, model)
            var loaded = LoadedModel(path: path, format: .gguf, model: model, tokenizer: tokenizer, fileBytes: file.size)
            loaded.chatTemplate = gguf.metadata["tokenizer.chat_template"]?.string
            loaded.name = gguf.metadata["general.name"]?.string
            return loaded
        }
        let checkpoint = try Llama2CCheckpoint(file: file)
        let model = try LlamaModel(table: checkpoint, config: checkpoint.config)
        let tokenizerFile = tokenizerPath ?? siblingPath(of: path, named: "tokenizer.bin")
        let vocabulary = try Vocabulary(llama2cTokenizerAt: tokenizerFile, vocabularySize: checkpoint.config.vocabularySize)
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        return LoadedModel(path: path, format: .llama2c, model: model, tokenizer: tokenizer, fileBytes: file.size)
    }

    static func checkVocabulary(_ tokenizer: Tokenizer, _ model: any DecoderModel) throws(ModelFileError) {
        let n = tokenizer.vocabulary.tokens.count
        guard n == model.shape.vocabularySize else {
            throw .invalidTokenizer("the vocabulary has \(n) tokens but the model's embedding has \(model.shape.vocabularySize) rows")
        }
    }

    static func siblingPath(of path: String, named name: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return name }
        return String(path[...slash]) + name
    }
}
