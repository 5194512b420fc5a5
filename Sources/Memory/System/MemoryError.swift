#if canImport(Glibc)
import Glibc
#endif

/// Failures of the Memory module, each with a message a user can act on.
public enum MemoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist.
    case missing(path: String)
    /// The file exists but cannot be opened or read (permissions, a directory, I/O error).
    case unreadable(path: String, errno: Int32)
    /// The file has no bytes.
    case empty(path: String)
    /// The file is shorter than the caller's minimum.
    case tooShort(path: String, size: Int, needed: Int)
    /// A system call failed.
    case syscall(name: String, errno: Int32)
    /// A range asked of a mapping lies outside it or is misaligned.
    case outOfRange(offset: Int, count: Int, size: Int)

    public var description: String {
        switch self {
        case .missing(let path):
            return "\(path): no such file"
        case .unreadable(let path, let errno):
            return "\(path): cannot read (\(MemoryError.describe(errno)))"
        case .empty(let path):
            return "\(path): file is empty"
        case .tooShort(let path, let size, let needed):
            return "\(path): file is \(size) bytes, at least \(needed) are needed"
        case .syscall(let name, let errno):
            return "\(name) failed: \(MemoryError.describe(errno))"
        case .outOfRange(let offset, let count, let size):
            return "range \(offset)..<\(offset + count) lies outside a mapping of \(size) bytes"
        }
    }

    static func describe(_ errno: Int32) -> String {
        guard let text = strerror(errno) else { return "errno \(errno)" }
        return String(cString: text) + " (errno \(errno))"
    }
}
