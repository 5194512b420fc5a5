import Foundation
import Testing
import TestSupport

extension PressureScenarios {
    /// 64 three-turn chat sessions with idle gaps against a budget that holds about 8 sessions'
    /// KV hot (issue 15): the rest is compressed or evicted and reused, and nothing is lost.
    @Suite struct ManyIdleSessions {
        static let sessions = ChatSessions(count: 64, turns: 3, maxTokens: 10)

        /// stories260K (through the plain chat template) by default, so the scenario takes seconds;
        /// STRATA_PRESSURE_MODEL=smollm2 runs it on the default chat model (docs/pressure-report.md).
        static let model: (path: String, name: String) = ProcessInfo.processInfo.environment["STRATA_PRESSURE_MODEL"] == "smollm2"
            ? (TestModels.smollm2Path, "SmolLM2") : (Fixtures.model("stories260K.gguf"), "stories260K")

        @Test("64 idle multi-turn sessions on a tight budget: all turns complete, greedy equal to an unlimited run, budget kept",
              .enabled(if: model.name != "SmolLM2" || TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)))
        func manyIdleSessions() async throws {
            // --deterministic: batch-invariant kernels, so that KV reused, compressed or recomputed
            // gives the same tokens (the default kernels' sums depend on the batch's shape).
            let common = ["--model", Self.model.path, "--queue", "64", "--deterministic"]
            let unlimited = try await ServerProcess.start(common)
            let reference = await Self.sessions.run(against: unlimited.baseURL)
            let unlimitedMetrics = try await PrometheusSamples.scrape(unlimited)
            unlimited.stop()
            #expect(reference.joined().allSatisfy { $0.status == 200 }, "\(reference.joined().filter { $0.status != 200 })")

            // A budget that holds the pools and about 8 sessions' KV: the longest session's
            // tokens in whole 16-token pages, plus one page each for the page the next turn opens.
            let pageBytes = 16 * Int(unlimitedMetrics.value("strata_kv_bytes_per_token"))
            let sessionPages = (reference.map { $0.last?.totalTokens ?? 0 }.max() ?? 0) / 16 + 2
            let budget = Int(unlimitedMetrics.value("strata_memory_bytes", #"tier="pools""#)) + 8 * sessionPages * pageBytes
            let server = try await ServerProcess.start(common + ["--memory-budget", "\(budget)"])
            defer { server.stop() }
            let turns = await Self.sessions.run(against: server.baseURL)
            let metrics = try await PrometheusSamples.scrape(server)
            let probe = server.probe

            var report = PressureReport("many idle sessions: 64 x 3 chat turns, \(Self.model.name), --memory-budget \(budget) (8 sessions)")
            let all = turns.joined()
            report.sent = all.count
            report.accepted = all.filter { $0.status == 200 }.count
            report.completed = all.filter { $0.status == 200 && ["stop", "length"].contains($0.finishReason) }.count
            report.refused = all.filter { (400..<600).contains($0.status) }.count
            report.lost = report.accepted - report.completed + all.filter { $0.status == 0 }.count
            report.read(metrics, probe)
            report.emit()

            #expect(report.sent == 64 * 3 && report.completed == report.sent, "\(all.filter { $0.status != 200 })")
            for session in 0..<turns.count where turns[session] != reference[session] {
                Issue.record("session \(session) differs from the unlimited run:\n\(turns[session])\nvs\n\(reference[session])")
            }
            // The budget was tight enough to matter, and the prefix cache served later turns.
            #expect(report.compressions > 0, "\(report)")
            #expect(report.prefixHits > 0, "\(report)")
            #expect(report.budgetBytes == budget)
            #expect(report.peakAccountedBytes <= budget, "accounted \(report.peakAccountedBytes) > budget \(budget)")
            // RSS: the budget, the weights (mapped file pages, all touched) and what the process
            // needs outside the budget (runtime, threads, HTTP buffers): stated slack 96 MiB.
            let weights = Int(metrics.value("strata_weights_bytes"))
            let slack = 96 << 20
            #expect(report.peakResidentBytes <= budget + weights + slack,
                    "peak RSS \(report.peakResidentBytes) > budget \(budget) + weights \(weights) + slack \(slack)")
        }
    }
}
