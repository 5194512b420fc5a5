import ArgumentParser
import Engine
import Memory
import StrataRuntime

/// `strata bench [model]`: prompt-processing and generation speed in llama-bench's terms
/// (`-p 128,512 -n 64,128 -t 1,2 -r 5`), batched decode (`-b 1,4,16`, aggregate tok/s), and
/// where the memory went.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Measure prompt (pp) and generation (tg) tokens per second, like llama-bench, and memory by tier.")

    @Option(name: [.customShort("m"), .long], help: "Model file (GGUF or llama2.c .bin). Default: models/SmolLM2-135M-Instruct.Q4_1.gguf.")
    var model: String?

    @Option(name: .long, help: "Tokenizer file for a llama2.c checkpoint.")
    var tokenizer: String?

    @Option(name: [.customShort("p"), .customLong("n-prompt")], help: "Prompt lengths, comma-separated (0 skips).")
    var promptList: String = "512"

    @Option(name: [.customShort("n"), .customLong("n-gen")], help: "Generation lengths, comma-separated (0 skips).")
    var generationList: String = "128"

    @Option(name: [.customShort("t"), .customLong("threads")], help: "Thread counts, comma-separated (default: one per core).")
    var threadList: String?

    @Option(name: [.customShort("b"), .customLong("batch")], help: "Sequences decoding together in tg tests, comma-separated (aggregate tok/s).")
    var batchList: String = "1"

    @Option(name: [.customShort("r"), .customLong("repetitions")], help: "Repetitions of each test.")
    var repetitions: Int = 5

    @OptionGroup var gpu: GPUOptions

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f16, f32, q8_0.")
    var kvType: String = "f16"

    @Flag(name: .long, help: "Print a JSON array of results (llama-bench's field names plus ours) instead of the table.")
    var json = false

    @Flag(name: .long, help: "Also measure the memory system on this model's real KV pages: cold compression, page allocation, sessions per GiB.")
    var memory = false

    @Flag(name: .long, help: "Also measure the machine's memory bandwidth (memcpy, and a threaded read), the ceiling of decode's weight bandwidth.")
    var bandwidth = false

    var promptTokens: Int { (try? Self.list(promptList, "-p").first) ?? 0 }
    var generatedTokens: Int { (try? Self.list(generationList, "-n").first) ?? 0 }

    func validate() throws {
        let p = try Self.list(promptList, "-p"), n = try Self.list(generationList, "-n")
        guard p.allSatisfy({ $0 >= 0 }), n.allSatisfy({ $0 >= 0 }), p.contains(where: { $0 > 0 }) || n.contains(where: { $0 > 0 }) else {
            throw ValidationError("-p and -n take lengths >= 0, and at least one must be > 0")
        }
        if let threadList { guard try Self.list(threadList, "-t").allSatisfy({ (1...1024).contains($0) }) else { throw ValidationError("-t must be in 1...1024") } }
        guard try Self.list(batchList, "-b").allSatisfy({ (1...256).contains($0) }) else { throw ValidationError("-b must be in 1...256") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be >= 1") }
        _ = try KVTypeOption.parse(kvType)
    }

    static func list(_ text: String, _ flag: String) throws -> [Int] {
        let values = text.split(separator: ",").map { Int($0.filter { $0 != " " }) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { throw ValidationError("\(flag) takes comma-separated integers, not '\(text)'") }
        return values.map { $0! }
    }

    struct Result {
        let test: String
        let prompt: Int, generated: Int, threads: Int, batch: Int
        let rates: [Double]
        var mean: Double { rates.reduce(0, +) / Double(rates.count) }
        var sd: Double {
            let m = mean
            return (rates.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(max(1, rates.count - 1))).squareRoot()
        }
    }

    func run() throws {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let loaded: LoadedModel
        do {
            loaded = try ModelLoader.load(path: Defaults.modelPath(model), tokenizerPath: tokenizer)
        } catch {
            throw Console.fail(error)
        }
        let loadDuration = clock.now - loadStart
        let kv = try KVTypeOption.parse(kvType)
        let prompts = try Self.list(promptList, "-p").filter { $0 > 0 }
        let generations = try Self.list(generationList, "-n").filter { $0 > 0 }
        let threadCounts = try threadList.map { try Self.list($0, "-t") } ?? [Defaults.threads]
        let batches = try Self.list(batchList, "-b")
        let c = loaded.model.shape
        var random = SeededGenerator(seed: 1)
        // Arbitrary but valid tokens: speed does not depend on which.
        let tokens = (0..<max(1, prompts.max() ?? 1)).map { _ in TokenID(random.next() % UInt64(c.vocabularySize)) }

        var results: [Result] = []
        var allocatedPerStep = 0.0
        var memoryReport: MemoryReport?
        let pools = threadCounts.map { ThreadPool(threads: $0) }
        let backends = try gpu.backends(model: loaded.model, pools: pools, kvType: kv,
                                        tokens: (prompts.max() ?? 0) + (generations.max() ?? 0) + 1, sequences: batches.max() ?? 1)
        do {
            for (index, threads) in threadCounts.enumerated() {
                let pool = pools[index], backend = backends[index]
                for p in prompts {
                    guard p < c.contextLength else { throw EvaluationError.contextFull(position: 0, adding: p, capacity: c.contextLength) }
                    let context = try EvaluationContext(model: loaded, backend: backend, capacity: p + 1, maxBatch: p, kvType: kv)
                    let prompt = Array(tokens[0..<p])
                    // A whole untimed run first, as llama-bench does: it pages the weights in and
                    // touches every buffer and KV page the timed runs use.
                    _ = try context.evaluate(prompt)
                    var rates: [Double] = []
                    for _ in 0..<repetitions {
                        context.reset()
                        let start = clock.now
                        _ = try context.evaluate(prompt)
                        rates.append(GenerationStats.rate(p, clock.now - start))
                    }
                    results.append(Result(test: "pp\(p)", prompt: p, generated: 0, threads: threads, batch: 1, rates: rates))
                }
                for n in generations {
                    for b in batches {
                        let (rates, perStep, report) = try Self.decode(loaded, backend: backend, pool: pool, kv: kv, sequences: b, steps: n,
                                                                        repetitions: repetitions, first: tokens[0])
                        allocatedPerStep = max(allocatedPerStep, perStep)
                        memoryReport = report
                        results.append(Result(test: "tg\(n)", prompt: 0, generated: n, threads: threads, batch: b, rates: rates))
                    }
                }
            }
        } catch {
            throw Console.fail(error)
        }
        let loadMS = Double(loadDuration.components.seconds) * 1000 + Double(loadDuration.components.attoseconds) * 1e-15
        let peak = ProcessMemory.peakResidentBytes() ?? 0
        let type = loaded.model.weightType.description
        let name = "\(c.layers)L \(c.dim)d \(type)"
        var memory = memoryReport
        memory?.weightBytes = loaded.fileBytes
        // Decode reads every weight matrix once per step, whatever the batch.
        let weightBytes = loaded.model.weightBytesPerStep
        func weightGBps(_ r: Result) -> Double { r.mean / Double(r.batch) * Double(weightBytes) / 1e9 }
        let probe = bandwidth ? BandwidthProbe.measure(pool: ThreadPool(threads: threadCounts.max() ?? 1)) : nil

        if json {
            let file = loaded.path.split(separator: "/").last.map(String.init) ?? ""
            let objects = results.map { r -> String in
                var fields: [(String, String)] = [
                    ("model_filename", "\"\(file)\""), ("model_type", "\"\(name)\""), ("model_size", "\(loaded.fileBytes)"),
                    ("n_prompt", "\(r.prompt)"), ("n_gen", "\(r.generated)"), ("n_threads", "\(r.threads)"),
                    ("n_batch", "\(r.batch)"), ("type_k", "\"\(kvType)\""),
                    ("avg_ts", String(format2: r.mean)), ("stddev_ts", String(format2: r.sd)),
                    ("samples_ts", "[" + r.rates.map { String(format2: $0) }.joined(separator: ", ") + "]"),
                    ("load_ms", String(format2: loadMS)), ("peak_rss_bytes", "\(peak)"),
                    ("alloc_bytes_per_step", String(format2: allocatedPerStep)),
                    ("weight_bytes_per_token", "\(weightBytes)"),
                ]
                if r.generated > 0 { fields.append(("weights_gbps", String(format2: weightGBps(r)))) }
                if let probe { fields += [("copy_gbps", String(format2: probe.copyGBps)), ("read_gbps", String(format2: probe.readGBps))] }
                for (key, value) in memory?.fields ?? [] {
                    fields.append((key, value == value.rounded() && abs(value) < 9e15 ? "\(Int(value))" : String(format2: value)))
                }
                return "  {" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
            }
            Console.out("[\n" + objects.joined(separator: ",\n") + "\n]\n")
            return
        }
        Console.out("| model | size | threads | b | test | t/s |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
        for r in results {
            Console.out("| \(name) | \(formatBytes(loaded.fileBytes)) | \(r.threads) | \(r.batch) | \(r.test) | \(String(format2: r.mean)) ± \(String(format2: r.sd)) |\n")
        }
        Console.err("load: \(String(format1: loadMS)) ms | peak RSS: \(formatBytes(peak))\n")
        for r in results where r.generated > 0 {
            Console.err("\(r.test) b\(r.batch) t\(r.threads): weights \(formatBytes(weightBytes)) per step -> \(String(format2: weightGBps(r))) GB/s\n")
        }
        if let probe {
            Console.err("machine: memcpy \(String(format2: probe.copyGBps)) GB/s, read \(String(format2: probe.readGBps)) GB/s (\(probe.threads) threads)\n")
        }
        if let memory { Console.err(memoryLine(memory, allocatedPerStep: allocatedPerStep) + "\n") }
        if self.memory {
            do {
                Console.out(try KVMemoryReport.run(loaded, pool: ThreadPool(threads: threadCounts[0]), promptTokens: max(prompts.max() ?? 0, 256)) + "\n")
            } catch {
                throw Console.fail(error)
            }
        }
    }

    /// `sequences` sequences decoding `steps` tokens together, one batched step per token;
    /// returns aggregate tok/s per repetition, heap bytes per step on the calling thread and
    /// workers, and the memory report after compressing the last repetition's KV once.
    static func decode(_ loaded: LoadedModel, backend: any ComputeBackend, pool: ThreadPool, kv: DType, sequences: Int, steps: Int, repetitions: Int,
                       first: TokenID) throws -> ([Double], Double, MemoryReport) {
        var options = EngineOptions()
        options.kvType = kv
        options.maxSequences = sequences
        options.contextLength = steps + 1
        options.maxBatchTokens = sequences
        options.memoryBudget = Int.max / 4
        options.prefixCaching = false
        let engine = try InferenceEngine(model: loaded, backend: backend, options: options)
        let runner = engine.runner, cache = engine.cache
        var next = [TokenID](repeating: first, count: sequences)
        var ids: [SequenceID] = []
        let clock = ContinuousClock()
        var rates: [Double] = []
        var perStep = 0.0
        for repetition in 0...repetitions {  // repetition 0 warms up
            for s in ids { cache.release(s) }
            ids = try (0..<sequences).map { _ in try cache.createSequence(prompt: []).0 }
            for i in 0..<sequences { next[i] = first }
            let start = clock.now
            let allocated = AllocatorStatistics.threadAllocatedBytes(), workers = pool.workerAllocatedBytes()
            for _ in 0..<steps {
                runner.beginBatch()
                for i in 0..<sequences {
                    try next.withUnsafeBufferPointer { try runner.add(ids[i], tokens: UnsafeBufferPointer(rebasing: $0[i..<(i + 1)]), wantLogits: true) }
                }
                runner.run()
                for i in 0..<sequences { next[i] = TokenID(argmax(runner.logits(entry: i))) }
            }
            if repetition > 0 {
                let elapsed = clock.now - start
                // Counters first: appending to `rates` may grow it, and that is not the step's.
                let bytes = (AllocatorStatistics.threadAllocatedBytes() - allocated) + (pool.workerAllocatedBytes() - workers)
                perStep = max(perStep, Double(bytes) / Double(steps))
                rates.append(GenerationStats.rate(steps * sequences, elapsed))
            }
        }
        // Compress the KV once, for the cold tier's ratio in the report.
        cache.compress(ids[0])
        let report = MemoryReport(budget: engine.budget, pages: engine.pages, windowPages: engine.windowPages, coldStore: engine.coldStore, cache: cache, weightBytes: 0)
        return (rates, perStep, report)
    }

    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }
}
