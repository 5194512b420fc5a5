import ArgumentParser
import Engine
import StrataRuntime

/// The options every command that runs a model shares: which model, its tokenizer, threads.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Model file (GGUF or llama2.c .bin), or a BERT model directory (config.json, model.safetensors, tokenizer.json). Default: models/SmolLM2-135M-Instruct.Q4_1.gguf (fetched by models/fetch-smollm2.sh).")
    var model: String?

    @Option(name: .long, help: "Tokenizer file for a llama2.c checkpoint (default: tokenizer.bin beside it).")
    var tokenizer: String?

    @Option(name: [.customShort("t"), .long], help: "Worker threads (default: one per core).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be in 1...1024") }
    }

    /// Loads the model, or prints the error and exits non-zero.
    func load() throws -> LoadedModel {
        do {
            return try ModelLoader.load(path: Defaults.modelPath(model), tokenizerPath: tokenizer)
        } catch {
            throw Console.fail(error)
        }
    }

    /// The model path when it names a BERT model directory.
    var embeddingModelDirectory: String? {
        model.flatMap { BertModel.isModelDirectory($0) ? $0 : nil }
    }

    /// Loads the BERT model in `directory`, or prints the error and exits non-zero.
    static func loadEmbeddingModel(_ directory: String) throws -> BertModel {
        do {
            return try ModelRegistry.encoder(directory: directory)
        } catch {
            throw Console.fail(error)
        }
    }

    /// A pool of the requested size.
    func makePool() -> ThreadPool { ThreadPool(threads: threads ?? Defaults.threads) }
}
