import TestSupport
import Synchronization
import Testing
@testable import StrataRuntime

#if canImport(Glibc)
import Glibc
#endif

/// Coverage and robustness of `ThreadPool.parallelFor` (no timings).
@Suite struct ThreadPoolTests {
    /// Every index is visited exactly once, every range is non-empty and at most `grain` long.
    @Test(arguments: [1, 2, 3, 4, 8])
    func everyIndexExactlyOnce(threads: Int) {
        let pool = ThreadPool(threads: threads)
        #expect(pool.threadCount == threads)
        for count in [0, 1, 2, 3, 5, 7, 100, 1000, 10_007] {
            for grain in [1, 3, 16, 1000, 20_000] {
                let counters = AtomicCounters(count)
                let badRanges = Atomic<Int>(0)
                pool.parallelFor(count, grain: grain) { range in
                    if range.isEmpty || range.count > grain || range.lowerBound < 0 || range.upperBound > count {
                        badRanges.add(1, ordering: .relaxed)
                    }
                    for i in range { counters.increment(i) }
                }
                #expect(badRanges.load(ordering: .relaxed) == 0)
                #expect(counters.allEqual(to: 1), "threads \(threads), count \(count), grain \(grain)")
            }
        }
    }

    @Test func zeroCountNeverCallsTheBody() {
        let pool = ThreadPool(threads: 4)
        let calls = Atomic<Int>(0)
        pool.parallelFor(0) { _ in calls.add(1, ordering: .relaxed) }
        pool.parallelFor(0, grain: 7) { _ in calls.add(1, ordering: .relaxed) }
        #expect(calls.load(ordering: .relaxed) == 0)
    }

    @Test func fewerItemsThanThreads() {
        let pool = ThreadPool(threads: 8)
        for count in 1...7 {
            let counters = AtomicCounters(count)
            pool.parallelFor(count) { range in for i in range { counters.increment(i) } }
            #expect(counters.allEqual(to: 1))
        }
    }

    /// Thousands of back-to-back dispatches of varying size: no lost or repeated chunk.
    @Test(arguments: [2, 3, 5])
    func manyDispatches(threads: Int) {
        let pool = ThreadPool(threads: threads)
        let total = Atomic<Int>(0)
        var expected = 0
        for round in 0..<5000 {
            let count = round % 37
            pool.parallelFor(count, grain: 1 + round % 4) { range in
                var local = 0
                for i in range { local &+= i &+ 1 }
                total.add(local, ordering: .relaxed)
            }
            expected += count * (count + 1) / 2
        }
        #expect(total.load(ordering: .relaxed) == expected)
    }

    /// Sleeps between dispatches so workers go past their spin and park: wake-ups must not be lost.
    @Test func dispatchesAfterWorkersPark() {
        let pool = ThreadPool(threads: 4)
        var random = TestRandom(seed: 20)
        for _ in 0..<40 {
            usleep(UInt32.random(in: 0...3000, using: &random))
            let counters = AtomicCounters(64)
            pool.parallelFor(64) { range in for i in range { counters.increment(i) } }
            #expect(counters.allEqual(to: 1))
        }
    }

    /// Chunks of very different cost (some sleep): dynamic chunking still covers everything once.
    @Test func unevenWork() {
        let pool = ThreadPool(threads: 3)
        let counters = AtomicCounters(200)
        pool.parallelFor(200, grain: 3) { range in
            for i in range {
                if i % 50 == 0 { usleep(2000) }
                var x = 0.0
                for k in 0..<(i * 200) { x += Double(k).squareRoot() }
                if x >= 0 { counters.increment(i) }
            }
        }
        #expect(counters.allEqual(to: 1))
    }

