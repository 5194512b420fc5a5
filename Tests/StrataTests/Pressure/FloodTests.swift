import Foundation
import NIOHTTP1
import Testing
import TestSupport

extension PressureScenarios {
    /// Far more concurrent requests than `--parallel` plus the queue (issue 15): the excess gets
    /// 429 with `Retry-After`, everything accepted completes, nothing hangs.
    @Suite struct Flood {
        @Test("300 concurrent requests against --parallel 2 --queue 8: 429 + Retry-After for the excess, every accepted one completes")
        func flood() async throws {
            let server = try await ServerProcess.start(["--parallel", "2", "--queue", "8"])
            defer { server.stop() }
            let sent = 300
            let outcomes = await withTaskGroup(of: FloodOutcome.self) { group in
                for i in 0..<sent {
                    group.addTask {
                        let stream = i % 3 == 0
                        let body = #"{"prompt": "Once upon a time \#(i)", "max_tokens": 24, "temperature": 0, "stream": \#(stream)}"#
                        let answer: (Int, HTTPHeaders, String)
                        do {
                            answer = try await HTTP.exchange(server.baseURL + "/v1/completions", body: body, client: HTTP.wide)
                        } catch {
                            return .noAnswer("\(error)")
                        }
                        let (status, headers, text) = answer
                        switch status {
                        case 200:
                            let complete = stream ? text.hasSuffix("data: [DONE]\n\n") && text.contains(#""finish_reason":"length""#)
                                                  : text.contains(#""finish_reason":"length""#) && text.contains(#""completion_tokens":24"#)
                            return complete ? .completed : .incomplete(text)
                        case 429, 503:
                            return headers.first(name: "Retry-After").flatMap(Int.init).map { $0 > 0 } == true
                                ? .refused : .refusedWithoutRetryAfter(status)
                        default:
                            return .unexpected(status, text)
                        }
                    }
                }
                var all: [FloodOutcome] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let metrics = try await PrometheusSamples.scrape(server)
            var report = PressureReport("flood: 300 concurrent completions, stories260K, --parallel 2 --queue 8")
            report.sent = sent
            report.completed = outcomes.filter { $0 == .completed }.count
            report.accepted = report.completed + outcomes.filter { if case .incomplete = $0 { true } else { false } }.count
            report.refused = outcomes.filter { $0 == .refused }.count
            report.lost = report.accepted - report.completed + outcomes.filter { if case .noAnswer = $0 { true } else { false } }.count
            report.read(metrics, server.probe)
            report.emit()

            #expect(report.lost == 0)
            #expect(report.completed + report.refused == sent, "\(outcomes.filter { $0 != .completed && $0 != .refused }.prefix(3))")
            #expect(report.completed >= 10 && report.refused > 0, "the flood should be both served and refused: \(report)")
            // The server's own counts agree with what the clients saw, and it is idle again.
            #expect(metrics.requests("/v1/completions", 200) == Double(report.completed))
            #expect(metrics.requests("/v1/completions", 429) == Double(report.refused))
            #expect(metrics.value("strata_queue_depth") == 0 && metrics.value("strata_running_sequences") == 0)
            let (status, _) = try await HTTP.get(server.baseURL + "/health")
            #expect(status == 200)
        }
    }
}

enum FloodOutcome: Equatable {
    case completed, refused
    case noAnswer(String)
    case incomplete(String)
    case refusedWithoutRetryAfter(Int)
    case unexpected(Int, String)
}
