#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Memory
import Synchronization

/// A persistent pool of worker threads for data-parallel kernels.
///
/// `threads - 1` pthreads are created once, in `init`; the thread that calls `parallelFor`
/// is the last participant. A dispatch hands out chunks of `grain` items through one atomic
/// counter (so uneven work balances itself) and allocates nothing.
///
/// Idle workers spin briefly on a generation counter, then park on a per-worker semaphore.
/// `deinit` stops and joins them.
///
/// One dispatch at a time: `parallelFor` must not be called from inside its own body, nor
/// from two threads at once (both trap).
public final class ThreadPool: @unchecked Sendable {
    /// Participants in a dispatch: the workers plus the calling thread.
    public let threadCount: Int
    private let shared: PoolShared
    private var threads: [pthread_t] = []

    /// - Parameter threads: participants including the caller, at least 1; 1 runs every
    ///   body inline.
    public init(threads: Int) {
        precondition(threads >= 1, "ThreadPool: need at least one thread, got \(threads)")
        threadCount = threads
        shared = PoolShared(workers: threads - 1)
        self.threads.reserveCapacity(threads - 1)
        for index in 0..<(threads - 1) {
            let start = Unmanaged.passRetained(WorkerStart(shared: shared, index: index)).toOpaque()
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, workerEntry, start)
            precondition(result == 0, "ThreadPool: pthread_create failed (\(result))")
            self.threads.append(thread)
        }
        // Every worker has published its allocation counter before the pool is handed out, so
        // `workerAllocatedBytes` counts all of a worker's bytes from the first reading on (a
        // worker starting late would otherwise add its start-up bytes between two readings).
        for slot in shared.slots {
            while slot.allocatedCounter.load(ordering: .acquiring) == 0 { sched_yield() }
        }
    }

    deinit {
        shared.stop()
        for thread in threads {
            pthread_join(thread, nil)
        }
    }

    /// Calls `body` on disjoint subranges covering `0..<count` exactly once, in parallel;
    /// returns when all are done.
    ///
    /// Ranges are `grain` items long (the last may be shorter; a body may size scratch by
    /// `grain`) and are handed out dynamically. With one thread, or one chunk, they run inline
    /// in order. The body runs on the calling thread and on workers; it must not call
    /// `parallelFor` on this pool.
    ///
    /// - Note: Lending a non-escaping closure to other threads goes through
    ///   `withoutActuallyEscaping`, whose runtime check needs one small heap box (32 bytes) per
    ///   parallel dispatch. Hot paths that must not allocate use
    ///   `parallelFor(_:grain:context:_:)`; the kernels in this module do.
    public func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        precondition(count >= 0, "parallelFor: negative count \(count)")
        precondition(grain >= 1, "parallelFor: grain must be at least 1, got \(grain)")
        if count == 0 { return }
        if threadCount == 1 || count <= grain {
            var start = 0
            while start < count {
                let end = min(count, start &+ grain)
                body(start..<end)
                start = end
            }
            return
        }
        withoutActuallyEscaping(body) { body in
            // A concrete struct keeps the closure at its natural abstraction (no second thunk).
            var box = ClosureBox(body: body)
            withUnsafeMutablePointer(to: &box) { pointer in
                parallelFor(count, grain: grain, context: UnsafeRawPointer(pointer)) { context, start, end in
                    context.assumingMemoryBound(to: ClosureBox.self).pointee.body(start..<end)
                }
            }
        }
    }

    /// Allocation-free `parallelFor`: calls `function(context, start, end)` on disjoint ranges
    /// `start..<end` covering `0..<count` exactly once, in parallel; returns when all are done.
    ///
    /// `context` is lent to every participant for the duration of the call (typically a pointer
    /// to a struct on the caller's stack). `function` must not capture (it is a C function
    /// pointer), so a closure literal that only uses its arguments works:
    /// ```swift
    /// withUnsafePointer(to: job) { job in
    ///     pool.parallelFor(rows, grain: 16, context: job) { job, start, end in
    ///         let job = job.assumingMemoryBound(to: Job.self).pointee
    ///         ...
    ///     }
    /// }
    /// ```
    /// Same chunking, inline and reentrancy rules as `parallelFor(_:grain:_:)`.
    public func parallelFor(_ count: Int, grain: Int = 1, context: UnsafeRawPointer,
                            _ function: @convention(c) (UnsafeRawPointer, Int, Int) -> Void) {
        run(count, grain: grain, context: context, function: unsafeBitCast(function, to: UnsafeRawPointer.self),
            takesParticipant: false)
    }

    /// `parallelFor(_:grain:context:_:)` that also tells each call which participant runs it:
    /// `function(context, start, end, participant)`, `participant` in `0 ..< threadCount`, the
    /// same for every call on one thread during a dispatch and different between threads. A body
    /// can so use per-thread scratch sized once (`threadCount` slices) instead of allocating.
    public func parallelFor(_ count: Int, grain: Int = 1, context: UnsafeRawPointer,
                            _ function: @convention(c) (UnsafeRawPointer, Int, Int, Int) -> Void) {
        run(count, grain: grain, context: context, function: unsafeBitCast(function, to: UnsafeRawPointer.self),
            takesParticipant: true)
    }

    /// Both context dispatches: `function` is a `PoolFunction`, or a `PoolParticipantFunction`.
    private func run(_ count: Int, grain: Int, context: UnsafeRawPointer, function: UnsafeRawPointer, takesParticipant: Bool) {
        precondition(count >= 0, "parallelFor: negative count \(count)")
        precondition(grain >= 1, "parallelFor: grain must be at least 1, got \(grain)")
        if count == 0 { return }
        // Inline runs hold the pool too: they use participant threadCount - 1's scratch.
        shared.enter()
        defer { shared.leave() }
        if threadCount == 1 || count <= grain {
            var start = 0
            while start < count {
                let end = min(count, start &+ grain)
                PoolShared.call(function, takesParticipant: takesParticipant, context: context, start, end,
                                participant: threadCount &- 1)
                start = end
            }
            return
        }
        let chunks = (count &- 1) / grain &+ 1
        shared.dispatch(context: context, function: function, takesParticipant: takesParticipant, count: count,
                        grain: grain, chunks: chunks)
    }
}

