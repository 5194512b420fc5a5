/// Every architecture Strata runs, by the name its files give it: one line per architecture.
/// Decoders are keyed by GGUF `general.architecture`, encoders by `config.json`'s `model_type`.
public enum ModelRegistry {
    /// Decoders, one line each.
    static let architectures: [any DecoderArchitecture.Type] = [
        Llama.self,
        Qwen2.self,
        Qwen3.self,
        Gemma3.self,
        Phi3.self,
        Exaone.self,
    ]

    /// Decoders by GGUF `general.architecture`.
    static let decoders: [String: any DecoderArchitecture.Type] = Dictionary(uniqueKeysWithValues: architectures.map { ($0.name, $0) })

    /// Sentence-embedding encoders by `config.json` `model_type`.
    static let encoders: [String: @Sendable (String) throws(ModelFileError) -> BertModel] = [
        "bert": { directory throws(ModelFileError) in try BertModel(directory: directory) },
    ]

    /// Names of the decoder architectures, sorted.
    public static var decoderNames: [String] { decoders.keys.sorted() }

    /// Names of every registered architecture, sorted.
    public static var supported: [String] { (Array(decoders.keys) + Array(encoders.keys)).sorted() }

    /// The decoder in `gguf`, by its `general.architecture`.
    public static func decoder(_ gguf: GGUFFile) throws(ModelFileError) -> any DecoderModel {
        guard let arch = gguf.architecture else { throw .missingKey("general.architecture") }
        guard let architecture = decoders[arch] else { throw .unsupportedArchitecture(arch) }
        return try architecture.load(gguf)
    }

    /// The decoder architecture called `name` (GGUF `general.architecture`).
    public static func architecture(named name: String) -> (any DecoderArchitecture.Type)? { decoders[name] }

    /// The encoder in a Hugging Face model `directory`, by its `config.json` `model_type` (BERT when absent).
    public static func encoder(directory: String) throws(ModelFileError) -> BertModel {
        let config = try JSONObject(path: directory + "/config.json")
        let type = try config.optional("model_type", config.string) ?? "bert"
        guard let load = encoders[type] else { throw .unsupportedArchitecture(type) }
        return try load(directory)
    }
}
