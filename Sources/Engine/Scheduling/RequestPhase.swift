/// Where a request stands.
public enum RequestPhase: Equatable, Sendable {
    /// Queued; holds no KV.
    case waiting
    /// In the running set: takes part in every step.
    case running
    /// Taken out of the running set under memory pressure; its KV is compressed, or dropped
    /// and recomputed from its tokens on resumption.
    case preempted
    /// Done: `stopReason` or `error` says why.
    case finished
}
