import Foundation
import Testing
import TestSupport

/// A memory cgroup of our own with a hard limit: v2 (`memory.max`) where the unified hierarchy
/// has the memory controller, else v1 (`memory.limit_in_bytes`); nil where this machine does not
/// let the tests make one (not root, read-only cgroup file system, no memory controller).
struct MemoryCGroup {
    let path: String
    let version: Int

    init?(limit: Int) {
        let name = "strata-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        let candidates: [(String, Int)] = [("/sys/fs/cgroup", 2), ("/sys/fs/cgroup/unified", 2), ("/sys/fs/cgroup/memory", 1)]
        for (root, version) in candidates {
            if version == 2 {
                guard let controllers = try? String(contentsOfFile: root + "/cgroup.controllers", encoding: .utf8),
                      controllers.split(separator: " ").contains(where: { $0.hasPrefix("memory") }) else { continue }
                // Children get the controller only if the root hands it down.
                _ = try? "+memory".write(toFile: root + "/cgroup.subtree_control", atomically: false, encoding: .utf8)
            } else if !FileManager.default.fileExists(atPath: root + "/memory.limit_in_bytes") {
                continue
            }
            let path = root + "/" + name
            guard mkdir(path, 0o755) == 0 else { continue }
            let file = version == 2 ? "/memory.max" : "/memory.limit_in_bytes"
            if (try? "\(limit)".write(toFile: path + file, atomically: false, encoding: .utf8)) != nil {
                if version == 2 { _ = try? "0".write(toFile: path + "/memory.swap.max", atomically: false, encoding: .utf8) }
                else { _ = try? "\(limit)".write(toFile: path + "/memory.memsw.limit_in_bytes", atomically: false, encoding: .utf8) }
                self.path = path
                self.version = version
                return
            }
            rmdir(path)
        }
        return nil
    }

    /// OOM kills in the cgroup so far.
    var oomKills: Int {
        let file = version == 2 ? "/memory.events" : "/memory.oom_control"
        let text = (try? String(contentsOfFile: path + file, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
            return Int(line.split(separator: " ")[1]) ?? 0
        }
        return 0
    }

    /// The most memory the cgroup has been charged (page cache included).
    var peakBytes: Int {
        let file = version == 2 ? "/memory.peak" : "/memory.max_usage_in_bytes"
        return Int(((try? String(contentsOfFile: path + file, encoding: .utf8)) ?? "").filter { !$0.isWhitespace }) ?? 0
    }

    /// Removes the cgroup (empty by then: its process has exited).
    func remove() { rmdir(path) }
}

extension PressureScenarios {
    /// The server inside a hard memory limit with the default budget (issue 15): the budget
    /// follows the cgroup, leaving the weights and a headroom outside it, so a load that needs
    /// far more KV than fits is served by compressing and preempting, never by the OOM killer.
    @Suite struct HardLimit {
        static let limit = 320 << 20
        static let cgroup = MemoryCGroup(limit: limit)

        @Test("inside a 320 MiB memory cgroup, the default budget follows it: 16 long requests complete, no OOM kill",
              .enabled(if: TestModels.smollm2IsPresent, Comment(rawValue: TestModels.smollm2Missing)),
              .enabled(if: cgroup != nil, "this machine does not let the tests create a memory cgroup (needs root and a writable cgroup fs)"))
        func hardLimit() async throws {
            let cgroup = try #require(Self.cgroup)
            defer { cgroup.remove() }
            // Out of the page cache, so that the server's reads of the weights are charged to its
            // cgroup, as in a container that starts cold (best effort: a page mapped elsewhere stays).
            let model = open(TestModels.smollm2Path, O_RDONLY)
            if model >= 0 {
                _ = posix_fadvise(model, 0, 0, POSIX_FADV_DONTNEED)
                close(model)
            }
            // F32 KV (46 KB a token for SmolLM2): 16 requests of ~180 tokens need ~130 MB of KV,
            // more than the default budget leaves (320 MiB - weights - 128 MiB headroom).
            let server = try await ServerProcess.start(["--model", TestModels.smollm2Path, "--kv-type", "f32", "--parallel", "8"],
                                                       cgroup: cgroup.path)
            let results = await withTaskGroup(of: (Int, String).self) { group in
                for i in 0..<16 {
                    group.addTask {
                        let words = (0..<40).map { "w\(($0 * 7 + i * 13) % 97)" }.joined(separator: " ")
                        let body = #"{"prompt": "Story \#(i): \#(words)", "max_tokens": 80, "temperature": 0}"#
                        return (try? await HTTP.exchange(server.baseURL + "/v1/completions", body: body, client: HTTP.wide))
                            .map { ($0.0, $0.2) } ?? (0, "no answer")
                    }
                }
                var all: [(Int, String)] = []
                for await r in group { all.append(r) }
                return all
            }
            let alive = server.process.isRunning
            let metrics = alive ? try server.scrapeClosing() : PrometheusSamples("")
            var report = PressureReport("hard limit: cgroup v\(cgroup.version) memory limit 320 MiB, SmolLM2, default budget, F32 KV")
            report.sent = results.count
            report.completed = results.filter { $0.0 == 200 && $0.1.contains(#""completion_tokens":80"#) }.count
            report.accepted = results.filter { $0.0 == 200 }.count
            report.lost = report.accepted - report.completed + results.filter { $0.0 == 0 }.count
            report.read(metrics, server.probe)
            report.notes = "cgroup peak \(cgroup.peakBytes) bytes, OOM kills \(cgroup.oomKills)"
            report.emit()
            let status = server.stop()

            #expect(alive && status == 0, "the server died: \(server.log.suffix(2000))")
            #expect(cgroup.oomKills == 0)
            #expect(report.completed == 16, "\(results.filter { $0.0 != 200 })")
            let budget = Int(metrics.value("strata_memory_budget_bytes"))
            let weights = Int(metrics.value("strata_weights_bytes"))
            #expect(budget > 0 && budget <= Self.limit - weights - (128 << 20), "budget \(budget)")
            #expect(report.compressions + report.preemptions > 0, "the load never pressed the budget: \(report)")
        }
    
        @Test("an embedding model's default budget in a cgroup leaves its weights outside it too",
              .enabled(if: FileManager.default.fileExists(atPath: Fixtures.model("minilm") + "/model.safetensors"), "models/minilm is not fetched"),
              .enabled(if: cgroup != nil, "this machine does not let the tests create a memory cgroup (needs root and a writable cgroup fs)"))
        func embeddingBudget() async throws {
            let cgroup = try #require(MemoryCGroup(limit: Self.limit))
            defer { cgroup.remove() }
            let server = try await ServerProcess.start(["--model", Fixtures.model("minilm")], cgroup: cgroup.path)
            let metrics = try server.scrapeClosing()
            _ = server.stop()
            let budget = Int(metrics.value("strata_memory_budget_bytes"))
            let weights = Int(metrics.value("strata_weights_bytes"))
            // The limit less the weights (~90 MB) and the headroom, as for a completion model.
            #expect(weights > 80_000_000 && budget == Self.limit - weights - max(128 << 20, Self.limit / 10), "budget \(budget), weights \(weights)")
        }
}
}
