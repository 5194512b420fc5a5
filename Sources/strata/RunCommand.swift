import ArgumentParser
import Engine
import Memory
import StrataRuntime

/// `strata run`: generate from one prompt, streaming the text to stdout.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Generate text from a prompt and print it as it is produced.")

    @OptionGroup var options: ModelOptions
    @OptionGroup var gpu: GPUOptions

    @Option(name: .long, help: "Prompt text (default: empty, BOS only, for models that start prompts with BOS).")
    var prompt: String = ""

    @Flag(name: .long, help: "Send the prompt as a user message through the model's chat template (as /v1/chat/completions does) and stop at the end of the reply.")
    var chat = false

    @Option(name: [.customShort("n"), .customLong("max-tokens")], help: "Tokens to generate.")
    var maxTokens: Int = 256

    @Option(name: .customLong("temp"), help: "Temperature; 0 is greedy.")
    var temperature: Float = 0.8

    @Option(name: .customLong("top-k"), help: "Top-k (0 disables).")
    var topK: Int = 40

    @Option(name: .customLong("top-p"), help: "Top-p (1 disables).")
    var topP: Float = 0.95

    @Option(name: .customLong("min-p"), help: "Min-p (0 disables).")
    var minP: Float = 0.05

    @Option(name: .customLong("repeat-penalty"), help: "Repetition penalty over the last 64 tokens (1 disables).")
    var repeatPenalty: Float = 1.0

    @Option(name: .long, help: "Random seed (default: random).")
    var seed: UInt64?

    @Option(name: .long, help: "Context size in tokens (default: the model's, at most \(DecoderShape.defaultContextCap)).")
    var ctx: Int?

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f16, f32, q8_0.")
    var kvType: String = "f16"

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be >= 0") }
        if let ctx, ctx < 1 { throw ValidationError("--ctx must be >= 1") }
        _ = try KVTypeOption.parse(kvType)
    }

    func run() throws {
        var sampling = SamplingParameters()
        sampling.temperature = temperature
        sampling.topK = topK
        sampling.topP = topP
        sampling.minP = minP
        sampling.repetitionPenalty = repeatPenalty
        sampling.seed = seed
        do {
            try sampling.validate()
        } catch {
            throw ValidationError(error.description)
        }

        let clock = ContinuousClock()
        let loadStart = clock.now
        let loaded = try options.load()
        let pool = options.makePool()
        let tokenizer = loaded.tokenizer
        let promptTokens: [TokenID]
        var stops: [String] = []
        if chat {
            let template = ChatTemplate(gguf: loaded.chatTemplate, vocabulary: tokenizer.vocabulary)
            stops = template.stopStrings
            do {
                promptTokens = try tokenizer.encodeChat([ChatMessage(role: "user", content: prompt)], template: template)
            } catch {
                throw Console.fail(error)
            }
        } else {
            promptTokens = tokenizer.encode(prompt, addBOS: tokenizer.vocabulary.addBOS)
        }
        guard !promptTokens.isEmpty else {
            throw Console.fail(ValidationError("this model starts prompts without BOS, so it needs a --prompt"))
        }
        // The server's engine with one sequence: the same scheduler, stop rules and kernels.
        var engineOptions = EngineOptions()
        engineOptions.maxSequences = 1
        engineOptions.maxRequests = 1
        let contextLength = loaded.model.shape.contextLength(requested: ctx)
        if let ctx, ctx > contextLength {
            Console.err("warning: --ctx \(ctx) is more than the \(contextLength) tokens the model was trained for: using \(contextLength)\n")
        }
        engineOptions.contextLength = contextLength
        engineOptions.prefixCaching = false
        engineOptions.kvType = try KVTypeOption.parse(kvType)
        let backend = try gpu.backend(model: loaded.model, pool: pool, kvType: engineOptions.kvType, tokens: contextLength, sequences: 1)
        let engine: InferenceEngine
        do {
            engine = try InferenceEngine(model: loaded, backend: backend, options: engineOptions)
        } catch {
            throw Console.fail(error)
        }
        let loadDuration = clock.now - loadStart

        let result: GenerationResult
        do {
            result = try engine.generate(prompt: promptTokens, sampling: sampling, maxTokens: maxTokens, stops: stops) { Console.out($0) }
        } catch {
            Console.out("\n")
            throw Console.fail(error)
        }
        Console.out("\n")

        let s = result.stats
        let ms = Double(loadDuration.components.seconds) * 1000 + Double(loadDuration.components.attoseconds) * 1e-15
        var summary = "load: \(String(format1: ms)) ms"
        summary += " | prompt: \(s.promptTokens) tokens, \(String(format2: s.promptTokensPerSecond)) tok/s"
        summary += " | generation: \(s.generatedTokens) tokens, \(String(format2: s.generationTokensPerSecond)) tok/s"
        summary += " | peak RSS: \(ProcessMemory.peakResidentBytes().map(formatBytes) ?? "n/a")"
        if result.stopReason == .contextFull { summary += " | stopped: context full" }
        Console.err(summary + "\n")
        let memory = MemoryReport(budget: engine.budget, pages: engine.pages, windowPages: engine.windowPages, coldStore: engine.coldStore, cache: engine.cache, weightBytes: 0)
        Console.err(memoryLine(memory, allocatedPerStep: s.allocatedBytesPerStep) + "\n")
    }
}
