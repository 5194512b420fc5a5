import Engine
import Memory
import StrataRuntime
import Testing
import TestSupport

/// all-MiniLM-L6-v2 against the independent numpy reference, alone and in packed batches.
@Suite struct BertEncoderTests {
    @Test func everyReferenceSentenceMatchesAlone() throws {
        let model = try TestModels.minilm()
        let encoder = BertEncoder(model: model, pool: ThreadPool(threads: 2), maxBatchTokens: 512)
        for golden in MiniLMGoldens.shared.embeddings {
            let vector = encoder.embedAll([golden.ids])[0]
            #expect(vector.count == 384)
            let similarity = cosine(vector, golden.embedding)
            #expect(similarity >= 0.9999, "\(golden.text.prefix(60)): cosine \(similarity)")
            #expect(abs(cosine(vector, vector) - 1) < 1e-5, "not unit length")
        }
    }

    @Test func batchEqualsSingle() throws {
        let model = try TestModels.minilm()
        let encoder = BertEncoder(model: model, pool: ThreadPool(threads: 2), maxBatchTokens: 1024)
        let goldens = MiniLMGoldens.shared.embeddings
        // All 17 in one packed batch.
        #expect(goldens.reduce(0) { $0 + $1.ids.count } <= encoder.maxBatchTokens)
        let batch = encoder.embedAll(goldens.map(\.ids))
        for (i, golden) in goldens.enumerated() {
            let single = encoder.embedAll([golden.ids])[0]
            let difference = zip(single, batch[i]).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-5, "\(golden.text.prefix(60)): batch differs from single by \(difference)")
            #expect(cosine(batch[i], golden.embedding) >= 0.9999)
        }
    }

    @Test func paraphrasesAreCloserThanUnrelatedSentences() throws {
        let model = try TestModels.minilm()
        let encoder = BertEncoder(model: model, pool: ThreadPool(threads: 1), maxBatchTokens: 256)
        let sentences = ["A man is playing a guitar.", "Someone plays an acoustic guitar.",
                         "The cat sits on the mat.", "A cat is sitting on a rug.",
                         "How do I reset my password?", "I forgot my login credentials and need to change them."]
        let vectors = encoder.embedAll(sentences.map { model.tokenizer.encode($0) })
        for pair in stride(from: 0, to: sentences.count, by: 2) {
            let paraphrase = cosine(vectors[pair], vectors[pair + 1])
            for other in sentences.indices where other / 2 != pair / 2 {
                #expect(paraphrase > cosine(vectors[pair], vectors[other]) + 0.2,
                        "'\(sentences[pair])' is not closer to its paraphrase than to '\(sentences[other])'")
            }
        }
    }

    @Test func aFullBatchOfMaximumLengthInputsRuns() throws {
        let model = try TestModels.minilm()
        let encoder = BertEncoder(model: model, pool: ThreadPool(threads: 2), maxBatchTokens: 512)
        let long = model.tokenizer.truncate(model.tokenizer.encode(String(repeating: "memory bandwidth ", count: 200)), to: 256)
        #expect(encoder.canAdd(tokens: 256))
        encoder.beginBatch()
        long.withUnsafeBufferPointer { _ = encoder.add($0) }
        #expect(encoder.canAdd(tokens: 256) && !encoder.canAdd(tokens: 257))
        long.withUnsafeBufferPointer { _ = encoder.add($0) }
        #expect(!encoder.canAdd(tokens: 1))
        encoder.run()
        // Equal up to float rounding: the two copies sit at different offsets of the matmul tiles.
        let difference = zip(encoder.embedding(0), encoder.embedding(1)).map { abs($0 - $1) }.max()!
        #expect(difference < 2e-5)
        #expect(encoder.embedding(0).allSatisfy { $0.isFinite })
    }

    @Test(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator))) func aBatchDoesNotAllocate() throws {
        let model = try TestModels.minilm()
        let pool = ThreadPool(threads: 2)
        let encoder = BertEncoder(model: model, pool: pool, maxBatchTokens: 512)
        // Buffers made up front: a closure over an array allocates its context in a debug test build.
        let inputs = MiniLMGoldens.shared.embeddings.prefix(12).map { ids in
            let buffer = UnsafeMutableBufferPointer<TokenID>.allocate(capacity: ids.ids.count)
            _ = buffer.initialize(from: ids.ids)
            return UnsafeBufferPointer(buffer)
        }
        defer { inputs.forEach { $0.deallocate() } }
        func run() {
            encoder.beginBatch()
            var i = 0
            while i < inputs.count {
                encoder.add(inputs[i])
                i += 1
            }
            encoder.run()
        }
        run()  // warm-up: lazy runtime metadata
        let before = AllocatorStatistics.threadAllocatedBytes(), workersBefore = pool.workerAllocatedBytes()
        for _ in 0..<3 { run() }
        #expect(AllocatorStatistics.threadAllocatedBytes() - before == 0, "engine thread")
        #expect(pool.workerAllocatedBytes() - workersBefore == 0, "worker threads")
    }
}
