import Memory

/// Why the paged KV cache cannot do what was asked.
public enum KVCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No page could be had within the memory budget.
    case outOfPages(needed: Int)
    /// The sequence would grow past its maximum length.
    case sequenceFull(length: Int, adding: Int, capacity: Int)
    /// Every sequence slot is in use.
    case tooManySequences(limit: Int)
    /// A compressed page failed its checksum; the sequence's KV is valid only before `validTokens`
    /// and must be recomputed from its tokens from there.
    case corrupted(validTokens: Int)

    public var description: String {
        switch self {
        case .outOfPages(let n):
            return "KV cache: no free page within the memory budget (\(n) needed)"
        case .sequenceFull(let length, let adding, let capacity):
            return "KV cache: \(length) tokens + \(adding) more exceed the sequence capacity of \(capacity)"
        case .tooManySequences(let limit):
            return "KV cache: all \(limit) sequence slots are in use"
        case .corrupted(let valid):
            return "KV cache: a compressed page failed its checksum; recomputing from token \(valid)"
        }
    }
}

/// A sequence's handle in the cache (a slot index; reused after release).
public struct SequenceID: Hashable, Sendable, CustomStringConvertible {
    public let raw: Int32
    public var description: String { "seq\(raw)" }
}

/// Counters and sizes of the paged KV cache.
public struct KVCacheStatistics: Sendable, Equatable {
    /// Blocks whose page is in RAM, uncompressed.
    public var hotBlocks = 0
    /// Blocks held compressed in the cold store.
    public var coldBlocks = 0
    /// Unreferenced full blocks kept for prefix reuse (hot or cold).
    public var cachedBlocks = 0
    /// Tokens whose KV is held, summed over live sequences (shared blocks counted per user).
    public var tokens = 0
    /// Bytes of K+V one token takes across all layers (while in every window).
    public var bytesPerToken = 0
    /// Bytes of one block's pages (its page, and its window page when there are window pages).
    public var pageBytes = 0
    /// Blocks whose window page (sliding-window layers) is held: hot, or cold.
    public var windowPages = 0
    /// Window pages released because their positions had left every window.
    public var windowPagesReleased = 0
    /// Blocks reused from the prefix cache instead of being computed.
    public var prefixHits = 0
    /// Full blocks forks share with their source instead of holding copies: the pages n > 1
    /// choices save against n separate requests.
    public var forkSharedBlocks = 0
    /// Pages copied because a shared block was written (copy-on-write).
    public var copiesOnWrite = 0
    /// Blocks compressed into the cold store.
    public var compressions = 0
    /// Blocks decompressed back into pages.
    public var decompressions = 0
    /// Cached blocks evicted to make room.
    public var evictions = 0
    /// Compressed blocks that failed their checksum (and were recomputed).
    public var corruptions = 0
}
