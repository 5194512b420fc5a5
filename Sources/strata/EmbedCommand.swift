import ArgumentParser
import Engine
import Memory
import StrataRuntime
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `strata embed`: sentence embeddings of texts, printed as JSON in `/v1/embeddings`' shape;
/// with `--bench`, sentences per second at several batch sizes.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print sentence embeddings of texts as JSON (or benchmark the embedding model with --bench).")

    @Option(name: .long, help: "BERT model directory (config.json, model.safetensors, tokenizer.json). Default: models/minilm.")
    var model: String?

    @Option(name: [.customShort("t"), .long], help: "Worker threads (default: one per core).")
    var threads: Int?

    @Flag(name: .long, help: "Cut inputs longer than the model reads instead of failing.")
    var truncate = false

    @Option(name: .customLong("batch-tokens"), help: "Tokens per batch.")
    var batchTokens: Int = 2048

    @Flag(name: .long, help: "Measure sentences/s at the --batch sizes instead of printing embeddings.")
    var bench = false

    @Option(name: .long, help: "Batch sizes to measure with --bench, comma-separated.")
    var batch: String = "1,8,32"

    @Option(name: [.customShort("r"), .long], help: "Timed repetitions per batch size with --bench.")
    var repetitions: Int = 5

    @Argument(help: "Texts to embed (default: one per line of standard input; with --bench, a built-in set).")
    var texts: [String] = []

    func validate() throws {
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be in 1...1024") }
        guard (1...1 << 20).contains(batchTokens) else { throw ValidationError("--batch-tokens must be in 1...1048576") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be >= 1") }
        guard batchSizes.allSatisfy({ $0 >= 1 }), !batchSizes.isEmpty else { throw ValidationError("--batch must list sizes >= 1, e.g. 1,8,32") }
    }

    var batchSizes: [Int] { batch.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 } }

    func run() throws {
        let directory = model ?? Defaults.embeddingModelPath
        let bert = try ModelOptions.loadEmbeddingModel(directory)
        let pool = ThreadPool(threads: threads ?? Defaults.threads)
        let encoder = BertEncoder(model: bert, pool: pool, maxBatchTokens: batchTokens)
        if bench {
            runBenchmark(bert, encoder: encoder, threads: pool.threadCount)
            return
        }
        let texts = self.texts.isEmpty ? Self.standardInputLines() : self.texts
        var inputs: [[TokenID]] = []
        for (index, text) in texts.enumerated() {
            var ids = bert.tokenizer.encode(text)
            if ids.count > bert.config.maxSequenceLength {
                guard truncate else {
                    Console.err("error: input \(index) is \(ids.count) tokens long; \(bert.name) reads at most \(bert.config.maxSequenceLength) (use --truncate)\n")
                    throw ExitCode.failure
                }
                ids = bert.tokenizer.truncate(ids, to: bert.config.maxSequenceLength)
            }
            inputs.append(ids)
        }
        let vectors = encoder.embedAll(inputs)
        let tokens = inputs.reduce(0) { $0 + $1.count }
        print(Self.json(vectors, model: bert.name, tokens: tokens))
    }

    /// `{"object":"list","data":[{"object":"embedding","index":i,"embedding":[...]}],"model":...,"usage":{...}}`
    static func json(_ vectors: [[Float]], model: String, tokens: Int) -> String {
        var out = #"{"object":"list","data":["#
        for (index, vector) in vectors.enumerated() {
            if index > 0 { out += "," }
            out += #"{"object":"embedding","index":\#(index),"embedding":["#
            // JSON has no NaN or infinity (only broken weights make them): null, as JavaScript writes them.
            out += vector.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",")
            out += "]}"
        }
        out += #"],"model":\#(jsonString(model)),"usage":{"prompt_tokens":\#(tokens),"total_tokens":\#(tokens)}}"#
        return out
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func standardInputLines() -> [String] {
        var lines: [String] = []
        while let line = readLine() { lines.append(line) }
        return lines
    }

    /// Sentences/s for batches of each size: one untimed batch, then `repetitions` timed ones.
    func runBenchmark(_ bert: BertModel, encoder: BertEncoder, threads: Int) {
        let texts = self.texts.isEmpty ? BenchSentences.all : self.texts
        let sentences = texts.map { bert.tokenizer.truncate(bert.tokenizer.encode($0), to: bert.config.maxSequenceLength) }
        let averageTokens = Double(sentences.reduce(0) { $0 + $1.count }) / Double(sentences.count)
        print("model \(bert.name), \(threads) threads, \(sentences.count) sentences of \(String(format: "%.1f", averageTokens)) tokens on average")
        print("| batch | sentences/s | tokens/s | ms/batch |")
        print("|---:|---:|---:|---:|")
        let clock = ContinuousClock()
        for size in batchSizes {
            let inputs = (0..<size).map { sentences[$0 % sentences.count] }
            _ = encoder.embedAll(inputs)
            var best = Duration.seconds(1_000_000)
            var total = Duration.zero
            for _ in 0..<repetitions {
                let elapsed = clock.measure { _ = encoder.embedAll(inputs) }
                best = min(best, elapsed)
                total += elapsed
            }
            let seconds = Double(total.components.seconds) + Double(total.components.attoseconds) * 1e-18
            let mean = seconds / Double(repetitions)
            let tokens = inputs.reduce(0) { $0 + $1.count }
            print(String(format: "| %d | %.1f | %.0f | %.2f |", size, Double(size) / mean, Double(tokens) / mean, mean * 1000))
        }
        if let peak = ProcessMemory.peakResidentBytes() { print("peak RSS \(formatBytes(peak))") }
    }
}

/// Varied English sentences for `strata embed --bench` (lengths ~8 to ~40 tokens).
enum BenchSentences {
    static let all = [
        "A man is playing a guitar.",
        "The quick brown fox jumps over the lazy dog near the river bank.",
        "How do I reset my password if I no longer have access to my email account?",
        "Quarterly revenue grew by 12 percent, driven mostly by strong demand in the cloud division.",
        "She walked to the market.",
        "Researchers found that regular exercise improves memory and reduces the risk of several chronic diseases.",
        "Is it going to rain tomorrow afternoon?",
        "The committee postponed its decision until more data on the environmental impact of the new bridge becomes available.",
        "Please send me the report by Friday.",
        "Large language models are served efficiently by batching requests and reusing memory instead of reallocating it.",
        "Cats sleep for most of the day.",
        "The museum's new exhibition explores how ancient trade routes shaped the languages, foods and religions of the region.",
    ]
}
