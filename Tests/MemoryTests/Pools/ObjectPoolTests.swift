import Dispatch
import Memory
import Testing
import TestSupport

/// Objects made at start-up are lent and returned without touching the heap.
@Suite struct ObjectPoolTests {
    final class Record {
        var tokens = 0
        let serial: Int
        init(serial: Int) { self.serial = serial }
    }

    @Test func lendsEveryObjectOnceThenRunsOut() {
        var made = 0
        let pool = ObjectPool(capacity: 4) { made += 1; return Record(serial: made) }
        #expect(made == 4)
        #expect(pool.capacity == 4 && pool.available == 4)
        var out: [Record] = []
        while let record = pool.acquire() { out.append(record) }
        #expect(out.count == 4)
        #expect(Set(out.map(ObjectIdentifier.init)).count == 4)
        #expect(Set(out.map(\.serial)) == [1, 2, 3, 4])
        #expect(pool.available == 0)
        #expect(pool.acquire() == nil)
        pool.checkInvariants()
    }

    @Test func releasedObjectIsLentAgainWithItsState() throws {
        let pool = ObjectPool(capacity: 2) { Record(serial: 0) }
        let a = try #require(pool.acquire())
        a.tokens = 42
        pool.release(a)
        let b = try #require(pool.acquire())
        #expect(b === a, "the most recently returned object goes out first")
        #expect(b.tokens == 42, "the pool does not reset objects")
        pool.checkInvariants()
    }

    @Test(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator))) func acquireAndReleaseAllocateNothingAfterWarmUp() throws {
        let pool = ObjectPool(capacity: 8) { Record(serial: 0) }
        let held = UnsafeMutableBufferPointer<Record?>.allocate(capacity: 8)
        held.initialize(repeating: nil)
        defer { held.deallocate() }
        var misses = 0
        func cycles(_ rounds: Int) {
            for round in 0..<rounds {
                let live = 1 + round % 8
                for i in 0..<live {
                    held[i] = pool.acquire()
                    held[i]?.tokens = round
                }
                for i in 0..<live {
                    if let record = held[i] { pool.release(record) } else { misses += 1 }
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

    @Test func emptyPoolLendsNothing() {
        let pool = ObjectPool<Record>(capacity: 0) { Record(serial: 0) }
        #expect(pool.acquire() == nil)
        #expect(pool.available == 0)
    }

    @Test func concurrentLendingNeverSharesAnObject() {
        let pool = ObjectPool(capacity: 6) { Record(serial: 0) }
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for round in 0..<500 {
                guard let record = pool.acquire() else { continue }
                record.tokens = worker * 1000 + round
                precondition(record.tokens == worker * 1000 + round, "an object was shared")
                pool.release(record)
            }
        }
        #expect(pool.available == 6)
        pool.checkInvariants()
    }

    @Test func releasingAStrangerTraps() async {
        await #expect(processExitsWith: .failure) {
            let pool = ObjectPool(capacity: 2) { Record(serial: 0) }
            pool.release(Record(serial: 9))
        }
    }
}
