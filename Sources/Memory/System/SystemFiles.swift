#if canImport(Glibc)
import Glibc
#endif

/// Small text files of the kernel's pseudo file systems (/proc, /sys).
enum SystemFiles {
    /// The whole file as text, up to `limit` bytes; nil when it cannot be opened or read.
    static func readText(_ path: String, limit: Int = 1 << 16) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit)
        var used = 0
        while used < limit {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + used, limit - used) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            used += n
        }
        return String(decoding: bytes[0..<used], as: UTF8.self)
    }
}
