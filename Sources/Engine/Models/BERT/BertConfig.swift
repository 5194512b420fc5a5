import Foundation
import Memory

/// The blueprint of a BERT encoder and of the sentence-embedding head around it (pooling,
/// normalization), read from a Hugging Face model directory.
public struct BertConfig: Equatable, Sendable {
    /// How token states become one sentence vector (`1_Pooling/config.json`).
    public enum Pooling: String, Sendable {
        /// The average over the sentence's tokens (sentence-transformers' default).
        case mean
        /// The state of `[CLS]`.
        case cls
    }

    public var hidden: Int
    public var layers: Int
    public var heads: Int
    /// FFN width.
    public var intermediate: Int
    /// Rows of the position embedding.
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var vocabularySize: Int
    public var layerNormEpsilon: Float
    /// Tokens one input holds at most, `[CLS]` and `[SEP]` included: sentence-transformers'
    /// `max_seq_length`, else the position table's size.
    public var maxSequenceLength: Int
    public var pooling: Pooling
    /// Whether sentence vectors are scaled to unit length (a `Normalize` module).
    public var normalize: Bool

    public var headDim: Int { hidden / heads }

    public init(hidden: Int, layers: Int, heads: Int, intermediate: Int, maxPositions: Int, typeVocabularySize: Int = 2,
                vocabularySize: Int, layerNormEpsilon: Float = 1e-12, maxSequenceLength: Int? = nil,
                pooling: Pooling = .mean, normalize: Bool = true) {
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.intermediate = intermediate
        self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize
        self.vocabularySize = vocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.maxSequenceLength = maxSequenceLength ?? maxPositions
        self.pooling = pooling
        self.normalize = normalize
    }

    /// Reads `config.json` and the sentence-transformers files beside it in `directory`.
    public init(directory: String) throws(ModelFileError) {
        let config = try JSONObject(path: directory + "/config.json")
        let modelType = try config.optional("model_type", config.string) ?? "bert"
        guard modelType == "bert" else { throw .unsupportedArchitecture(modelType) }
        if let activation = try config.optional("hidden_act", config.string), activation != "gelu" {
            throw .invalidHyperparameter(name: "hidden_act", value: activation, reason: "only gelu (erf) is supported")
        }
        if let positions = try config.optional("position_embedding_type", config.string), positions != "absolute" {
            throw .invalidHyperparameter(name: "position_embedding_type", value: positions, reason: "only absolute is supported")
        }
        self.init(hidden: try config.int("hidden_size"), layers: try config.int("num_hidden_layers"),
                  heads: try config.int("num_attention_heads"), intermediate: try config.int("intermediate_size"),
                  maxPositions: try config.int("max_position_embeddings"),
                  typeVocabularySize: try config.optional("type_vocab_size", config.int) ?? 2,
                  vocabularySize: try config.int("vocab_size"),
                  layerNormEpsilon: Float(try config.optional("layer_norm_eps", config.double) ?? 1e-12))
        let files = SentenceTransformerFiles(directory: directory)
        if let length = try files.maxSequenceLength() { maxSequenceLength = length }
        pooling = try files.pooling()
        normalize = try files.normalizes()
        try validate()
    }

    /// Throws `.invalidHyperparameter` for shapes the encoder cannot run.
    public func validate() throws(ModelFileError) {
        func check(_ name: String, _ value: Int, _ ok: Bool, _ reason: String) throws(ModelFileError) {
            if !ok { throw .invalidHyperparameter(name: name, value: "\(value)", reason: reason) }
        }
        try check("hidden_size", hidden, hidden > 0 && hidden <= 1 << 16, "must be in 1...65536")
        try check("num_hidden_layers", layers, layers > 0 && layers <= 256, "must be in 1...256")
        try check("num_attention_heads", heads, heads > 0 && hidden % heads == 0, "must divide hidden_size \(hidden)")
        try check("intermediate_size", intermediate, intermediate > 0 && intermediate <= 1 << 18, "must be in 1...262144")
        try check("max_position_embeddings", maxPositions, maxPositions >= 3 && maxPositions <= 1 << 16, "must be in 3...65536")
        try check("type_vocab_size", typeVocabularySize, typeVocabularySize >= 1, "must be at least 1")
        try check("vocab_size", vocabularySize, vocabularySize > 0 && vocabularySize <= 1 << 24, "must be in 1...16M")
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0, layerNormEpsilon < 1 else {
            throw .invalidHyperparameter(name: "layer_norm_eps", value: "\(layerNormEpsilon)", reason: "must be in (0, 1)")
        }
        try check("max_seq_length", maxSequenceLength, maxSequenceLength >= 3 && maxSequenceLength <= maxPositions,
                  "must be in 3...max_position_embeddings (\(maxPositions))")
    }
}

/// The sentence-transformers files of a model directory, each optional.
struct SentenceTransformerFiles {
    let directory: String

    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + name)
    }

    func maxSequenceLength() throws(ModelFileError) -> Int? {
        guard exists("sentence_bert_config.json") else { return nil }
        let config = try JSONObject(path: directory + "/sentence_bert_config.json")
        return try config.optional("max_seq_length", config.int)
    }

    func pooling() throws(ModelFileError) -> BertConfig.Pooling {
        guard exists("1_Pooling/config.json") else { return .mean }
        let config = try JSONObject(path: directory + "/1_Pooling/config.json")
        var modes: [String] = []
        for (key, value) in config.fields where key.hasPrefix("pooling_mode_") {
            if let number = value as? NSNumber, JSONObject.isBoolean(number), number.boolValue { modes.append(key) }
        }
        // sentence-transformers concatenates several modes; only one of these two is computed here.
        switch modes {
        case ["pooling_mode_mean_tokens"]: return .mean
        case ["pooling_mode_cls_token"]: return .cls
        default:
            throw .malformedJSON(file: config.source, reason: "pooling \(modes.sorted()) is not supported (only mean or CLS alone)")
        }
    }

    /// Modules this engine computes; any other (Dense, a second pooling...) would change the vectors.
    static let supportedModules = [
        "sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
        "sentence_transformers.models.Normalize",
    ]

    /// True when `modules.json` lists a Normalize module, or when there is no `modules.json`.
    /// Throws for a module the engine does not compute.
    func normalizes() throws(ModelFileError) -> Bool {
        guard exists("modules.json") else { return true }
        let path = directory + "/modules.json"
        let file = try MappedFile.modelFile(path)
        guard let modules = try? JSONSerialization.jsonObject(with: Data(file.unsafeBytes)) as? [[String: Any]] else {
            throw .malformedJSON(file: path, reason: "should be an array of module objects")
        }
        var types: [String] = []
        for module in modules {
            guard let type = module["type"] as? String else { throw .malformedJSON(file: path, reason: "a module lacks its 'type'") }
            guard Self.supportedModules.contains(type) else {
                throw .malformedJSON(file: path, reason: "module \(type) is not supported (only Transformer, Pooling, Normalize)")
            }
            types.append(type)
        }
        return types.contains("sentence_transformers.models.Normalize")
    }
}
