import ArgumentParser
import Engine
import Memory
import Runtime

/// `strata bench`: prompt-processing and generation speed in llama-bench's terms.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt (pp) and generation (tg) tokens per second, like llama-bench.")

    @OptionGroup var options: ModelOptions

    @Option(name: [.customShort("p"), .customLong("n-prompt")], help: "Prompt tokens processed in one batch (0 skips).")
    var promptTokens: Int = 512

    @Option(name: [.customShort("n"), .customLong("n-gen")], help: "Tokens generated one at a time (0 skips).")
    var generatedTokens: Int = 128

    @Option(name: [.customShort("r"), .customLong("repetitions")], help: "Repetitions of each test.")
    var repetitions: Int = 5

    @Option(name: .customLong("batch"), help: "Tokens per forward pass while processing the prompt.")
    var batch: Int = 512

    func validate() throws {
        guard promptTokens >= 0, generatedTokens >= 0, promptTokens + generatedTokens > 0 else {
            throw ValidationError("-p and -n must be >= 0, and not both 0")
        }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be >= 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be >= 1") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let loaded = try options.load()
        let loadDuration = clock.now - loadStart
        let pool = options.makePool()
        let threadCount = pool.threadCount
        let c = loaded.model.config
        let capacity = promptTokens + generatedTokens + 1
        guard capacity <= c.contextLength else {
            throw Console.fail(EvaluationError.contextFull(position: 0, adding: capacity, capacity: c.contextLength))
        }
        let context: LlamaContext
        do {
            context = try LlamaContext(model: loaded.model, pool: pool, capacity: capacity, maxBatch: min(batch, max(1, promptTokens)))
        } catch {
            throw Console.fail(error)
        }
        // Arbitrary but valid tokens: speed does not depend on which.
        var random = SeededGenerator(seed: 1)
        let prompt = (0..<max(1, promptTokens)).map { _ in TokenID(random.next() % UInt64(c.vocabularySize)) }

        let type = loaded.model.weights.layers.first?.wq.dtype.description ?? "?"
        let name = "\(c.layers)L \(c.dim)d \(type)"
        Console.out("| model | size | threads | test | t/s |\n| --- | ---: | ---: | ---: | ---: |\n")
        func report(_ test: String, _ rates: [Double]) {
            let mean = rates.reduce(0, +) / Double(rates.count)
            let sd = (rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, rates.count - 1))).squareRoot()
            Console.out("| \(name) | \(formatBytes(loaded.fileBytes)) | \(threadCount) | \(test) | \(String(format2: mean)) ± \(String(format2: sd)) |\n")
        }
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
                report("pp\(promptTokens)", rates)
            }
            if generatedTokens > 0 {
                var rates: [Double] = []
                for _ in 0..<repetitions {
                    context.reset()
                    var token = prompt[0]
                    let start = clock.now
                    for _ in 0..<generatedTokens {
                        let logits = try context.evaluate([token])
                        token = TokenID(argmax(logits))
                    }
                    rates.append(GenerationStats.rate(generatedTokens, clock.now - start))
                }
                report("tg\(generatedTokens)", rates)
            }
        } catch {
            throw Console.fail(error)
        }
        let ms = Double(loadDuration.components.seconds) * 1000 + Double(loadDuration.components.attoseconds) * 1e-15
        Console.err("load: \(String(format1: ms)) ms | peak RSS: \(ProcessMemory.peakResidentBytes().map(formatBytes) ?? "n/a")\n")
    }

    private func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }
}