    /// The body's writes are visible to the caller when `parallelFor` returns.
    @Test func resultsAreVisibleAfterReturn() {
        let pool = ThreadPool(threads: 4)
        let buffer = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4096)
        defer { buffer.deallocate() }
        for round in 0..<200 {
            pool.parallelFor(buffer.count, grain: 64) { range in
                for i in range { buffer[i] = i &* round }
            }
            #expect(buffer.indices.allSatisfy { buffer[$0] == $0 &* round })
        }
    }

    /// Pools are created, used and torn down repeatedly (workers join in deinit).
    @Test func createAndDestroyPools() {
        for threads in [1, 2, 4, 6] {
            for _ in 0..<20 {
                let pool = ThreadPool(threads: threads)
                let counters = AtomicCounters(33)
                pool.parallelFor(33) { range in for i in range { counters.increment(i) } }
                #expect(counters.allEqual(to: 1))
            }
        }
    }

    @Test func nestedDispatchTraps() async {
        await #expect(processExitsWith: .failure) {
            let pool = ThreadPool(threads: 2)
            pool.parallelFor(4) { _ in pool.parallelFor(4) { _ in } }
        }
    }
}

/// One `Atomic<Int>` per index, in a raw allocation.
final class AtomicCounters: @unchecked Sendable {
    let count: Int
    private let counters: UnsafeMutablePointer<Atomic<Int>>

    init(_ count: Int) {
        self.count = count
        counters = .allocate(capacity: Swift.max(count, 1))
        for i in 0..<count { (counters + i).initialize(to: Atomic(0)) }
    }

    deinit {
        counters.deinitialize(count: count)
        counters.deallocate()
    }

    /// Adds one to counter `i`; returns the new value.
    @discardableResult
    func increment(_ i: Int) -> Int { counters[i].add(1, ordering: .sequentiallyConsistent).newValue }

    func decrement(_ i: Int) { counters[i].subtract(1, ordering: .sequentiallyConsistent) }

    func allEqual(to value: Int) -> Bool {
        (0..<count).allSatisfy { counters[$0].load(ordering: .relaxed) == value }
    }
}

/// The allocation-free variant: a C function pointer and a lent context.
@Suite struct ThreadPoolContextTests {
    struct Job {
        let counters: AtomicCounters
        let grain: Int
        let badRanges: AtomicCounters
    }

    @Test(arguments: [1, 2, 4])
    func everyIndexExactlyOnce(threads: Int) {
        let pool = ThreadPool(threads: threads)
        for count in [0, 1, 3, 64, 1001] {
            for grain in [1, 5, 64, 5000] {
                let job = Job(counters: AtomicCounters(count), grain: grain, badRanges: AtomicCounters(1))
                withUnsafePointer(to: job) { pointer in
                    pool.parallelFor(count, grain: grain, context: UnsafeRawPointer(pointer)) { context, start, end in
                        let job = context.assumingMemoryBound(to: Job.self)
                        if start >= end || end - start > job.pointee.grain { job.pointee.badRanges.increment(0) }
                        for i in start..<end { job.pointee.counters.increment(i) }
                    }
                }
                #expect(job.badRanges.allEqual(to: 0))
                #expect(job.counters.allEqual(to: 1), "threads \(threads), count \(count), grain \(grain)")
            }
        }
    }

    struct ParticipantJob {
        let counters: AtomicCounters
        /// [threads] calls running now per participant, and the most ever seen at once
        let running: AtomicCounters
        let overlaps: AtomicCounters
        let threads: Int
    }

    /// Participants are in range and never run two calls at once (so per-participant scratch is safe).
    @Test(arguments: [1, 2, 4])
    func participantsAreDistinctAndInRange(threads: Int) {
        let pool = ThreadPool(threads: threads)
        for count in [1, 3, 64, 1001] {
            let job = ParticipantJob(counters: AtomicCounters(count), running: AtomicCounters(threads),
                                     overlaps: AtomicCounters(1), threads: threads)
            withUnsafePointer(to: job) { pointer in
                pool.parallelFor(count, grain: 1, context: UnsafeRawPointer(pointer)) { context, start, end, participant in
                    let job = context.assumingMemoryBound(to: ParticipantJob.self).pointee
                    guard participant >= 0 && participant < job.threads else {
                        job.overlaps.increment(0)
                        return
                    }
                    if job.running.increment(participant) != 1 { job.overlaps.increment(0) }
                    for i in start..<end { job.counters.increment(i) }
                    for _ in 0..<200 { sched_yield() }
                    job.running.decrement(participant)
                }
            }
            #expect(job.overlaps.allEqual(to: 0), "threads \(threads), count \(count)")
            #expect(job.counters.allEqual(to: 1), "threads \(threads), count \(count)")
        }
    }
}
