/// A handle to one compressed page of a `ColdStore`: a slot (low 24 bits) and that slot's
/// generation (high 8 bits), so a handle kept after `discard` is very likely reported as
/// `.unknownPage` rather than naming a newer page.
public struct ColdPageID: Hashable, Sendable, CustomStringConvertible {
    public let raw: UInt32

    public init(raw: UInt32) { self.raw = raw }

    init(slot: Int, generation: UInt8) {
        self.raw = UInt32(generation) << 24 | UInt32(slot)
    }

    var slot: Int { Int(raw & 0x00FF_FFFF) }
    var generation: UInt8 { UInt8(raw >> 24) }

    public var description: String { "cold page \(slot).\(generation)" }
}
