import Foundation
import Testing
import TestSupport

extension PressureScenarios {
    /// Clients vanishing at random points (issue 15): mid-body, mid-prompt, mid-stream, with FIN
    /// or RST. Afterwards the server is back to where it started: no sequence running, every KV
    /// page free or cached, the pools as before, the same open descriptors.
    @Suite struct DisconnectStorm {
        @Test("80 clients vanish mid-body, mid-prompt and mid-stream: sequences, pages, pools and descriptors return to baseline")
        func disconnectStorm() async throws {
            let server = try await ServerProcess.start(["--parallel", "4", "--queue", "64", "--idle-timeout", "2"])
            defer { server.stop() }
            let port = server.port
            let warm = try RawConnection.exchange(port: port, "POST", "/v1/completions",
                                                  body: #"{"prompt": "Once upon a time", "max_tokens": 16}"#)
            #expect(warm.hasPrefix("HTTP/1.1 200"), "\(warm)")
            // The start-up probe's kept-alive connection closes at the idle timeout.
            try await Task.sleep(for: .seconds(3))
            let probe = server.probe
            let baselineDescriptors = probe.descriptors
            let baselineKinds = probe.descriptorKinds
            let baseline = try server.scrapeClosing()

            let clients = 80
            let longPrompt = String(repeating: " a", count: 400)
            await onThreads(clients) { i in
                var random = SystemRandomNumberGenerator()
                guard let c = try? RawConnection(port: port, readTimeout: 30) else { return }
                let reset = i % 8 < 3
                switch i % 4 {
                case 0:  // half a body, then gone
                    let body = #"{"prompt": "Once upon a time", "max_tokens": 32}"#
                    c.send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                           + "Content-Length: \(body.utf8.count)\r\n\r\n" + body.prefix(body.utf8.count / 2))
                    usleep(UInt32.random(in: 0...300_000, using: &random))
                case 1:  // a long prompt, gone while it is evaluated or queued
                    let body = #"{"prompt": "\#(longPrompt)", "max_tokens": 64}"#
                    c.send(ConnectionHygieneTests.post(body))
                    usleep(UInt32.random(in: 0...200_000, using: &random))
                case 2:  // gone mid-stream, after a few events
                    c.send(ConnectionHygieneTests.post(#"{"prompt": "Once upon a time \#(i)", "max_tokens": 400, "stream": true}"#))
                    _ = c.read(until: "data: ", times: Int.random(in: 1...20, using: &random))
                default:  // headers only
                    c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n")
                    usleep(UInt32.random(in: 0...100_000, using: &random))
                }
                c.close(reset: reset)
            }

            // Every connection closed: the sockets are exactly as before. Other descriptors may
            // be made once, lazily, by the runtime (an event loop's timer, a thread pool's
            // wake-up): a few more are allowed, and the note names them if a run has them.
            func socketsBack(_ d: (all: Int, sockets: Int)) -> Bool { d.sockets == baselineDescriptors.sockets }
            func othersBounded(_ d: (all: Int, sockets: Int)) -> Bool {
                d.all - d.sockets <= baselineDescriptors.all - baselineDescriptors.sockets + 2
            }
            // Everything the storm started ends: cancelled, or finished if it was quick enough.
            var after = try server.scrapeClosing()
            var descriptors = probe.descriptors
            for _ in 0..<300 {
                let settled = after.value("strata_running_sequences") == 0 && after.value("strata_queue_depth") == 0
                    && after.value("strata_kv_pages", #"state="hot""#) <= after.value("strata_kv_cached_pages")
                if settled && socketsBack(descriptors) && othersBounded(descriptors) { break }
                try await Task.sleep(for: .milliseconds(100))
                after = try server.scrapeClosing()
                descriptors = probe.descriptors
            }
            var report = PressureReport("disconnect storm: 80 clients gone mid-body/prompt/stream, stories260K, --parallel 4")
            report.sent = clients
            report.read(after, probe)
            let kinds = probe.descriptorKinds
            let changed = Set(kinds.keys).union(baselineKinds.keys).filter { kinds[$0] != baselineKinds[$0] }.sorted()
                .map { "\($0) \(baselineKinds[$0] ?? 0) -> \(kinds[$0] ?? 0)" }
            report.notes = "descriptors \(baselineDescriptors.all) before, \(descriptors.all) after, sockets \(baselineDescriptors.sockets) and \(descriptors.sockets)"
                + (changed.isEmpty ? "" : " (\(changed.joined(separator: ", ")))") + "; "
                + "cancelled \(Int(after.value("strata_requests_cancelled_total"))), 499s \(Int(after.requests("/v1/completions", 499)))"
            report.emit()

            #expect(socketsBack(descriptors), "\(report.notes)")
            #expect(othersBounded(descriptors), "\(report.notes)")
            #expect(after.value("strata_running_sequences") == 0 && after.value("strata_queue_depth") == 0)
            #expect(after.value("strata_kv_pages", #"state="hot""#) <= after.value("strata_kv_cached_pages"))
            #expect(after.value("strata_memory_bytes", #"tier="pools""#) == baseline.value("strata_memory_bytes", #"tier="pools""#))
            // The mid-stream clients (20) were generating: each one's sequence was cancelled.
            #expect(after.value("strata_requests_cancelled_total") >= Double(clients / 4), "\(report.notes)")
            let normal = try RawConnection.exchange(port: port, "POST", "/v1/completions",
                                                    body: #"{"prompt": "Once upon a time", "max_tokens": 16}"#)
            #expect(normal.hasPrefix("HTTP/1.1 200"), "\(normal)")
        }
    }
}
