import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread running an engine loop, and the semaphore that wakes it. Model work
/// runs on such a thread (driving the pool), never on Swift concurrency's executors, which are
/// kept for I/O.
final class EngineThread: @unchecked Sendable {
    private let signal: UnsafeMutablePointer<sem_t>
    private var thread = pthread_t()
    private let finished = Atomic<Bool>(false)
    private let joined = Atomic<Bool>(false)

    init() {
        signal = .allocate(capacity: 1)
        sem_init(signal, 0, 0)
    }

    /// Runs `body` on a new thread; once, after its owner is fully set up (the loop may call
    /// `sleep` at once).
    func start(_ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let start = Unmanaged.passRetained(Box { [self] in
            body()
            finished.store(true, ordering: .releasing)
        }).toOpaque()
        let result = pthread_create(&thread, nil, { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, start)
        precondition(result == 0, "EngineThread: pthread_create failed (\(result))")
    }

    deinit {
        sem_destroy(signal)
        signal.deallocate()
    }

    /// Wakes the loop if it sleeps, or makes its next `sleep` return at once.
    func wake() { sem_post(signal) }

    /// Called by the loop: blocks until `wake`.
    func sleep() { sem_wait(signal) }

    /// Waits, without blocking a concurrency thread, for the loop to return, then reaps the
    /// thread (once, however many callers). A cancelled caller still waits: the loop owns the
    /// model's memory until it returns.
    func join() async {
        while !finished.load(ordering: .acquiring) {
            if Task.isCancelled {
                usleep(5_000)
            } else {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        if !joined.exchange(true, ordering: .acquiringAndReleasing) { pthread_join(thread, nil) }
    }
}
