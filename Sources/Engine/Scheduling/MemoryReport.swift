import Memory

/// Where the engine's bytes are, by tier, with the KV cache's page counts: what `strata run`
/// and `strata bench` print (and, later, what the server exports).
public struct MemoryReport: Sendable {
    /// Bytes charged to each tier of the budget.
    public var hotBytes = 0, coldBytes = 0, freeBytes = 0, poolBytes = 0
    /// Device memory (tier `gpu`: offloaded weights, device KV pages and scratch), apart from the host budget.
    public var gpuBytes = 0
    public var budgetBytes = 0, peakBytes = 0
    public var hotPages = 0, freePages = 0, coldPages = 0
    /// Bytes of K+V per token (every layer, while in every window).
    public var kvBytesPerToken = 0
    /// Of those, the full-attention layers' and the sliding-window layers' (0 without window
    /// pages), and the window (positions).
    public var kvBytesPerTokenFull = 0, kvBytesPerTokenWindow = 0, kvWindow = 0
    /// Bytes of KV pages the live sequences hold (hot or compressed, counted uncompressed) per
    /// token they hold: below `kvBytesPerToken` once window pages have been released.
    public var kvHeldBytesPerToken = 0.0
    /// Raw over compressed bytes of the cold store (0 when it never held anything).
    public var coldCompressionRatio = 0.0
    /// Size of the mapped weights (not charged to the budget: clean file pages).
    public var weightBytes = 0
    /// The KV cache's counters and block counts when the report was made.
    public var cache = KVCacheStatistics()

    /// The report of an engine's budget, pools (`windowPages`: the window pages' pool, if any) and cache.
    public init(budget: MemoryBudget, pages: PagePool, windowPages: PagePool? = nil, coldStore: ColdStore, cache: PagedKVCache,
                weightBytes: Int) {
        hotBytes = budget.used(.hot)
        coldBytes = budget.used(.cold)
        freeBytes = budget.used(.free)
        poolBytes = budget.used(.pools)
        gpuBytes = budget.used(.gpu)
        budgetBytes = budget.limitBytes
        peakBytes = budget.peakUsed
        let p = pages.statistics
        hotPages = p.hotPages + (windowPages?.statistics.hotPages ?? 0)
        freePages = p.freePages + (windowPages?.statistics.freePages ?? 0)
        let c = coldStore.statistics
        coldPages = c.pages
        coldCompressionRatio = c.compressedBytes > 0 ? Double(c.rawBytes) / Double(c.compressedBytes) : 0
        kvBytesPerToken = cache.bytesPerToken
        (kvBytesPerTokenFull, kvBytesPerTokenWindow) = cache.bytesPerTokenByKind
        kvWindow = cache.plan.window
        let k = cache.statistics
        self.cache = k
        let held = (k.hotBlocks + k.coldBlocks) * cache.layout.pageBytes + k.windowPages * (cache.windowLayout?.pageBytes ?? 0)
        kvHeldBytesPerToken = k.tokens > 0 ? Double(held) / Double(k.tokens) : 0
        self.weightBytes = weightBytes
    }

    /// Name/value pairs in a stable order, for JSON and Prometheus.
    public var fields: [(String, Double)] {
        [("bytes_hot", Double(hotBytes)), ("bytes_cold", Double(coldBytes)), ("bytes_free", Double(freeBytes)),
         ("bytes_pools", Double(poolBytes)), ("bytes_gpu", Double(gpuBytes)), ("bytes_budget", Double(budgetBytes)), ("bytes_peak", Double(peakBytes)),
         ("pages_hot", Double(hotPages)), ("pages_free", Double(freePages)), ("pages_cold", Double(coldPages)),
         ("kv_bytes_per_token", Double(kvBytesPerToken)), ("kv_bytes_per_token_full", Double(kvBytesPerTokenFull)),
         ("kv_bytes_per_token_window", Double(kvBytesPerTokenWindow)), ("kv_window", Double(kvWindow)),
         ("kv_bytes_held_per_token", kvHeldBytesPerToken), ("cold_compression_ratio", coldCompressionRatio),
         ("weights_bytes", Double(weightBytes))]
    }
}
