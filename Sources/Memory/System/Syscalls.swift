#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the memory system calls: each returns a typed error with errno,
/// and retries on EINTR where the call can be interrupted.
public enum Syscalls {
    /// Opens `path` read-only. The corresponding C function is `open`.
    public static func openReadOnly(_ path: String) throws(MemoryError) -> Int32 {
        while true {
            // O_NONBLOCK: opening a FIFO with no writer must fail later (not a regular file), not hang.
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            if fd >= 0 { return fd }
            let e = errno
            if e == EINTR { continue }
            if e == ENOENT || e == ENOTDIR { throw .missing(path: path) }
            throw .unreadable(path: path, errno: e)
        }
    }

    /// Size of a regular file; throws for directories and special files.
    /// The corresponding C function is `fstat`.
    public static func regularFileSize(_ fd: Int32, path: String) throws(MemoryError) -> Int {
        var info = stat()
        if fstat(fd, &info) != 0 { throw .unreadable(path: path, errno: errno) }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFDIR { throw .unreadable(path: path, errno: EISDIR) }
        if kind != S_IFREG { throw .unreadable(path: path, errno: ENODEV) }
        return Int(info.st_size)
    }

    /// Closes a descriptor; errors are ignored because nothing useful can follow them.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Maps `size` bytes of `fd` read-only and private. The corresponding C function is `mmap`.
    public static func mapReadOnly(_ fd: Int32, size: Int) throws(MemoryError) -> UnsafeRawPointer {
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw .syscall(name: "mmap", errno: errno) }
        return UnsafeRawPointer(p)
    }

    /// Maps `size` bytes of zeroed anonymous read-write memory. The corresponding C function is `mmap`.
    public static func mapAnonymous(size: Int) throws(MemoryError) -> UnsafeMutableRawPointer {
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { throw .syscall(name: "mmap", errno: errno) }
        return p
    }

    /// Unmaps a region. The corresponding C function is `munmap`.
    public static func unmap(_ base: UnsafeRawPointer, size: Int) {
        _ = munmap(UnsafeMutableRawPointer(mutating: base), size)
    }

    /// Gives the kernel a paging hint for a region. The corresponding C function is `madvise`.
    public static func advise(_ base: UnsafeRawPointer, size: Int, _ advice: Int32) throws(MemoryError) {
        if madvise(UnsafeMutableRawPointer(mutating: base), size, advice) != 0 {
            throw .syscall(name: "madvise", errno: errno)
        }
    }

    /// `body`'s reads of the `bytes` at `start` (in a file mapping) without the kernel's
    /// read-around: `MADV_RANDOM` on their pages for the call, `MADV_NORMAL` after. For a few
    /// small reads at load (norm vectors) that must not page in the weights beside them.
    public static func withoutReadAround<R>(_ start: UnsafeRawPointer, bytes: Int, _ body: () -> R) -> R {
        let page = pageSize
        let first = start - Int(bitPattern: start) % page
        let length = (start + bytes - first + page - 1) / page * page
        try? advise(first, size: length, MADV_RANDOM)
        defer { try? advise(first, size: length, MADV_NORMAL) }
        return body()
    }

    /// Locks a region in RAM. The corresponding C function is `mlock`.
    public static func lock(_ base: UnsafeRawPointer, size: Int) throws(MemoryError) {
        if mlock(base, size) != 0 { throw .syscall(name: "mlock", errno: errno) }
    }

    /// Unlocks a region. The corresponding C function is `munlock`.
    public static func unlock(_ base: UnsafeRawPointer, size: Int) {
        _ = munlock(base, size)
    }

    /// The system page size in bytes.
    public static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// Counts the resident pages of a page-aligned region. The corresponding C function is `mincore`.
    public static func residentPages(_ base: UnsafeRawPointer, size: Int) throws(MemoryError) -> Int {
        let page = pageSize
        let pages = (size + page - 1) / page
        guard pages > 0 else { return 0 }
        let vec = UnsafeMutablePointer<UInt8>.allocate(capacity: pages)
        defer { vec.deallocate() }
        if mincore(UnsafeMutableRawPointer(mutating: base), size, vec) != 0 {
            throw .syscall(name: "mincore", errno: errno)
        }
        var resident = 0
        for i in 0..<pages where vec[i] & 1 != 0 { resident += 1 }
        return resident
    }
}
