import Memory
import Testing
import TestSupport

/// Scratch buffers are sized once, aligned, charged to `.pools`, and lent without the heap.
@Suite struct BufferPoolTests {
    @Test func buffersAreDistinctAlignedZeroedAndWritable() throws {
        let pool = BufferPool(count: 5, floats: 1000, budget: nil)
        #expect(pool.strideFloats == 1008)
        var buffers: [UnsafeMutablePointer<Float>] = []
        while let buffer = pool.acquire() { buffers.append(buffer) }
        #expect(buffers.count == 5)
        #expect(pool.acquire() == nil)
        #expect(buffers.allSatisfy { Int(bitPattern: $0) % 64 == 0 })
        let starts = buffers.map { Int(bitPattern: $0) }.sorted()
        #expect(zip(starts, starts.dropFirst()).allSatisfy { $1 - $0 >= 1000 * 4 }, "buffers overlap")
        #expect(buffers.allSatisfy { UnsafeMutableBufferPointer(start: $0, count: 1000).allSatisfy { $0 == 0 } })
        for (n, buffer) in buffers.enumerated() { buffer.update(repeating: Float(n), count: 1000) }
        for (n, buffer) in buffers.enumerated() {
            #expect(UnsafeMutableBufferPointer(start: buffer, count: 1000).allSatisfy { $0 == Float(n) })
        }
        pool.checkInvariants()
    }

    @Test func chargedToPoolsOnceAndReleasedWithThePool() {
        let budget = MemoryBudget(limitBytes: 1 << 30)
        do {
            let pool = BufferPool(count: 3, floats: 17, budget: budget)
            #expect(pool.totalBytes == 3 * 32 * 4)
            #expect(budget.used(.pools) == pool.totalBytes)
            let buffer = pool.acquire()
            #expect(budget.used(.pools) == pool.totalBytes, "lending charges nothing more")
            pool.release(buffer!)
        }
        #expect(budget.used == 0)
    }

    @Test func releasedBufferIsReused() throws {
        let pool = BufferPool(count: 2, floats: 64, budget: nil)
        let a = try #require(pool.acquire())
        let b = try #require(pool.acquire())
        #expect(pool.acquire() == nil)
        pool.release(a)
        #expect(pool.available == 1)
        #expect(pool.acquire() == a)
        pool.release(b)
        pool.release(a)
        #expect(pool.available == 2)
        pool.checkInvariants()
    }

    @Test(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator))) func acquireAndReleaseAllocateNothingAfterWarmUp() {
        let pool = BufferPool(count: 8, floats: 256, budget: nil)
        let held = UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>?>.allocate(capacity: 8)
        held.initialize(repeating: nil)
        defer { held.deallocate() }
        var misses = 0
        func cycles(_ rounds: Int) {
            for round in 0..<rounds {
                let live = 1 + round % 8
                for i in 0..<live {
                    held[i] = pool.acquire()
                    held[i]?.pointee = Float(round)
                }
                for i in 0..<live {
                    if let buffer = held[i] { pool.release(buffer) } else { misses += 1 }
                    held[i] = nil
                }
            }
        }
        cycles(8)
        let bytes = AllocatorStatistics.bytesAllocated { cycles(200) }
        #expect(misses == 0)
        #expect(bytes == 0, "acquire/release allocated \(bytes) heap bytes")
        #expect(pool.available == 8)
        pool.checkInvariants()
    }

    @Test func releasingTwiceTraps() async {
        await #expect(processExitsWith: .failure) {
            let pool = BufferPool(count: 2, floats: 8, budget: nil)
            let buffer = pool.acquire()!
            pool.release(buffer)
            pool.release(buffer)
        }
    }
}
