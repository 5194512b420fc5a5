import Engine
import Hummingbird
import Synchronization

/// Watches the client's side of the connection while a completion runs (queued, generating, or
/// streaming) and cancels the completion as soon as the client goes away.
///
/// It reads the connection's inbound stream, through Hummingbird's
/// `RequestBody.consumeWithInboundCloseHandler`, so it must stop (`stop()`, awaited) before the
/// response is done: the server reads the next request from the same stream afterwards. Watching
/// consumes the stream, so the connection closes after the response; responses that use a watcher
/// say `Connection: close`.
///
/// If the owner never calls `stop()` (a response dropped unwritten), `deinit` cancels the completion and
/// ends the watch.
final class DisconnectWatcher: Sendable {
    private enum State {
        case watching(cancel: (@Sendable () -> Void)?)
        case clientGone
        case stopped
    }

    private let state: StateBox
    private let stopSignal: AsyncStream<Void>.Continuation
    private let task: Task<Void, Never>

    /// Starts watching; `request` must have had its body collected (or not touched).
    init(request: Request) {
        let state = StateBox()
        let (stopped, stopSignal) = AsyncStream<Void>.makeStream()
        self.state = state
        self.stopSignal = stopSignal
        self.task = Task {
            _ = try? await request.body.consumeWithInboundCloseHandler { _ in
                for await _ in stopped {}
            } onInboundClosed: {
                state.clientLeft()
            }
        }
    }

    deinit {
        state.stop(cancelling: true)
        stopSignal.finish()
    }

    /// The completion to cancel if the client leaves; cancelled at once if it already has.
    func attach(_ handle: CompletionHandle) {
        state.attach(handle.cancel)
    }

    /// Whether the client closed its side of the connection before `stop()`.
    var clientGone: Bool { state.clientGone }

    /// Ends the watch and waits until the connection's stream is free again.
    func stop() async {
        state.stop(cancelling: false)
        stopSignal.finish()
        await task.value
    }

    private final class StateBox: Sendable {
        private let state = Mutex(State.watching(cancel: nil))

        func attach(_ cancel: @escaping @Sendable () -> Void) {
            let cancelNow = state.withLock { state -> Bool in
                switch state {
                case .watching:
                    state = .watching(cancel: cancel)
                    return false
                case .clientGone: return true
                case .stopped: return false
                }
            }
            if cancelNow { cancel() }
        }

        func clientLeft() {
            let cancel = state.withLock { state -> (@Sendable () -> Void)? in
                guard case .watching(let cancel) = state else { return nil }
                state = .clientGone
                return cancel
            }
            cancel?()
        }

        func stop(cancelling: Bool) {
            let cancel = state.withLock { state -> (@Sendable () -> Void)? in
                defer { if case .watching = state { state = .stopped } }
                guard cancelling, case .watching(let cancel) = state else { return nil }
                return cancel
            }
            cancel?()
        }

        var clientGone: Bool {
            state.withLock { if case .clientGone = $0 { true } else { false } }
        }
    }
}
