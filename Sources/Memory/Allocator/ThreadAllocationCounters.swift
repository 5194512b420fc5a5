/// The calling thread's cumulative heap counters, read through jemalloc's own pointers
/// (`thread.allocatedp`, `thread.deallocatedp`): a load, no call, no allocation. Valid only
/// on the thread that obtained them, so the type is not `Sendable`.
public struct ThreadAllocationCounters {
    @usableFromInline let allocatedPointer: UnsafeMutablePointer<UInt64>
    @usableFromInline let deallocatedPointer: UnsafeMutablePointer<UInt64>

    /// Bytes this thread has allocated since it started.
    @inlinable public var allocated: UInt64 { allocatedPointer.pointee }
    /// Bytes this thread has freed since it started.
    @inlinable public var deallocated: UInt64 { deallocatedPointer.pointee }
}

@available(*, unavailable, message: "thread allocation counters belong to one thread")
extension ThreadAllocationCounters: Sendable {}
