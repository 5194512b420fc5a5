import Engine
import Memory
import StrataRuntime
import Testing
import TestSupport

/// The embedding engine thread: concurrent requests merged into batches, typed refusals.
@Suite struct EmbeddingServiceTests {
    static func service(capacity: Int = 16, budget: MemoryBudget = MemoryBudget(limitBytes: 1 << 30)) throws -> EmbeddingService {
        try EmbeddingService(model: TestModels.minilm(), pool: ThreadPool(threads: 2), maxBatchTokens: 256, capacity: capacity,
                             maxInputsPerRequest: 64, budget: budget)
    }

    @Test func concurrentRequestsGetTheEncodersVectors() async throws {
        let service = try Self.service()
        let goldens = MiniLMGoldens.shared.embeddings
        // 17 inputs over 5 concurrent requests, 256-token batches: requests span batches and share them.
        let groups = [Array(goldens[0..<4]), Array(goldens[4..<8]), Array(goldens[8..<12]), Array(goldens[12..<16]), [goldens[16]]]
        let results = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for (i, inputs) in groups.enumerated() {
                group.addTask { (i, try await service.embed(inputs.map(\.ids))) }
            }
            var out = [[[Float]]](repeating: [], count: groups.count)
            for try await (i, vectors) in group { out[i] = vectors }
            return out
        }
        for (inputs, vectors) in zip(groups, results) {
            #expect(vectors.count == inputs.count)
            for (golden, vector) in zip(inputs, vectors) {
                #expect(cosine(vector, golden.embedding) >= 0.9999, "\(golden.text.prefix(40))")
            }
        }
        let snapshot = service.snapshot()
        #expect(snapshot.completedRequests == 5 && snapshot.queued == 0 && snapshot.running == 0)
        #expect(snapshot.promptTokens == goldens.reduce(0) { $0 + $1.ids.count })
        await service.shutdown()
    }

    @Test func badInputsAreRefusedWithTypedErrors() async throws {
        let service = try Self.service()
        let cases: [([[TokenID]], EmbeddingError)] = [
            ([], .noInputs),
            (Array(repeating: [101, 102], count: 65), .tooManyInputs(count: 65, limit: 64)),
            ([[101, 102], []], .emptyInput(index: 1)),
            ([[TokenID](repeating: 7592, count: 257)], .tooLong(index: 0, tokens: 257, limit: 256)),
            ([[101, 30522, 102]], .invalidToken(index: 0, token: 30522, vocabularySize: 30522)),
            ([[101, -1, 102]], .invalidToken(index: 0, token: -1, vocabularySize: 30522)),
        ]
        for (inputs, expected) in cases {
            await #expect(throws: expected) { try await service.embed(inputs) }
            #expect(!expected.description.isEmpty)
        }
        #expect(try await service.embed([[101, 102]]).count == 1)
        // Requests in flight at shutdown are answered; later ones are refused; a second shutdown is harmless.
        let inFlight = (0..<6).map { i in Task { try await service.embed([[101, TokenID(2000 + i), 102]]) } }
        await service.shutdown()
        for task in inFlight {
            switch await task.result {
            case .success(let vectors): #expect(vectors.count == 1)
            case .failure(let error): #expect(error as? EmbeddingError == .shuttingDown)
            }
        }
        await service.shutdown()
        await #expect(throws: EmbeddingError.shuttingDown) { try await service.embed([[101, 102]]) }
        #expect(service.health == .stopping)
    }

    @Test func aBudgetTooSmallForTheBuffersIsRefused() throws {
        #expect(throws: EvaluationError.self) { try Self.service(budget: MemoryBudget(limitBytes: 1 << 20)) }
    }
}
