internal import CJemalloc

/// `mallctl` access and the `mallocx` flag macros, which Swift cannot import.
enum Jemalloc {
    /// `MALLOCX_TCACHE_NONE`: bypass the thread cache.
    static let tcacheNone: Int32 = 1 << 8

    /// `MALLOCX_ARENA(a)`: allocate from arena `a`.
    static func arenaFlag(_ arena: UInt32) -> Int32 { Int32(arena + 1) << 20 }

    /// `MALLOCX_LG_ALIGN(la)` for a power-of-two `alignment`.
    static func alignmentFlag(_ alignment: Int) -> Int32 {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        return Int32(alignment.trailingZeroBitCount)
    }

    /// Reads a value by name; nil when the name is unknown or the size differs.
    /// Allocation-free: the name is a static C string.
    static func read<T: BitwiseCopyable>(_ name: StaticString, as type: T.Type) -> T? {
        withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { buffer -> T? in
            var size = MemoryLayout<T>.size
            let result = name.withMallctlName { mallctl($0, buffer.baseAddress, &size, nil, 0) }
            guard result == 0, size == MemoryLayout<T>.size else { return nil }
            return buffer[0]
        }
    }

    /// Advances `epoch`, which refreshes the `stats.*` values.
    static func refreshStatistics() {
        let name: StaticString = "epoch"
        var epoch: UInt64 = 1
        var size = MemoryLayout<UInt64>.size
        _ = withUnsafeMutablePointer(to: &epoch) { pointer in
            name.withMallctlName { mallctl($0, pointer, &size, pointer, MemoryLayout<UInt64>.size) }
        }
    }

    /// Runs `mallctl` on a name built at run time (not for hot paths: the name allocates).
    static func control(_ name: String, old: UnsafeMutableRawPointer? = nil, oldSize: UnsafeMutablePointer<Int>? = nil) -> Int32 {
        name.withCString { mallctl($0, old, oldSize, nil, 0) }
    }
}

extension StaticString {
    /// The string as a C string; static strings are NUL-terminated.
    func withMallctlName<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        precondition(hasPointerRepresentation, "a mallctl name must be a literal")
        return try UnsafeRawPointer(utf8Start).withMemoryRebound(to: CChar.self, capacity: utf8CodeUnitCount + 1, body)
    }
}
