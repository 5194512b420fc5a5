#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread running an engine loop, and the semaphore that wakes it. Model work
/// runs on such a thread (driving the pool), never on Swift concurrency's executors, which are
/// kept for I/O.
final class EngineThread: @unchecked Sendable {
    private let signal: UnsafeMutablePointer<sem_t>
    private var thread = pthread_t()

    init() {
        signal = .allocate(capacity: 1)
        sem_init(signal, 0, 0)
    }

    /// Runs `body` on a new thread; once, after its owner is fully set up (the loop may call
    /// `sleep` at once).
    func start(_ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let start = Unmanaged.passRetained(Box(body)).toOpaque()
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

    /// Waits for the thread to end (after its loop returned).
    func join() { pthread_join(thread, nil) }
}
