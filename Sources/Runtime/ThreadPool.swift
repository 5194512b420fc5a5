#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
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
    /// in order.
    /// The body runs on the calling thread and on workers; it must not call `parallelFor`
    /// on this pool.
    public func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        precondition(count >= 0, "parallelFor: negative count \(count)")
        precondition(grain >= 1, "parallelFor: grain must be at least 1, got \(grain)")
        if count == 0 { return }
        let chunks = (count &- 1) / grain &+ 1
        if threadCount == 1 || chunks == 1 {
            var start = 0
            while start < count {
                let end = min(count, start &+ grain)
                body(start..<end)
                start = end
            }
            return
        }
        shared.enter()
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                shared.dispatch(UnsafeRawPointer(pointer), count: count, grain: grain, chunks: chunks)
            }
        }
        shared.leave()
    }
}

/// The job closure, as published to workers for the duration of one dispatch.
typealias PoolBody = (Range<Int>) -> Void

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
/// 1. The caller writes the job (`body`, `count`, `grain`, `chunkCount`), then resets
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
    let body = Atomic<UnsafeRawPointer?>(nil)
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

    func dispatch(_ job: UnsafeRawPointer, count: Int, grain: Int, chunks: Int) {
        body.store(job, ordering: .relaxed)
        self.count.store(count, ordering: .relaxed)
        self.grain.store(grain, ordering: .relaxed)
        chunkCount.store(chunks, ordering: .relaxed)
        nextChunk.store(0, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        for slot in slots { slot.wake() }

        runChunks()

        nextChunk.store(PoolShared.closed, ordering: .sequentiallyConsistent)
        var spins = 0
        while inside.load(ordering: .sequentiallyConsistent) != 0 {
            spins &+= 1
            if spins > 256 { sched_yield() }
        }
        body.store(nil, ordering: .relaxed)
    }

    /// Claims and runs chunks of the current job until none are left.
    @inline(never)
    func runChunks() {
        while true {
            let chunk = nextChunk.add(1, ordering: .sequentiallyConsistent).oldValue
            // `closed` (a finished job) is past any chunk count, so a late worker exits here.
            if chunk >= chunkCount.load(ordering: .relaxed) { return }
            let count = self.count.load(ordering: .relaxed)
            let grain = self.grain.load(ordering: .relaxed)
            let start = chunk &* grain
            let end = min(count, start &+ grain)
            let job = body.load(ordering: .relaxed)!.assumingMemoryBound(to: PoolBody.self)
            job.pointee(start..<end)
        }
    }

    /// A worker's life: wait for a new generation, join the job, repeat until stopped.
    func workerLoop(index: Int) {
        let slot = slots[index]
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
            runChunks()
            inside.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Tells workers to exit and wakes them; the pool joins them afterwards.
    func stop() {
        stopping.store(true, ordering: .releasing)
        generation.add(1, ordering: .sequentiallyConsistent)
        for slot in slots { slot.wake() }
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
