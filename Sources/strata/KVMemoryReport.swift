import Engine
import Memory
import StrataRuntime

/// `strata bench --memory`: the memory figures of the paged KV cache on this model's real KV
/// pages: cold-tier compression (with and without byte shuffle, F16 and F32 KV), LZ4
/// throughput, page allocation against malloc, and how many idle sessions fit in a budget.
enum KVMemoryReport {
    static func run(_ loaded: LoadedModel, pool: ThreadPool, promptTokens: Int, sessionTokens: Int = 2048,
                    budgetBytes: Int = 1 << 30) throws -> String {
        let c = loaded.model.shape
        let tokens = max(16, min(promptTokens, c.contextLength))
        var random = SeededGenerator(seed: 3)
        // A realistic prompt is text, not random ids: sample the model's own greedy continuation.
        var prompt: [TokenID] = [1]
        prompt.reserveCapacity(tokens)
        var lines: [String] = ["KV pages of this model (\(tokens) tokens, \(c.layers) layers, kvDim \(c.kvDim))"]
        var ratios: [DType: Double] = [:]
        for kv in [DType.f16, .f32, .q8_0] {
            let context = try EvaluationContext(model: loaded, pool: pool, capacity: tokens, maxBatch: 64, kvType: kv)
            if kv == .f16 {
                var logits = try context.evaluate(prompt)
                while prompt.count < tokens {
                    // Mostly greedy with a little noise, so the text does not loop.
                    var best = 0
                    for i in 1..<logits.count where logits[i] > logits[best] { best = i }
                    let token = random.next() % 8 == 0 ? TokenID(random.next() % UInt64(c.vocabularySize)) : TokenID(best)
                    prompt.append(token)
                    logits = try context.evaluate([token])
                }
            } else {
                _ = try context.evaluate(prompt)
            }
            let layout = context.engine.cache.layout
            let pages = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: context.engine.cache.maxBlocksPerSequence)
            defer { pages.deallocate() }
            let n = context.engine.cache.pageAddresses(context.sequenceID, into: pages)
            let element = kv == .f32 ? 4 : kv == .f16 ? 2 : 1
            for shuffle in element > 1 ? [true, false] : [false] {
                var raw = 0.0, packed = 0.0, storeSeconds = 0.0, loadSeconds = 0.0
                // Full pages only: the last one is partly empty, which would flatter the ratio.
                for p in 0..<max(1, n - 1) {
                    let f = MemoryMicroBenchmarks.compression(
                        of: UnsafeRawBufferPointer(start: pages[p], count: layout.pageBytes),
                        elementSize: element, shuffle: shuffle, iterations: 10)
                    raw += Double(f.bytes)
                    packed += Double(f.bytes) / f.ratio
                    storeSeconds += Double(f.bytes) / (f.compressGBps * 1e9)
                    loadSeconds += Double(f.bytes) / (f.decompressGBps * 1e9)
                }
                let ratio = raw / packed
                if shuffle || element == 1 { ratios[kv] = ratio }
                lines.append("  \(kv) KV \(shuffle ? "shuffle   " : "no shuffle") ratio \(String(format2: ratio))"
                             + "  store \(String(format2: raw / storeSeconds / 1e9)) GB/s  load \(String(format2: raw / loadSeconds / 1e9)) GB/s"
                             + "  (\(max(1, n - 1)) pages of \(formatBytes(layout.pageBytes)))")
            }
        }
        let f16Layout = KVPageLayout(layers: c.layers, blockTokens: 16, kvDim: c.kvDim, dtype: .f16)
        let sessionPages = (sessionTokens + 15) / 16
        let hotSession = Double(sessionPages * f16Layout.pageBytes)
        let coldSession = hotSession / (ratios[.f16] ?? 1)
        lines.append("Idle \(sessionTokens)-token sessions (F16 KV, \(formatBytes(Int(hotSession))) each) in a \(formatBytes(budgetBytes)) KV budget:"
                     + " \(Int(Double(budgetBytes) / hotSession)) hot, \(Int(Double(budgetBytes) / coldSession)) compressed")
        let alloc = MemoryMicroBenchmarks.pageAllocation(pageBytes: f16Layout.pageBytes)
        lines.append("Page allocate + free (\(formatBytes(f16Layout.pageBytes)) KV page): pool \(String(format1: alloc.poolNanosecondsPerPair)) ns,"
                     + " malloc \(String(format1: alloc.mallocNanosecondsPerPair)) ns")
        // The memory system's own figures on synthetic pages, for comparison.
        lines.append(MemoryMicroBenchmarks.report())
        return lines.joined(separator: "\n")
    }
}
