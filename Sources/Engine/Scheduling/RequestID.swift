/// A submitted request's handle (a slot index; reused once the request is released).
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let raw: Int32
    public var description: String { "req\(raw)" }
}
