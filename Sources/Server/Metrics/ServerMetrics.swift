import Engine
import Hummingbird
import Prometheus
import Synchronization

/// The server's Prometheus metrics, in a registry the application owns (not the process-wide
/// `MetricsSystem`, which can be bootstrapped only once, so several servers can live in one process).
///
/// Request counts and latencies are recorded as requests complete; the engine's gauges are read
/// from `CompletionBackend.snapshot()` on every scrape.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    private let timeToFirstToken: DurationHistogram
    private let timePerOutputToken: DurationHistogram
    private let promptTokens: Counter
    private let generatedTokens: Counter

    private let queueDepth: Gauge
    private let runningSequences: Gauge
    private let memoryHot, memoryCold, memoryFree, memoryPools, memoryGPU: Gauge
    private let memoryBudget, memoryPeak: Gauge
    private let pagesHot, pagesCold, pagesFree, pagesCached: Gauge
    private let coldCompressionRatio: Gauge
    private let weightsBytes: Gauge
    private let kvBytesPerToken: Gauge
    /// Engine counters, mirrored by adding what they moved since the last scrape.
    private let preemptions: MirroredCounter
    private let cancelledRequests: MirroredCounter
    private let finishedStop, finishedLength, finishedCancelled, finishedFailed: MirroredCounter
    private let kvCompressions, kvDecompressions, kvEvictions, prefixHits, forkSharedPages: MirroredCounter
    private let kvCacheUsage: Gauge

    private static var requestsDescriptor: MetricNameDescriptor { descriptor("requests", unit: "total", "HTTP requests by route and status.") }

    init() {
        let seconds: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].map { .milliseconds(Int($0 * 1000)) }
        let perToken: [Duration] = [0.002, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1].map { .microseconds(Int($0 * 1_000_000)) }
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: Self.descriptor("time_to_first_token", unit: "seconds", "From a request's arrival at the engine to its first generated text."),
            buckets: seconds)
        timePerOutputToken = registry.makeDurationHistogram(
            descriptor: Self.descriptor("time_per_output_token", unit: "seconds", "Mean time between generated tokens after the first, per request."),
            buckets: perToken)
        promptTokens = registry.makeCounter(descriptor: Self.descriptor("prompt_tokens", unit: "total", "Prompt tokens of completed requests."))
        generatedTokens = registry.makeCounter(descriptor: Self.descriptor("generated_tokens", unit: "total", "Tokens generated for completed requests."))

        queueDepth = registry.makeGauge(descriptor: Self.descriptor("queue_depth", "Requests waiting for the engine."))
        runningSequences = registry.makeGauge(descriptor: Self.descriptor("running_sequences", "Sequences in the running batch."))
        let memory = Self.descriptor("memory", unit: "bytes", "Memory by tier: hot KV pages, compressed cold pages, free pages, pooled buffers.")
        memoryHot = registry.makeGauge(descriptor: memory, labels: [("tier", "hot")])
        memoryCold = registry.makeGauge(descriptor: memory, labels: [("tier", "cold")])
        memoryFree = registry.makeGauge(descriptor: memory, labels: [("tier", "free")])
        memoryPools = registry.makeGauge(descriptor: memory, labels: [("tier", "pools")])
        memoryGPU = registry.makeGauge(descriptor: memory, labels: [("tier", "gpu")])
        memoryBudget = registry.makeGauge(descriptor: Self.descriptor(
            "memory_budget", unit: "bytes", "The host memory budget (hot, cold, free and pools tiers together)."))
        memoryPeak = registry.makeGauge(descriptor: Self.descriptor(
            "memory_peak", unit: "bytes", "The most bytes charged to the host budget at once since start."))
        let pages = Self.descriptor("kv_pages", "KV cache pages by state.")
        pagesHot = registry.makeGauge(descriptor: pages, labels: [("state", "hot")])
        pagesCold = registry.makeGauge(descriptor: pages, labels: [("state", "cold")])
        pagesFree = registry.makeGauge(descriptor: pages, labels: [("state", "free")])
        pagesCached = registry.makeGauge(descriptor: Self.descriptor(
            "kv_cached_pages", "KV pages no sequence holds, kept for prefix reuse (also counted as hot or cold)."))
        coldCompressionRatio = registry.makeGauge(descriptor: Self.descriptor("cold_compression_ratio", "Uncompressed over compressed size of cold pages."))
        weightsBytes = registry.makeGauge(descriptor: Self.descriptor("weights", unit: "bytes", "Bytes of model weights."))
        kvBytesPerToken = registry.makeGauge(descriptor: Self.descriptor("kv_bytes_per_token", "KV cache bytes one token takes."))
        preemptions = MirroredCounter(registry.makeCounter(
            descriptor: Self.descriptor("preemptions", unit: "total", "Sequences taken out of the running batch under memory pressure.")))
        cancelledRequests = MirroredCounter(registry.makeCounter(
            descriptor: Self.descriptor("requests_cancelled", unit: "total", "Requests cancelled, mostly because the client went away.")))
        let finishes = Self.descriptor("request_finishes", unit: "total",
                                       "Completions by how they ended: stop (end of generation or a stop string), length, cancelled, failed.")
        finishedStop = MirroredCounter(registry.makeCounter(descriptor: finishes, labels: [("reason", "stop")]))
        finishedLength = MirroredCounter(registry.makeCounter(descriptor: finishes, labels: [("reason", "length")]))
        finishedCancelled = MirroredCounter(registry.makeCounter(descriptor: finishes, labels: [("reason", "cancelled")]))
        finishedFailed = MirroredCounter(registry.makeCounter(descriptor: finishes, labels: [("reason", "failed")]))
        kvCompressions = MirroredCounter(registry.makeCounter(
            descriptor: Self.descriptor("kv_compressions", unit: "total", "KV pages compressed into the cold store.")))
        kvDecompressions = MirroredCounter(registry.makeCounter(
            descriptor: Self.descriptor("kv_decompressions", unit: "total", "KV pages decompressed out of the cold store.")))
        kvEvictions = MirroredCounter(registry.makeCounter(
            descriptor: Self.descriptor("kv_evictions", unit: "total", "Cached prefix blocks evicted (pressure or the prefix cache's cap).")))
        prefixHits = MirroredCounter(registry.makeCounter(
            descriptor: Self.descriptor("kv_prefix_hits", unit: "total", "KV blocks prompts reused from the prefix cache instead of computing them.")))
        forkSharedPages = MirroredCounter(registry.makeCounter(
            descriptor: Self.descriptor("kv_fork_shared_pages", unit: "total",
                                        "KV pages the extra choices of n > 1 requests shared with the first instead of holding their own.")))
        kvCacheUsage = registry.makeGauge(descriptor: Self.descriptor(
            "kv_cache_usage_ratio", "KV bytes held (hot and cold) over the budget left after pools, 0 to 1."))
        // Declare the request counter up front so that a scrape before any request shows its family.
        _ = registry.makeCounter(descriptor: Self.requestsDescriptor, labels: [("endpoint", "/health"), ("status", "200")])
    }

    /// Counts one HTTP request by its route pattern (never the raw path, to bound the label's values).
    func recordRequest(endpoint: String, status: Int) {
        registry.makeCounter(descriptor: Self.requestsDescriptor, labels: [("endpoint", endpoint), ("status", String(status))]).increment()
    }

    /// Records one completion that produced a result.
    /// - Parameters:
    ///   - timeToFirstToken: from submission to the first non-empty text, if any text came.
    ///   - decodeTime: from the first text to the end, spread over the tokens after the first.
    func recordCompletion(_ usage: CompletionUsage, timeToFirstToken: Duration?, decodeTime: Duration?) {
        promptTokens.increment(by: Int64(usage.promptTokens))
        generatedTokens.increment(by: Int64(usage.completionTokens))
        if let timeToFirstToken { self.timeToFirstToken.record(timeToFirstToken) }
        if let decodeTime, usage.completionTokens > 1 {
            timePerOutputToken.record(decodeTime / (usage.completionTokens - 1))
        }
    }

    /// The Prometheus text exposition, with the engine's gauges read from `snapshot` first.
    func render(_ snapshot: BackendSnapshot) -> ByteBuffer {
        queueDepth.set(Int64(snapshot.queued))
        runningSequences.set(Int64(snapshot.running))
        memoryHot.set(Int64(snapshot.hotBytes))
        memoryCold.set(Int64(snapshot.coldBytes))
        memoryFree.set(Int64(snapshot.freeBytes))
        memoryPools.set(Int64(snapshot.poolBytes))
        memoryGPU.set(Int64(snapshot.gpuBytes))
        memoryBudget.set(Int64(snapshot.budgetBytes))
        memoryPeak.set(Int64(snapshot.peakBytes))
        pagesHot.set(Int64(snapshot.hotPages))
        pagesCold.set(Int64(snapshot.coldPages))
        pagesCached.set(Int64(snapshot.cachedPages))
        pagesFree.set(Int64(snapshot.freePages))
        coldCompressionRatio.set(snapshot.coldCompressionRatio.isFinite ? snapshot.coldCompressionRatio : 0)
        weightsBytes.set(Int64(snapshot.weightBytes))
        kvBytesPerToken.set(Int64(snapshot.kvBytesPerToken))
        preemptions.mirror(snapshot.preemptions)
        cancelledRequests.mirror(snapshot.cancelledRequests)
        finishedStop.mirror(snapshot.stoppedRequests)
        finishedLength.mirror(snapshot.lengthRequests)
        finishedCancelled.mirror(snapshot.cancelledRequests)
        finishedFailed.mirror(snapshot.failedRequests)
        kvCompressions.mirror(snapshot.kvCompressions)
        kvDecompressions.mirror(snapshot.kvDecompressions)
        kvEvictions.mirror(snapshot.kvEvictions)
        prefixHits.mirror(snapshot.prefixHitBlocks)
        forkSharedPages.mirror(snapshot.forkSharedPages)
        kvCacheUsage.set(snapshot.kvCacheUsageRatio)
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return ByteBuffer(bytes: bytes)
    }

    private static func descriptor(_ name: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "strata", metricName: name, unitName: unit, helpText: help)
    }
}

/// A Prometheus counter that follows a monotonic count kept elsewhere (the engine's).
private final class MirroredCounter: Sendable {
    private let counter: Counter
    private let last = Mutex(0)

    init(_ counter: Counter) { self.counter = counter }

    func mirror(_ value: Int) {
        last.withLock { last in
            if value < last {
                // The source restarted: start over from its value.
                counter.reset()
                counter.increment(by: Int64(value))
            } else if value > last {
                counter.increment(by: Int64(value - last))
            }
            last = value
        }
    }
}