extension ThreadPool {
    /// Heap bytes the worker threads (not the caller) have allocated since they started, from
    /// jemalloc's per-thread counters: with the caller's own counter, this shows whether a
    /// dispatched step allocated on any thread. Read it between dispatches.
    public func workerAllocatedBytes() -> UInt64 {
        var total: UInt64 = 0
        for i in 0..<shared.slots.count {
            let address = shared.slots[i].allocatedCounter.load(ordering: .acquiring)
            if address != 0 {
                total &+= UnsafePointer<UInt64>(bitPattern: address)!.pointee
            }
        }
        return total
    }
}

/// A lent closure, addressable from other threads for the duration of one dispatch.
private struct ClosureBox {
    let body: (Range<Int>) -> Void
}

/// A chunk function: `(context, start, end)`.
typealias PoolFunction = @convention(c) (UnsafeRawPointer, Int, Int) -> Void
/// A chunk function told its participant: `(context, start, end, participant)`.
typealias PoolParticipantFunction = @convention(c) (UnsafeRawPointer, Int, Int, Int) -> Void

/// A worker's parking spot: a flag saying it is (about to be) asleep and the semaphore it
/// sleeps on. Whoever clears the flag from `true` owes exactly one `sem_post`.
final class WorkerSlot: @unchecked Sendable {
    let sleeping = Atomic<Bool>(false)
    private let semaphore: UnsafeMutablePointer<sem_t>

    init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    func wait() {
        while sem_wait(semaphore) != 0 {
            precondition(errno == EINTR, "ThreadPool: sem_wait failed (errno \(errno))")
        }
    }

    /// Address of the worker thread's jemalloc allocated-bytes counter (0 until it starts).
    let allocatedCounter = Atomic<Int>(0)

    /// Wakes the worker if it is parked or about to park.
    func wake() {
        if sleeping.load(ordering: .sequentiallyConsistent),
           sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            sem_post(semaphore)
        }
    }
}

/// State shared between the pool and its workers (workers hold it, not the pool, so the
/// pool's `deinit` can run).
///
/// Protocol for one dispatch (the caller's side is `dispatch`, the workers' `workerLoop`):
/// 1. The caller writes the job (`function`, `context`, `count`, `grain`, `chunkCount`), then resets
///    `nextChunk` to 0 (release) and bumps `generation`, then wakes parked workers.
/// 2. Everyone (caller included) claims chunk indices with `nextChunk.add(1)` until one is
///    `>= chunkCount`. Workers bracket this with `inside += 1 ... inside -= 1`.
/// 3. When the caller runs out of chunks, every chunk is claimed. It stores `closed` into
///    `nextChunk` and waits for `inside == 0`: then every claimed chunk has finished and no
///    worker can still touch this job (a late worker either is counted in `inside`, or its
///    claim reads `closed`, which is past every chunk count). Orderings on `inside` and
///    `nextChunk` are sequentially consistent for exactly this store/load pairing.
final class PoolShared: @unchecked Sendable {
    static let closed = Int.max / 2
    /// Iterations of polling `generation` before a worker parks.
    static let spinLimit = 1 << 14

    let generation = Atomic<Int>(0)
    let nextChunk = Atomic<Int>(PoolShared.closed)
    let inside = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let busy = Atomic<Bool>(false)
    let function = Atomic<UnsafeRawPointer?>(nil)
    /// Whether `function` is a `PoolParticipantFunction`.
    let takesParticipant = Atomic<Bool>(false)
    let context = Atomic<UnsafeRawPointer?>(nil)
    let count = Atomic<Int>(0)
    let grain = Atomic<Int>(1)
    let chunkCount = Atomic<Int>(0)
    let slots: [WorkerSlot]

