import Engine
import Foundation
import HummingbirdTesting
import Testing

@Suite struct MetricsTests {
    /// One sample of the Prometheus text format: `name{label="value",...} number`.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses the text exposition format strictly enough to catch malformed output: every line is a
    /// `# HELP`/`# TYPE` comment or a sample, every sample's family was declared by a `# TYPE`.
    static func parse(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [Sample] {
        var samples: [Sample] = []
        var families: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3)
                #expect(parts.count >= 3 && ["HELP", "TYPE"].contains(parts[1]), "comment: \(line)", sourceLocation: sourceLocation)
                if parts.count == 4, parts[1] == "TYPE" {
                    families.insert(String(parts[2]))
                    #expect(["counter", "gauge", "histogram"].contains(parts[3]), sourceLocation: sourceLocation)
                }
                continue
            }
            guard let sample = parseSample(line) else {
                Issue.record("not a sample: \(line)", sourceLocation: sourceLocation)
                continue
            }
            let family = ["_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
                families.contains(name) || !name.hasSuffix(suffix) ? name : String(name.dropLast(suffix.count))
            }
            #expect(families.contains(family), "no # TYPE for \(sample.name)", sourceLocation: sourceLocation)
            samples.append(sample)
        }
        return samples
    }

    private static func parseSample(_ line: Substring) -> Sample? {
        guard let space = line.lastIndex(of: " ") else { return nil }
        let series = line[..<space]
        let valueText = line[line.index(after: space)...]
        guard let value = Double(valueText) ?? (valueText == "+Inf" ? .infinity : nil) else { return nil }
        let name: Substring
        var labels: [String: String] = [:]
        if let brace = series.firstIndex(of: "{") {
            guard series.hasSuffix("}") else { return nil }
            name = series[..<brace]
            let body = series[series.index(after: brace)..<series.index(before: series.endIndex)]
            for pair in body.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[1].count >= 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\"") else { return nil }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
        } else {
            name = series
        }
        guard let first = name.first, first.isLetter || first == "_",
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") })
        else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }

    private static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private static func scrape(_ client: any TestClientProtocol) async throws -> [Sample] {
        let response = try await client.get("/metrics")
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
        return parse(String(buffer: response.body))
    }

    @Test("/metrics is Prometheus text with the engine's gauges from its snapshot")
    func gauges() async throws {
        let backend = MockBackend()
        var snapshot = BackendSnapshot()
        snapshot.queued = 3
        snapshot.running = 2
        snapshot.hotBytes = 4096
        snapshot.coldBytes = 1024
        snapshot.freeBytes = 8192
        snapshot.poolBytes = 512
        snapshot.hotPages = 4
        snapshot.coldPages = 1
        snapshot.freePages = 8
        snapshot.coldCompressionRatio = 2.5
        snapshot.preemptions = 7
        snapshot.cancelledRequests = 5
        snapshot.stoppedRequests = 11
        snapshot.lengthRequests = 12
        snapshot.failedRequests = 2
        snapshot.kvCompressions = 13
        snapshot.kvDecompressions = 6
        snapshot.kvEvictions = 4
        snapshot.prefixHitBlocks = 21
        snapshot.budgetBytes = 1 << 20
        snapshot.peakBytes = 900_000
        snapshot.kvCacheUsageRatio = 0.25
        snapshot.gpuBytes = 2048
        snapshot.weightBytes = 1_000_000
        snapshot.kvBytesPerToken = 256
        backend.snapshotValue = snapshot
        let initial = snapshot
        try await withServer(backend) { client in
            let samples = try await Self.scrape(client)
            #expect(Self.value(samples, "strata_queue_depth") == 3)
            #expect(Self.value(samples, "strata_running_sequences") == 2)
            #expect(Self.value(samples, "strata_memory_bytes", ["tier": "hot"]) == 4096)
            #expect(Self.value(samples, "strata_memory_bytes", ["tier": "cold"]) == 1024)
            #expect(Self.value(samples, "strata_memory_bytes", ["tier": "free"]) == 8192)
            #expect(Self.value(samples, "strata_memory_bytes", ["tier": "pools"]) == 512)
            #expect(Self.value(samples, "strata_kv_pages", ["state": "hot"]) == 4)
            #expect(Self.value(samples, "strata_kv_pages", ["state": "cold"]) == 1)
            #expect(Self.value(samples, "strata_kv_pages", ["state": "free"]) == 8)
            #expect(Self.value(samples, "strata_cold_compression_ratio") == 2.5)
            #expect(Self.value(samples, "strata_preemptions_total") == 7)
            #expect(Self.value(samples, "strata_requests_cancelled_total") == 5)
            #expect(Self.value(samples, "strata_request_finishes_total", ["reason": "stop"]) == 11)
            #expect(Self.value(samples, "strata_request_finishes_total", ["reason": "length"]) == 12)
            #expect(Self.value(samples, "strata_request_finishes_total", ["reason": "cancelled"]) == 5)
            #expect(Self.value(samples, "strata_request_finishes_total", ["reason": "failed"]) == 2)
            #expect(Self.value(samples, "strata_kv_compressions_total") == 13)
            #expect(Self.value(samples, "strata_kv_decompressions_total") == 6)
            #expect(Self.value(samples, "strata_kv_evictions_total") == 4)
            #expect(Self.value(samples, "strata_kv_prefix_hits_total") == 21)
            #expect(Self.value(samples, "strata_memory_budget_bytes") == 1_048_576)
            #expect(Self.value(samples, "strata_memory_peak_bytes") == 900_000)
            #expect(Self.value(samples, "strata_kv_cache_usage_ratio") == 0.25)
            #expect(Self.value(samples, "strata_memory_bytes", ["tier": "gpu"]) == 2048)
            #expect(Self.value(samples, "strata_weights_bytes") == 1_000_000)
            #expect(Self.value(samples, "strata_kv_bytes_per_token") == 256)

            // Engine counters follow the snapshot on the next scrape.
            var updated = initial
            updated.preemptions = 9
            updated.queued = 0
            backend.snapshotValue = updated
            let again = try await Self.scrape(client)
            #expect(Self.value(again, "strata_preemptions_total") == 9)
            #expect(Self.value(again, "strata_queue_depth") == 0)
        }
    }

    @Test("request, token and latency metrics move with requests")
    func countersMove() async throws {
        let backend = MockBackend()
        try await withServer(backend) { client in
            let before = try await Self.scrape(client)
            let completions = ["endpoint": "/v1/completions", "status": "200"]
            #expect(Self.value(before, "strata_requests_total", completions) == nil)
            #expect(Self.value(before, "strata_generated_tokens_total") == 0)

            #expect(try await client.post("/v1/completions", ["prompt": "a b c", "max_tokens": 3]).status == .ok)
            #expect(try await client.post("/v1/completions", ["prompt": "a b c", "max_tokens": 2, "stream": true]).status == .ok)
            #expect(try await client.post("/v1/completions", ["prompt": 5]).status == .badRequest)
            #expect(try await client.get("/nowhere").status == .notFound)

            let after = try await Self.scrape(client)
            #expect(Self.value(after, "strata_requests_total", completions) == 2)
            #expect(Self.value(after, "strata_requests_total", ["endpoint": "/v1/completions", "status": "400"]) == 1)
            #expect(Self.value(after, "strata_requests_total", ["endpoint": "unmatched", "status": "404"]) == 1)
            #expect(Self.value(after, "strata_requests_total", ["endpoint": "/metrics", "status": "200"]) == 1)
            #expect(Self.value(after, "strata_prompt_tokens_total") == 12)
            #expect(Self.value(after, "strata_generated_tokens_total") == 5)
            #expect(Self.value(after, "strata_time_to_first_token_seconds_count") == 2)
            #expect(Self.value(after, "strata_time_per_output_token_seconds_count") == 2)
            #expect(Self.value(after, "strata_time_to_first_token_seconds_bucket", ["le": "+Inf"]) == 2)
        }
    }

    @Test("two servers in one process keep their own registries")
    func separateRegistries() async throws {
        try await withServer(MockBackend()) { first in
            #expect(try await first.post("/v1/completions", ["prompt": "a"]).status == .ok)
            try await withServer(MockBackend()) { second in
                let samples = try await Self.scrape(second)
                #expect(Self.value(samples, "strata_requests_total", ["endpoint": "/v1/completions", "status": "200"]) == nil)
            }
        }
    }

    @Test("the parser rejects malformed lines")
    func parserRejects() {
        #expect(Self.parseSample("strata_x{a=\"b\"} 1") == Sample(name: "strata_x", labels: ["a": "b"], value: 1))
        #expect(Self.parseSample("strata_x 2.5") == Sample(name: "strata_x", labels: [:], value: 2.5))
        #expect(Self.parseSample("strata_x{a=b} 1") == nil)
        #expect(Self.parseSample("strata x 1") == nil)
        #expect(Self.parseSample("strata_x one") == nil)
    }
}
