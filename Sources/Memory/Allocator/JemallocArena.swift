internal import CJemalloc

/// A jemalloc arena of our own (`arenas.create`), used without the thread cache so that a
/// freed block goes straight back to this arena and never mixes with the process heap.
/// The arena is destroyed (`arena.<i>.destroy`) with its owner, which must have freed
/// every block first.
final class JemallocArena {
    /// The arena's index, as `MALLOCX_ARENA` takes it.
    let index: UInt32
    /// `MALLOCX_ARENA(index) | MALLOCX_TCACHE_NONE`.
    private let flags: Int32

    /// Creates an arena. The corresponding C call is `mallctl("arenas.create")`.
    init() throws(MemoryError) {
        var index: UInt32 = 0
        var size = MemoryLayout<UInt32>.size
        let result = withUnsafeMutablePointer(to: &index) { pointer in
            Jemalloc.control("arenas.create", old: pointer, oldSize: &size)
        }
        if result != 0 { throw .syscall(name: "mallctl(arenas.create)", errno: result) }
        self.index = index
        self.flags = Jemalloc.arenaFlag(index) | Jemalloc.tcacheNone
    }

    deinit {
        _ = Jemalloc.control("arena.\(index).destroy")
    }

    /// The size jemalloc would really reserve for `bytes` at `alignment` (its size class).
    /// The corresponding C function is `nallocx`.
    func usableSize(forBytes bytes: Int, alignment: Int) -> Int {
        nallocx(bytes, flags | Jemalloc.alignmentFlag(alignment))
    }

    /// `bytes` from this arena at `alignment`, or nil when the system has none.
    /// The corresponding C function is `mallocx`.
    func allocate(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        mallocx(bytes, flags | Jemalloc.alignmentFlag(alignment))
    }

    /// Frees a block of this arena. The corresponding C function is `dallocx`.
    func deallocate(_ pointer: UnsafeMutableRawPointer) {
        dallocx(pointer, flags)
    }

    /// Returns the arena's unused dirty pages to the system now rather than after jemalloc's
    /// decay delay. The corresponding C call is `mallctl("arena.<i>.purge")`.
    func purge() {
        _ = Jemalloc.control("arena.\(index).purge")
    }
}
