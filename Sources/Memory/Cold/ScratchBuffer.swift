/// A grow-only, 64-byte-aligned byte buffer owned by one structure (its lock guards it).
/// Sized by the largest request so far, so steady-state use never allocates.
struct ScratchBuffer: ~Copyable {
    private(set) var pointer: UnsafeMutableRawPointer?
    private(set) var bytes = 0

    init() {}

    deinit { pointer?.deallocate() }

    /// Makes room for `needed` bytes; returns the bytes added (0 when it was big enough).
    /// Contents are not kept.
    mutating func reserve(_ needed: Int) -> Int {
        guard needed > bytes else { return 0 }
        pointer?.deallocate()
        // Round up to a 64 KiB multiple so that pages of nearby sizes share one buffer.
        let size = (needed + 0xFFFF) & ~0xFFFF
        pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        let added = size - bytes
        bytes = size
        return added
    }
}
