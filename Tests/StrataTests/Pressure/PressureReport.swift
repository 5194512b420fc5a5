import Foundation

/// One scenario's figures, printed, and appended as a JSON line to the file named by
/// `STRATA_PRESSURE_REPORT` when it is set (docs/pressure-report.md is made from such a run).
struct PressureReport {
    var scenario: String
    /// Requests sent, accepted (the server started answering them), completed, refused
    /// (429/503/4xx by design), lost (accepted and never completed, or no answer at all).
    var sent = 0, accepted = 0, completed = 0, refused = 0, lost = 0
    var budgetBytes = 0, peakAccountedBytes = 0, peakResidentBytes = 0
    var compressions = 0, preemptions = 0, prefixHits = 0
    /// The server's time-to-first-token histogram's 99th percentile (its bucket's upper bound), seconds.
    var p99TimeToFirstToken: Double?
    /// Most connections the server held open at once, as sampled.
    var connectionsHeld = 0
    var notes = ""

    init(_ scenario: String) { self.scenario = scenario }

    /// Fills the engine's figures from a final scrape and the process's peak RSS.
    mutating func read(_ metrics: PrometheusSamples, _ probe: ProcessProbe) {
        budgetBytes = Int(metrics.value("strata_memory_budget_bytes"))
        peakAccountedBytes = Int(metrics.value("strata_memory_peak_bytes"))
        peakResidentBytes = probe.peakResidentBytes
        compressions = Int(metrics.value("strata_kv_compressions_total"))
        preemptions = Int(metrics.value("strata_preemptions_total"))
        prefixHits = Int(metrics.value("strata_kv_prefix_hits_total"))
        p99TimeToFirstToken = Self.percentile(0.99, of: metrics, histogram: "strata_time_to_first_token_seconds")
    }

    /// The upper bound of the bucket holding the `q` quantile of a Prometheus histogram.
    static func percentile(_ q: Double, of metrics: PrometheusSamples, histogram name: String) -> Double? {
        let count = metrics.value(name + "_count")
        guard count > 0 else { return nil }
        return metrics.buckets(name).first { $0.count >= q * count }?.bound
    }

    /// Prints the figures and appends them to `STRATA_PRESSURE_REPORT`.
    func emit() {
        var fields: [String: Any] = [
            "scenario": scenario, "sent": sent, "accepted": accepted, "completed": completed, "refused": refused,
            "lost": lost, "budget_bytes": budgetBytes, "peak_accounted_bytes": peakAccountedBytes,
            "peak_rss_bytes": peakResidentBytes, "compressions": compressions, "preemptions": preemptions,
            "prefix_hits": prefixHits, "connections_held": connectionsHeld, "notes": notes,
        ]
        if let p99TimeToFirstToken { fields["p99_ttft_s"] = p99TimeToFirstToken.isFinite ? p99TimeToFirstToken : -1 }
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        let line = String(decoding: data, as: UTF8.self)
        print("pressure report: \(line)")
        if let path = ProcessInfo.processInfo.environment["STRATA_PRESSURE_REPORT"] {
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data((line + "\n").utf8))
                try? handle.close()
            }
        }
    }
}
