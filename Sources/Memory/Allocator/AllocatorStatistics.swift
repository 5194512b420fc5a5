import CJemalloc

/// jemalloc's counters. Linking libjemalloc makes it the process allocator, so these see
/// every allocation Swift makes.
public enum AllocatorStatistics {
    /// Bytes the calling thread has allocated since it started (`thread.allocated`).
    /// Allocation-free itself, so it can bracket a hot path.
    public static func threadAllocatedBytes() -> UInt64 {
        let name: StaticString = "thread.allocated"
        var value: UInt64 = 0
        var size = MemoryLayout<UInt64>.size
        let result = UnsafeRawPointer(name.utf8Start).withMemoryRebound(to: CChar.self, capacity: name.utf8CodeUnitCount + 1) {
            mallctl($0, &value, &size, nil, 0)
        }
        precondition(result == 0, "mallctl(thread.allocated) failed: \(result); is jemalloc the allocator?")
        return value
    }
}
