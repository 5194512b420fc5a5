import Synchronization

/// One byte budget for everything the engine owns: pages, compressed bytes, pools and
/// scratch, each charged to a `MemoryTier`. Weights are reported separately, not charged
/// (the kernel can drop clean mmap'd pages).
///
/// Lock-free: the total is reserved with a compare-and-swap, so a charge that would pass
/// the limit is refused whole, and concurrent callers can never push the total over it
/// through `tryCharge`. Every operation is allocation-free.
public final class MemoryBudget: Sendable {
    /// The most bytes `tryCharge` lets the total reach.
    public let limitBytes: Int
    /// The fraction of the limit at which pressure becomes `.high`.
    public let highWatermark: Double
    /// The fraction of the limit at which pressure becomes `.elevated`.
    public let lowWatermark: Double

    private let total = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)
    private let hot = Atomic<Int>(0)
    private let cold = Atomic<Int>(0)
    private let free = Atomic<Int>(0)
    private let pools = Atomic<Int>(0)
    private let gpu = Atomic<Int>(0)

    /// - Parameters:
    ///   - limitBytes: the budget, > 0 (see `defaultLimit()` and `parseSize(_:)`).
    ///   - highWatermark, lowWatermark: fractions of the limit, 0 < low <= high <= 1.
    public init(limitBytes: Int, highWatermark: Double = 0.90, lowWatermark: Double = 0.75) {
        precondition(limitBytes > 0, "a memory budget must be positive")
        precondition(lowWatermark > 0 && lowWatermark <= highWatermark && highWatermark <= 1,
                     "watermarks must satisfy 0 < low <= high <= 1")
        self.limitBytes = limitBytes
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    /// Charges `bytes` to `tier` if the total stays <= `limitBytes`; otherwise charges
    /// nothing and returns false.
    public func tryCharge(_ bytes: Int, to tier: MemoryTier) -> Bool {
        precondition(bytes >= 0, "negative charge")
        if tier == .gpu {
            add(bytes, to: .gpu)
            return true
        }
        var current = total.load(ordering: .relaxed)
        while true {
            let (proposed, overflow) = current.addingReportingOverflow(bytes)
            if overflow || proposed > limitBytes { return false }
            let (exchanged, original) = total.compareExchange(
                expected: current, desired: proposed, ordering: .relaxed)
            if exchanged {
                add(bytes, to: tier)
                raisePeak(to: proposed)
                return true
            }
            current = original
        }
    }

    /// Charges `bytes` to `tier` even past the limit: for moves that must not fail (a page
    /// coming back from the cold store, start-up pools). Pressure then reads `.high`.
    public func charge(_ bytes: Int, to tier: MemoryTier) {
        precondition(bytes >= 0, "negative charge")
        if tier == .gpu {
            add(bytes, to: .gpu)
            return
        }
        let now = total.wrappingAdd(bytes, ordering: .relaxed).newValue
        add(bytes, to: tier)
        raisePeak(to: now)
    }

    /// Gives back `bytes` charged to `tier`. Releasing more than the tier holds is a bug
    /// and traps.
    public func release(_ bytes: Int, from tier: MemoryTier) {
        precondition(bytes >= 0, "negative release")
        let left = add(-bytes, to: tier)
        precondition(left >= 0, "released \(bytes) bytes from \(tier), which held only \(left + bytes)")
        if tier != .gpu { total.wrappingSubtract(bytes, ordering: .relaxed) }
    }

    /// Moves accounting between tiers without changing the total (a page freed to the
    /// free list: `.hot` -> `.free`). Never refused.
    public func move(_ bytes: Int, from source: MemoryTier, to destination: MemoryTier) {
        precondition(bytes >= 0, "negative move")
        precondition((source == .gpu) == (destination == .gpu), "moved \(bytes) bytes between host and device tiers")
        guard source != destination else { return }
        let left = add(-bytes, to: source)
        precondition(left >= 0, "moved \(bytes) bytes out of \(source), which held only \(left + bytes)")
        add(bytes, to: destination)
    }

    /// Bytes charged to the host tiers together (`.gpu` is apart).
    public var used: Int { total.load(ordering: .relaxed) }

    /// The most bytes ever charged at once.
    public var peakUsed: Int { peak.load(ordering: .relaxed) }

    /// Bytes charged to `tier`.
    public func used(_ tier: MemoryTier) -> Int {
        switch tier {
        case .hot: return hot.load(ordering: .relaxed)
        case .cold: return cold.load(ordering: .relaxed)
        case .free: return free.load(ordering: .relaxed)
        case .pools: return pools.load(ordering: .relaxed)
        case .gpu: return gpu.load(ordering: .relaxed)
        }
    }

    /// Bytes left before the limit (0 when over it after an unconditional `charge`).
    public var available: Int { max(0, limitBytes - used) }

    /// `limitBytes * highWatermark`.
    public var highWatermarkBytes: Int { Int(Double(limitBytes) * highWatermark) }

    /// `limitBytes * lowWatermark`.
    public var lowWatermarkBytes: Int { Int(Double(limitBytes) * lowWatermark) }

    /// `.normal` below the low watermark, `.elevated` from it to below the high watermark,
    /// `.high` at or above the high watermark.
    public var pressure: MemoryPressure {
        let now = used
        if now >= highWatermarkBytes { return .high }
        if now >= lowWatermarkBytes { return .elevated }
        return .normal
    }

    /// Adds `delta` to the tier's counter; returns the new value.
    @discardableResult
    private func add(_ delta: Int, to tier: MemoryTier) -> Int {
        switch tier {
        case .hot: return hot.wrappingAdd(delta, ordering: .relaxed).newValue
        case .cold: return cold.wrappingAdd(delta, ordering: .relaxed).newValue
        case .free: return free.wrappingAdd(delta, ordering: .relaxed).newValue
        case .pools: return pools.wrappingAdd(delta, ordering: .relaxed).newValue
        case .gpu: return gpu.wrappingAdd(delta, ordering: .relaxed).newValue
        }
    }

    private func raisePeak(to value: Int) {
        var seen = peak.load(ordering: .relaxed)
        while value > seen {
            let (exchanged, original) = peak.compareExchange(expected: seen, desired: value, ordering: .relaxed)
            if exchanged { return }
            seen = original
        }
    }
}
