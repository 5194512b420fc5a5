#if canImport(Glibc)
import Glibc
#endif

/// Resident memory of this process, read from `/proc/self/status`.
public enum ProcessMemory {
    /// Current resident set size in bytes (VmRSS), or nil where /proc is unavailable.
    public static func residentBytes() -> Int? { statusField("VmRSS:") }

    /// Peak resident set size in bytes (VmHWM), or nil where /proc is unavailable.
    public static func peakResidentBytes() -> Int? { statusField("VmHWM:") }

    private static func statusField(_ key: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(cString: line)
            guard text.hasPrefix(key) else { continue }
            let digits = text.dropFirst(key.count).filter { $0.isNumber }
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }
}
