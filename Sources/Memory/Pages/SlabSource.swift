/// Where a `PagePool` takes its slabs from, and gives them back to.
enum SlabSource {
    /// A dedicated jemalloc arena, thread cache off.
    case arena(JemallocArena)
    /// One anonymous `mmap` per slab.
    case anonymous

    /// Alignment of every slab: a system page, so slabs can be advised and huge-paged.
    static var alignment: Int { Syscalls.pageSize }

    /// The bytes really reserved for a slab of `bytes` (jemalloc's size class, or whole
    /// system pages); the pool fills them with as many pages as fit.
    func reservedBytes(for bytes: Int) -> Int {
        switch self {
        case .arena(let arena):
            return arena.usableSize(forBytes: bytes, alignment: Self.alignment)
        case .anonymous:
            let page = Syscalls.pageSize
            return (bytes + page - 1) / page * page
        }
    }

    /// A slab of `bytes` (a value `reservedBytes` returned), or nil when the system has none.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer? {
        switch self {
        case .arena(let arena):
            return arena.allocate(bytes: bytes, alignment: Self.alignment)
        case .anonymous:
            return try? Syscalls.mapAnonymous(size: bytes)
        }
    }

    /// Gives a slab back to the system.
    func deallocate(_ slab: UnsafeMutableRawPointer, bytes: Int) {
        switch self {
        case .arena(let arena):
            arena.deallocate(slab)
        case .anonymous:
            Syscalls.unmap(slab, size: bytes)
        }
    }

    /// Makes freed slabs' pages leave the resident set now.
    func purge() {
        if case .arena(let arena) = self { arena.purge() }
    }
}
