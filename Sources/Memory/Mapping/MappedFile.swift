#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of a whole file. Bytes are paged in by the kernel on first
/// touch: opening a file reads none of it. The mapping lives as long as this object.
public final class MappedFile: @unchecked Sendable {
    /// Paging hints for `advise(_:)`.
    public enum Access: Sendable {
        /// Read once front to back (validation, quantization).
        case sequential
        /// Touched out of order (serving).
        case random
        /// Prefetch now.
        case willNeed
        /// Default kernel read-ahead.
        case normal

        var advice: Int32 {
            switch self {
            case .sequential: return MADV_SEQUENTIAL
            case .random: return MADV_RANDOM
            case .willNeed: return MADV_WILLNEED
            case .normal: return MADV_NORMAL
            }
        }
    }

    /// Path the file was opened from.
    public let path: String
    /// Size of the file and of the mapping, in bytes.
    public let size: Int
    private let base: UnsafeRawPointer
    private var locked = false

    /// Maps `path`; throws `.missing`, `.unreadable`, `.empty` or `.tooShort(minimumSize)`.
    public init(path: String, minimumSize: Int = 1) throws(MemoryError) {
        let fd = try Syscalls.openReadOnly(path)
        defer { Syscalls.close(fd) }
        let size = try Syscalls.regularFileSize(fd, path: path)
        if size == 0 { throw .empty(path: path) }
        if size < minimumSize { throw .tooShort(path: path, size: size, needed: minimumSize) }
        self.path = path
        self.size = size
        self.base = try Syscalls.mapReadOnly(fd, size: size)
    }

    deinit {
        if locked { Syscalls.unlock(base, size: size) }
        Syscalls.unmap(base, size: size)
    }

    /// Lends the mapped bytes. The buffer must not escape `body`.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(unsafeBytes)
    }

    /// The mapped bytes; valid only while this object is alive. Owners that keep the
    /// `MappedFile` alive (a loaded model) may hold views into it.
    public var unsafeBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Tells the kernel how the whole file will be read.
    public func advise(_ access: Access) throws(MemoryError) {
        try Syscalls.advise(base, size: size, access.advice)
    }

    /// Pins the file's pages in RAM (needs RLIMIT_MEMLOCK).
    public func lock() throws(MemoryError) {
        guard !locked else { return }
        try Syscalls.lock(base, size: size)
        locked = true
    }

    /// Drops this process's mapping of the pages wholly inside `range` (bytes of the file), as
    /// `madvise(MADV_DONTNEED)`: they stop counting in its resident memory (the page cache may
    /// keep them, evictable), and reading them again pages them back in from the file. For
    /// weights copied elsewhere (uploaded to a GPU), so RAM does not hold both. Pages shared
    /// with bytes outside `range` are kept.
    /// - Returns: the bytes released (a whole number of pages).
    @discardableResult
    public func release(_ range: Range<Int>) throws(MemoryError) -> Int {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "MappedFile.release: \(range) outside 0..<\(size)")
        let page = Syscalls.pageSize
        // The mapping starts page-aligned, so file offsets and mapping offsets align alike.
        let start = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound == size ? (size + page - 1) / page * page : range.upperBound / page * page
        guard end > start else { return 0 }
        try Syscalls.advise(base + start, size: end - start, MADV_DONTNEED)
        return min(end, size) - start
    }

    /// `release` of the `bytes` at `pointer`, which must lie in this mapping.
    @discardableResult
    public func release(_ pointer: UnsafeRawPointer, bytes: Int) throws(MemoryError) -> Int {
        let offset = pointer - base
        precondition(offset >= 0 && offset + bytes <= size, "MappedFile.release: \(pointer) is outside the mapping")
        return try release(offset..<(offset + bytes))
    }

    /// Whether `pointer` lies in this mapping.
    public func contains(_ pointer: UnsafeRawPointer) -> Bool {
        let offset = pointer - base
        return offset >= 0 && offset < size
    }

    /// Bytes of the file currently resident in the page cache and mapped here.
    public func residentBytes() throws(MemoryError) -> Int {
        min(size, try Syscalls.residentPages(base, size: size) * Syscalls.pageSize)
    }
}
