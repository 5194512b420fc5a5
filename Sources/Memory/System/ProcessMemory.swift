#if canImport(Glibc)
import Glibc
#endif

/// Resident memory of this process, read from `/proc/self/status`.
public enum ProcessMemory {
    /// Current resident set size in bytes (VmRSS), or nil where /proc is unavailable.
    public static func residentBytes() -> Int? { statusField("VmRSS:") }

    /// Peak resident set size in bytes (VmHWM), or nil where /proc is unavailable.
    public static func peakResidentBytes() -> Int? { statusField("VmHWM:") }

    /// The kB figure after `key` in /proc/self/status, in bytes.
    private static func statusField(_ key: String) -> Int? {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        var used = 0
        while used < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + used, $0.count - used) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            used += n
        }
        let text = String(decoding: bytes[0..<used], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return Int(line.dropFirst(key.count).filter(\.isNumber)).map { $0 * 1024 }
        }
        return nil
    }
}
