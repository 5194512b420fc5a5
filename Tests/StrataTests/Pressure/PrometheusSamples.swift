import Foundation

/// A `/metrics` scrape parsed into `name{labels}` -> value, as the text spells each series.
struct PrometheusSamples {
    private var values: [String: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
    }

    /// The series' value; `labels` as written, e.g. `tier="hot"` (nil when absent).
    subscript(_ name: String, _ labels: String? = nil) -> Double? {
        values[labels.map { "\(name){\($0)}" } ?? name]
    }

    /// The series' value, 0 when absent.
    func value(_ name: String, _ labels: String? = nil) -> Double { self[name, labels] ?? 0 }

    /// A histogram's buckets as (upper bound, cumulative count), by bound (+Inf last).
    func buckets(_ histogram: String) -> [(bound: Double, count: Double)] {
        let prefix = histogram + #"_bucket{le=""#
        return values.compactMap { key, count in
            guard key.hasPrefix(prefix) else { return nil }
            let bound = key.dropFirst(prefix.count).prefix { $0 != "\"" }
            return (bound == "+Inf" ? Double.infinity : Double(bound) ?? .nan, count)
        }.sorted { $0.bound < $1.bound }
    }

    /// Requests answered on `endpoint` with `status`.
    func requests(_ endpoint: String, _ status: Int) -> Double {
        value("strata_requests_total", #"endpoint="\#(endpoint)",status="\#(status)""#)
    }

    /// Scrapes `server`'s `/metrics`.
    static func scrape(_ server: ServerProcess) async throws -> PrometheusSamples {
        PrometheusSamples(try await HTTP.get(server.baseURL + "/metrics").1)
    }
}
