import Hummingbird
import Synchronization

/// The request context every route sees: Hummingbird's core storage plus a record of the
/// tokens the request used, which the access log reads once the response is written.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Token counts filled in by the completion routes.
    let tokens = TokenRecord()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}

/// Prompt and completion token counts of one request (zero for requests that generate nothing).
final class TokenRecord: Sendable {
    private let counts = Mutex((prompt: 0, completion: 0))

    func record(prompt: Int, completion: Int) {
        counts.withLock { $0 = (prompt, completion) }
    }

    var prompt: Int { counts.withLock { $0.prompt } }
    var completion: Int { counts.withLock { $0.completion } }
}
