/// An owned, zeroed, 64-byte-aligned buffer of `count` elements of a trivial type, freed
/// when its owner goes away. Used for scratch that is sized once at start-up.
public struct AlignedBuffer<Element: BitwiseCopyable>: ~Copyable {
    /// The first element; valid while this buffer is alive. Do not let it outlive the owner.
    public let pointer: UnsafeMutablePointer<Element>
    public let count: Int

    /// Allocates `count` zeroed elements.
    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        let bytes = max(1, count * MemoryLayout<Element>.stride)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        self.pointer = raw.bindMemory(to: Element.self, capacity: max(1, count))
        self.count = count
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    /// The elements as a buffer pointer; it must not escape the owner's lifetime.
    public var unsafeBuffer: UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}

/// Zeroed anonymous memory from `mmap`: pages cost nothing until first written, so a
/// buffer sized for the worst case (a full-context KV cache) only occupies what is used.
public struct AnonymousMapping: ~Copyable {
    /// Start of the mapping; valid while this value is alive.
    public let base: UnsafeMutableRawPointer
    public let size: Int

    /// Maps `size` bytes (rounded up to whole pages by the kernel).
    public init(size: Int) throws(MemoryError) {
        precondition(size > 0, "empty mapping")
        self.base = try Syscalls.mapAnonymous(size: size)
        self.size = size
    }

    deinit { Syscalls.unmap(base, size: size) }
}
