/// A handle to one page of a `PagePool`; the pool owns the bytes. Valid from `allocate()`
/// until `free(_:)`; afterwards the same value may name a different page.
public struct PageID: Hashable, Sendable, CustomStringConvertible {
    /// Slab slot times pages per slab, plus the page's index in its slab.
    public let raw: UInt32

    public init(raw: UInt32) { self.raw = raw }

    public var description: String { "page \(raw)" }
}
