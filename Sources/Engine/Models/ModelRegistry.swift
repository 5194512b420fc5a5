/// Every architecture Strata runs, by the name its files give it: one line per architecture.
/// Decoders are keyed by GGUF `general.architecture`, encoders by `config.json`'s `model_type`.
public enum ModelRegistry {
    /// Decoders by GGUF `general.architecture`.
    static let decoders: [String: @Sendable (GGUFFile) throws(ModelFileError) -> any DecoderModel] = [
        "llama": { gguf throws(ModelFileError) in try LlamaModel(table: gguf, config: LlamaConfig(gguf: gguf)) },
    ]

    /// Sentence-embedding encoders by `config.json` `model_type`.
    static let encoders: [String: @Sendable (String) throws(ModelFileError) -> BertModel] = [
        "bert": { directory throws(ModelFileError) in try BertModel(directory: directory) },
    ]

    /// Names of every registered architecture, sorted.
    public static var supported: [String] { (Array(decoders.keys) + Array(encoders.keys)).sorted() }

    /// The decoder in `gguf`, by its `general.architecture`.
    public static func decoder(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel {
        guard let arch = gguf.architecture else { throw .missingKey("general.architecture") }
        guard let load = decoders[arch] else { throw .unsupportedArchitecture(arch) }
        return try load(gguf)
    }

    /// The encoder in a Hugging Face model `directory`, by its `config.json` `model_type` (BERT when absent).
    public static func encoder(directory: String) throws(ModelFileError) -> BertModel {
        let config = try JSONObject(path: directory + "/config.json")
        let type = try config.optional("model_type", config.string) ?? "bert"
        guard let load = encoders[type] else { throw .unsupportedArchitecture(type) }
        return try load(directory)
    }
}
