/// Process-wide allocator figures at one moment, in bytes (jemalloc `stats.*`).
public struct AllocatorSnapshot: Sendable, Equatable {
    /// Bytes in live allocations the application asked for (`stats.allocated`).
    public let allocated: Int
    /// Bytes in pages holding live allocations, a multiple of the page size (`stats.active`).
    public let active: Int
    /// Bytes in physically resident pages the allocator holds, an upper bound (`stats.resident`).
    public let resident: Int
    /// Bytes in extents mapped by the allocator (`stats.mapped`).
    public let mapped: Int

    public init(allocated: Int, active: Int, resident: Int, mapped: Int) {
        self.allocated = allocated
        self.active = active
        self.resident = resident
        self.mapped = mapped
    }
}
