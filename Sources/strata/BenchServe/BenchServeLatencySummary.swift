import Histogram

/// Mean and percentiles of one latency, in milliseconds.
struct LatencySummary: Equatable, Sendable {
    var count = 0
    var mean = 0.0
    var p50 = 0.0
    var p90 = 0.0
    var p99 = 0.0

    /// Durations longer than this (an hour) count as this.
    static let maximumMicroseconds: UInt64 = 3_600_000_000

    /// The mean is exact; the percentiles come from an HdrHistogram at microsecond resolution
    /// with three significant digits (each within 0.1% of the recorded value).
    init(_ durations: [Duration]) {
        guard !durations.isEmpty else { return }
        var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: Self.maximumMicroseconds,
                                          numberOfSignificantValueDigits: .three)
        var sum = 0.0
        for d in durations {
            let us = Self.microseconds(d)
            sum += Double(us)
            _ = histogram.record(us)
        }
        count = durations.count
        mean = sum / Double(count) / 1000
        p50 = Double(histogram.valueAtPercentile(50)) / 1000
        p90 = Double(histogram.valueAtPercentile(90)) / 1000
        p99 = Double(histogram.valueAtPercentile(99)) / 1000
    }

    init(count: Int, mean: Double, p50: Double, p90: Double, p99: Double) {
        self.count = count
        self.mean = mean
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
    }

    /// Whole microseconds, clamped to 0...maximumMicroseconds.
    static func microseconds(_ d: Duration) -> UInt64 {
        let (seconds, attoseconds) = d.components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(maximumMicroseconds / 1_000_000) else { return maximumMicroseconds }
        return UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000)
    }
}
