import Engine
import StrataRuntime

/// Models the engine tests run: the real stories260K and small random-weight Llamas.
public enum TestModels {
    /// stories260K from its GGUF.
    public static func stories260K() throws -> LoadedModel {
        try ModelLoader.load(path: Fixtures.model("stories260K.gguf"))
    }

    /// A random-weight Llama (2 layers, dim 128, GQA 4/2, stories260K's 512-token vocab)
    /// with matrices of `type`, written to a temporary file once per process and type.
    public static func random(_ type: DType = .q8_0) throws -> LoadedModel {
        let path = Fixtures.temporaryPath("random-\(type).gguf")
        let config = LlamaConfig(dim: 128, hiddenDim: 256, layers: 2, heads: 4, kvHeads: 2, vocabularySize: 512, contextLength: 512)
        try ModelSynth.write(Llama.synthSpec(SynthShape(config, tiedOutput: false)), vocabularySize: config.vocabularySize, type: type,
                             vocabulary: GGUFFile(path: Fixtures.model("stories260K.gguf")),
                             name: "test random \(type)", seed: 7, to: path)
        defer { unlink(path) }
        return try ModelLoader.load(path: path)
    }

    /// Prompts of the given lengths made of valid, varied token ids (BOS first).
    public static func prompt(_ length: Int, seed: Int) -> [TokenID] {
        [1] + (1..<max(1, length)).map { TokenID(3 + ($0 * 37 + seed * 101) % 500) }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension TestModels {
    /// all-MiniLM-L6-v2 from `models/minilm` (fetched by `models/fetch-minilm.sh`, which
    /// `make test` runs first).
    public static func minilm() throws -> BertModel {
        let directory = Fixtures.model("minilm")
        guard BertModel.isModelDirectory(directory) else {
            throw ModelFileError.missingFile("\(directory)/config.json (run models/fetch-minilm.sh)")
        }
        return try BertModel(directory: directory)
    }
}

extension TestModels {
    /// `models/SmolLM2-135M-Instruct.Q4_1.gguf`, fetched by `models/fetch-smollm2.sh` (which
    /// `make test` runs first); git-ignored.
    public static let smollm2Path = Fixtures.model("SmolLM2-135M-Instruct.Q4_1.gguf")

    /// Whether the SmolLM2 file is there (tests that need it are skipped otherwise).
    public static var smollm2IsPresent: Bool { access(smollm2Path, R_OK) == 0 }

    /// Why the SmolLM2 tests were skipped.
    public static let smollm2Missing = "models/SmolLM2-135M-Instruct.Q4_1.gguf is absent: run models/fetch-smollm2.sh (make test does)"

    /// SmolLM2-135M-Instruct Q4_1 (Llama architecture, 30 layers, dim 576, 9 heads / 3 KV
    /// heads, vocab 49152).
    public static func smollm2() throws -> LoadedModel {
        try ModelLoader.load(path: smollm2Path)
    }
}

extension TestModels {
    /// Greedy generation of `maxTokens` tokens after `prompt` as `strata run` does it: the
    /// engine's scheduler with this one request.
    public static func generate(_ loaded: LoadedModel, prompt: [TokenID], maxTokens: Int, kvType: DType = .f16,
                                threads: Int = 2) throws -> (text: String, result: GenerationResult) {
        var options = EngineOptions()
        options.kvType = kvType
        options.maxSequences = 1
        options.maxRequests = 1
        options.memoryBudget = 1 << 30
        let engine = try InferenceEngine(model: loaded, pool: ThreadPool(threads: threads), options: options)
        var text = ""
        let result = try engine.generate(prompt: prompt, maxTokens: maxTokens) { text += $0 }
        return (text, result)
    }
}
