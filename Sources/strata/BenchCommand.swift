import ArgumentParser
import Engine
import Memory
import Runtime

/// `strata bench [model]`: prompt-processing and generation speed in llama-bench's terms,
/// plus where the memory went. The default subcommand of `strata bench`.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Measure prompt (pp) and generation (tg) tokens per second, like llama-bench, and memory by tier.")

    @OptionGroup var options: ModelOptions

    @Option(name: [.customShort("p"), .customLong("n-prompt")], help: "Prompt tokens processed in one batch (0 skips).")
    var promptTokens: Int = 512

    @Option(name: [.customShort("n"), .customLong("n-gen")], help: "Tokens generated one at a time (0 skips).")
    var generatedTokens: Int = 128

    @Option(name: [.customShort("r"), .customLong("repetitions")], help: "Repetitions of each test.")
    var repetitions: Int = 5

    @Option(name: .customLong("batch"), help: "Tokens per forward pass while processing the prompt.")
    var batch: Int = 512

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f16, f32, q8_0.")
    var kvType: String = "f16"

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(name: .long, help: "Also measure the memory system on this model's real KV pages: cold compression, page allocation, sessions per GiB.")
    var memory = false

    func validate() throws {
        guard promptTokens >= 0, generatedTokens >= 0, promptTokens + generatedTokens > 0 else {
            throw ValidationError("-p and -n must be >= 0, and not both 0")
        }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be >= 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be >= 1") }
        _ = try KVTypeOption.parse(kvType)
    }

    func run() throws {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let loaded = try options.load()
        let loadDuration = clock.now - loadStart
        let pool = options.makePool()
        let c = loaded.model.config
        let capacity = promptTokens + generatedTokens + 1
        guard capacity <= c.contextLength else {
            throw Console.fail(EvaluationError.contextFull(position: 0, adding: capacity, capacity: c.contextLength))
        }
        let context: LlamaContext
        do {
            context = try LlamaContext(model: loaded.model, pool: pool, capacity: capacity,
                                       maxBatch: min(batch, max(1, promptTokens)), kvType: try KVTypeOption.parse(kvType))
        } catch {
            throw Console.fail(error)
        }
        // Arbitrary but valid tokens: speed does not depend on which.
        var random = SeededGenerator(seed: 1)
        let prompt = (0..<max(1, promptTokens)).map { _ in TokenID(random.next() % UInt64(c.vocabularySize)) }

        var results: [(test: String, mean: Double, sd: Double)] = []
        var allocatedPerStep = 0.0
        do {
            // One untimed warm-up pass pages the weights in, as llama-bench does.
            _ = try context.evaluate([prompt[0]])
            if promptTokens > 0 {
                var rates: [Double] = []
                for _ in 0..<repetitions {
                    context.reset()
                    let start = clock.now
                    _ = try context.evaluate(prompt)
                    rates.append(GenerationStats.rate(promptTokens, clock.now - start))
                }
                results.append(Self.summary("pp\(promptTokens)", rates))
            }
            if generatedTokens > 0 {
                var rates: [Double] = []
                var single: [TokenID] = [prompt[0]]
                for _ in 0..<repetitions {
                    context.reset()
                    let start = clock.now
                    let allocatedBefore = AllocatorStatistics.threadAllocatedBytes()
                    for _ in 0..<generatedTokens {
                        let logits = try context.evaluate(single)
                        single[0] = TokenID(Self.argmax(logits))
                    }
                    allocatedPerStep = Double(AllocatorStatistics.threadAllocatedBytes() - allocatedBefore) / Double(generatedTokens)
                    rates.append(GenerationStats.rate(generatedTokens, clock.now - start))
                }
                results.append(Self.summary("tg\(generatedTokens)", rates))
            }
        } catch {
            throw Console.fail(error)
        }
        // Compress the sequence's real KV pages once, for the cold tier's ratio.
        context.cache.compress(context.sequenceID)
        var memory = context.memoryReport
        try? context.cache.makeHot(context.sequenceID)
        memory.weightBytes = loaded.fileBytes
        let loadMS = Double(loadDuration.components.seconds) * 1000 + Double(loadDuration.components.attoseconds) * 1e-15
        let peak = ProcessMemory.peakResidentBytes() ?? 0
        let type = loaded.model.weights.layers.first?.wq.dtype.description ?? "?"
        let name = "\(c.layers)L \(c.dim)d \(type)"

        if json {
            var fields: [(String, String)] = [("model", "\"\(name)\""), ("threads", "\(pool.threadCount)"),
                                              ("kv_type", "\"\(kvType)\""), ("load_ms", String(format2: loadMS))]
            for r in results {
                fields.append(("\(r.test)_tokens_per_second", String(format2: r.mean)))
                fields.append(("\(r.test)_stddev", String(format2: r.sd)))
            }
            fields.append(("alloc_bytes_per_step", String(format2: allocatedPerStep)))
            fields.append(("peak_rss_bytes", "\(peak)"))
            for (key, value) in memory.fields {
                fields.append((key, value == value.rounded() && abs(value) < 9e15 ? "\(Int(value))" : String(format2: value)))
            }
            Console.out("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}\n")
            return
        }
        Console.out("| model | size | threads | test | t/s |\n| --- | ---: | ---: | ---: | ---: |\n")
        for r in results {
            Console.out("| \(name) | \(formatBytes(loaded.fileBytes)) | \(pool.threadCount) | \(r.test) | \(String(format2: r.mean)) ± \(String(format2: r.sd)) |\n")
        }
        Console.err("load: \(String(format1: loadMS)) ms | peak RSS: \(formatBytes(peak))\n")
        Console.err(memoryLine(memory, allocatedPerStep: allocatedPerStep) + "\n")
        if self.memory {
            do {
                Console.out(try KVMemoryReport.run(loaded, pool: pool, promptTokens: max(promptTokens, 256)) + "\n")
            } catch {
                throw Console.fail(error)
            }
        }
    }

    static func summary(_ test: String, _ rates: [Double]) -> (test: String, mean: Double, sd: Double) {
        let mean = rates.reduce(0, +) / Double(rates.count)
        let sd = (rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, rates.count - 1))).squareRoot()
        return (test, mean, sd)
    }

    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }
}

/// Parses `--kv-type`.
enum KVTypeOption {
    static func parse(_ text: String) throws -> DType {
        switch text.lowercased() {
        case "f16": return .f16
        case "f32": return .f32
        case "q8_0": return .q8_0
        default: throw ValidationError("--kv-type must be f16, f32 or q8_0, not '\(text)'")
        }
    }
}

/// One line of memory figures: bytes per tier, pages, KV bytes per token, cold ratio, heap per step.
func memoryLine(_ m: MemoryReport, allocatedPerStep: Double) -> String {
    var line = "memory: hot \(formatBytes(m.hotBytes)) (\(m.hotPages) pages) | free \(formatBytes(m.freeBytes)) (\(m.freePages) pages)"
    line += " | cold \(formatBytes(m.coldBytes)) (\(m.coldPages) pages"
    if m.coldCompressionRatio > 0 { line += ", ratio \(String(format2: m.coldCompressionRatio))" }
    line += ") | pools \(formatBytes(m.poolBytes)) | KV \(m.kvBytesPerToken) B/token | heap/step \(String(format1: allocatedPerStep)) B"
    return line
}