    init(workers: Int) {
        var slots: [WorkerSlot] = []
        for _ in 0..<workers { slots.append(WorkerSlot()) }
        self.slots = slots
    }

    func enter() {
        let wasBusy = busy.exchange(true, ordering: .acquiring)
        precondition(!wasBusy, "ThreadPool.parallelFor: nested or concurrent dispatch is not supported")
    }

    func leave() {
        busy.store(false, ordering: .releasing)
    }

    func dispatch(context: UnsafeRawPointer, function: UnsafeRawPointer, takesParticipant: Bool, count: Int, grain: Int,
                  chunks: Int) {
        self.function.store(function, ordering: .relaxed)
        self.takesParticipant.store(takesParticipant, ordering: .relaxed)
        self.context.store(context, ordering: .relaxed)
        self.count.store(count, ordering: .relaxed)
        self.grain.store(grain, ordering: .relaxed)
        chunkCount.store(chunks, ordering: .relaxed)
        nextChunk.store(0, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        wakeAll()

        runChunks(participant: slots.count)

        nextChunk.store(PoolShared.closed, ordering: .sequentiallyConsistent)
        var spins = 0
        while inside.load(ordering: .sequentiallyConsistent) != 0 {
            spins &+= 1
            if spins > 256 { sched_yield() }
        }
        self.function.store(nil, ordering: .relaxed)
        self.context.store(nil, ordering: .relaxed)
    }

    /// Calls a chunk function of either kind.
    @inline(__always)
    static func call(_ function: UnsafeRawPointer, takesParticipant: Bool, context: UnsafeRawPointer, _ start: Int, _ end: Int,
                     participant: Int) {
        if takesParticipant {
            unsafeBitCast(function, to: PoolParticipantFunction.self)(context, start, end, participant)
        } else {
            unsafeBitCast(function, to: PoolFunction.self)(context, start, end)
        }
    }

    /// Wakes every parked worker. An index loop: in debug builds, `for in` over the array goes
    /// through an unspecialized iterator whose read coroutine allocates.
    private func wakeAll() {
        var i = 0
        while i < slots.count {
            slots[i].wake()
            i &+= 1
        }
    }

    /// Claims and runs chunks of the current job until none are left. Workers are participants
    /// `0 ..< workers`, the dispatching thread is participant `workers`.
    @inline(never)
    func runChunks(participant: Int) {
        while true {
            let chunk = nextChunk.add(1, ordering: .sequentiallyConsistent).oldValue
            // `closed` (a finished job) is past any chunk count, so a late worker exits here.
            if chunk >= chunkCount.load(ordering: .relaxed) { return }
            let count = self.count.load(ordering: .relaxed)
            let grain = self.grain.load(ordering: .relaxed)
            let start = chunk &* grain
            let end = min(count, start &+ grain)
            PoolShared.call(self.function.load(ordering: .relaxed)!, takesParticipant: takesParticipant.load(ordering: .relaxed),
                            context: context.load(ordering: .relaxed)!, start, end, participant: participant)
        }
    }

    /// A worker's life: wait for a new generation, join the job, repeat until stopped.
    func workerLoop(index: Int) {
        let slot = slots[index]
        slot.allocatedCounter.store(Int(bitPattern: AllocatorStatistics.threadAllocatedCounterAddress()), ordering: .releasing)
        var seen = 0
        while true {
            var current = generation.load(ordering: .acquiring)
            var spins = 0
            while current == seen && spins < PoolShared.spinLimit {
                spins &+= 1
                current = generation.load(ordering: .acquiring)
            }
            while current == seen {
                slot.sleeping.store(true, ordering: .sequentiallyConsistent)
                current = generation.load(ordering: .sequentiallyConsistent)
                if current != seen {
                    // Take the flag back; if a waker already took it, it posts: consume that post.
                    if !slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                        slot.wait()
                    }
                    break
                }
                slot.wait()
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if stopping.load(ordering: .acquiring) { return }
            inside.add(1, ordering: .sequentiallyConsistent)
            runChunks(participant: index)
            inside.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Tells workers to exit and wakes them; the pool joins them afterwards.
    func stop() {
        stopping.store(true, ordering: .releasing)
        generation.add(1, ordering: .sequentiallyConsistent)
        wakeAll()
    }
}

/// What a new worker thread receives (retained across `pthread_create`).
private final class WorkerStart {
    let shared: PoolShared
    let index: Int
    init(shared: PoolShared, index: Int) {
        self.shared = shared
        self.index = index
    }
}

private func workerEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let start = Unmanaged<WorkerStart>.fromOpaque(argument!).takeRetainedValue()
    start.shared.workerLoop(index: start.index)
    return nil
}
