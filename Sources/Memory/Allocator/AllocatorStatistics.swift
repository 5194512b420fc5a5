internal import CJemalloc

/// jemalloc's counters. Linking libjemalloc makes it the process allocator, so these see
/// every allocation Swift makes.
public enum AllocatorStatistics {
    /// Bytes the calling thread has allocated since it started (`thread.allocated`).
    /// Allocation-free itself, so it can bracket a hot path.
    public static func threadAllocatedBytes() -> UInt64 {
        guard let value = Jemalloc.read("thread.allocated", as: UInt64.self) else {
            preconditionFailure("mallctl(thread.allocated) failed; is jemalloc the allocator?")
        }
        return value
    }

    /// Pointers to this thread's cumulative allocated and deallocated byte counters
    /// (`thread.allocatedp`, `thread.deallocatedp`), read afterwards with no call overhead.
    /// The counters belong to the calling thread: read them on that thread only.
    public static func threadCounters() -> ThreadAllocationCounters {
        guard let allocated = Jemalloc.read("thread.allocatedp", as: UnsafeMutablePointer<UInt64>.self),
              let deallocated = Jemalloc.read("thread.deallocatedp", as: UnsafeMutablePointer<UInt64>.self)
        else {
            preconditionFailure("mallctl(thread.allocatedp) failed; is jemalloc the allocator?")
        }
        return ThreadAllocationCounters(allocatedPointer: allocated, deallocatedPointer: deallocated)
    }

    /// The address of the calling thread's cumulative allocated-bytes counter, for another
    /// thread to sample (a thread pool summing its workers' counters after a dispatch, whose
    /// synchronization makes the values visible). Valid while the thread lives.
    public static func threadAllocatedCounterAddress() -> UnsafePointer<UInt64> {
        UnsafePointer(threadCounters().allocatedPointer)
    }

    /// Refreshes jemalloc's statistics (`epoch`), then reads `stats.allocated`, `stats.active`,
    /// `stats.resident` and `stats.mapped`. Zeros where jemalloc was built without statistics.
    public static func snapshot() -> AllocatorSnapshot {
        Jemalloc.refreshStatistics()
        return AllocatorSnapshot(
            allocated: Jemalloc.read("stats.allocated", as: Int.self) ?? 0,
            active: Jemalloc.read("stats.active", as: Int.self) ?? 0,
            resident: Jemalloc.read("stats.resident", as: Int.self) ?? 0,
            mapped: Jemalloc.read("stats.mapped", as: Int.self) ?? 0
        )
    }

    /// Heap bytes the calling thread allocates while running `body` (0 for an
    /// allocation-free path). Frees inside `body` are not subtracted.
    public static func bytesAllocated<E: Error>(by body: () throws(E) -> Void) throws(E) -> UInt64 {
        let counters = threadCounters()
        let before = counters.allocated
        try body()
        return counters.allocated &- before
    }
}
