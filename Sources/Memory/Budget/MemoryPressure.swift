/// How close a budget is to its limit; drives the pressure ladder (compress cold pages,
/// evict cached prefixes, preempt, hold admissions).
public enum MemoryPressure: Int, Sendable, Comparable, CustomStringConvertible {
    /// Below the low watermark.
    case normal
    /// At or above the low watermark, below the high one.
    case elevated
    /// At or above the high watermark.
    case high

    public static func < (lhs: MemoryPressure, rhs: MemoryPressure) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String {
        switch self {
        case .normal: return "normal"
        case .elevated: return "elevated"
        case .high: return "high"
        }
    }
}
