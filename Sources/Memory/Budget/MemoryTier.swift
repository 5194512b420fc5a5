/// What a byte is used for, for budget accounting and reports.
public enum MemoryTier: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Pages in use (a sequence's KV, a pinned buffer).
    case hot
    /// Compressed bytes of cold pages.
    case cold
    /// Pages kept on free lists for reuse.
    case free
    /// Start-up pools and scratch.
    case pools
    /// Device memory (offloaded weights, device KV pages, device scratch): reported beside the
    /// host tiers, never counted against the host limit (the offload plan fits the device).
    case gpu

    public var description: String {
        switch self {
        case .hot: return "hot"
        case .cold: return "cold"
        case .free: return "free"
        case .pools: return "pools"
        case .gpu: return "gpu"
        }
    }
}
