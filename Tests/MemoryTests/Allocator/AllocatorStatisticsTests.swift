import Memory
import Testing
import TestSupport

/// jemalloc is the process allocator, so its statistics see Swift's allocations.
@Suite(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator))) struct AllocatorStatisticsTests {
    @Test func snapshotIsPlausible() {
        let snapshot = AllocatorStatistics.snapshot()
        #expect(snapshot.allocated > 0)
        #expect(snapshot.active >= snapshot.allocated)
        #expect(snapshot.resident >= snapshot.active)
        #expect(snapshot.mapped >= snapshot.active)
        #expect(snapshot.resident < MemoryBudget.physicalMemoryBytes)
    }

    @Test func snapshotSeesALargeAllocation() {
        let size = 64 << 20
        let before = AllocatorStatistics.snapshot()
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { block.deallocate() }
        let after = AllocatorStatistics.snapshot()
        // Other tests allocate and free meanwhile: leave them a generous margin.
        #expect(after.allocated - before.allocated > size / 2)
    }

    @Test func threadCountersCountThisThreadsBytes() {
        let counters = AllocatorStatistics.threadCounters()
        let allocated = counters.allocated
        let deallocated = counters.deallocated
        let block = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 16)
        #expect(counters.allocated - allocated >= 1 << 20)
        block.deallocate()
        #expect(counters.deallocated - deallocated >= 1 << 20)
        let viaCall = AllocatorStatistics.threadAllocatedBytes()
        let viaPointer = counters.allocated
        #expect(viaCall == viaPointer, "both read the same counter, and neither allocates")
    }

    @Test func bytesAllocatedMeasuresABody() {
        var sink: [Int] = []
        #expect(AllocatorStatistics.bytesAllocated {} == 0)
        let bytes = AllocatorStatistics.bytesAllocated { sink = Array(repeating: 7, count: 1000) }
        #expect(bytes >= 8000)
        #expect(sink.count == 1000)
    }
}
