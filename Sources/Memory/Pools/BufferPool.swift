import Synchronization

/// `count` scratch buffers of `floats` F32 each, 64-byte aligned, carved from one
/// allocation made at start-up and charged to `.pools` once. `acquire` and `release` never
/// allocate.
///
/// Misuse traps: releasing a pointer that is not a buffer of this pool, or one that is not out.
public final class BufferPool: @unchecked Sendable {
    /// Buffers in the pool.
    public let count: Int
    /// Floats per buffer.
    public let floats: Int
    /// Distance between buffers in floats: `floats` rounded up to a 64-byte multiple.
    public let strideFloats: Int
    /// Bytes charged to the budget (all buffers, with their padding).
    public let totalBytes: Int
    public let budget: MemoryBudget?

    /// [count, strideFloats] F32, zeroed at start-up.
    private let base: UnsafeMutablePointer<Float>
    private let state: Mutex<State>

    struct State {
        /// Indices of buffers ready to lend; the last goes out first. Capacity `count`.
        var ready: [Int]
        /// [count] whether each buffer is lent out.
        var isOut: [Bool]
    }

    /// Allocates `count` zeroed buffers of `floats` floats each and charges them to
    /// `budget`'s `.pools` tier (unconditionally: start-up pools must exist).
    public init(count: Int, floats: Int, budget: MemoryBudget?) {
        precondition(count >= 0 && floats > 0, "a buffer pool needs buffers of at least one float")
        let strideFloats = (floats + 15) & ~15
        let (total, overflow) = (strideFloats * MemoryLayout<Float>.stride).multipliedReportingOverflow(by: count)
        precondition(!overflow, "buffer pool is too large")
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(64, total), alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(64, total))
        self.base = raw.bindMemory(to: Float.self, capacity: max(16, count * strideFloats))
        self.count = count
        self.floats = floats
        self.strideFloats = strideFloats
        self.totalBytes = total
        self.budget = budget
        budget?.charge(total, to: .pools)
        var ready: [Int] = []
        ready.reserveCapacity(count)
        ready.append(contentsOf: (0..<count).reversed())
        self.state = Mutex(State(ready: ready, isOut: [Bool](repeating: false, count: count)))
    }

    deinit {
        UnsafeMutableRawPointer(base).deallocate()
        budget?.release(totalBytes, from: .pools)
    }

    /// A buffer of `floats` floats (contents left by its last user), or nil when all are out.
    ///
    /// - Complexity: O(1), allocation-free.
    public func acquire() -> UnsafeMutablePointer<Float>? {
        state.withLock { s -> UnsafeMutablePointer<Float>? in
            guard let n = s.ready.popLast() else { return nil }
            s.isOut[n] = true
            return base + n * strideFloats
        }
    }

    /// Takes back a buffer lent by `acquire`.
    ///
    /// - Complexity: O(1), allocation-free.
    public func release(_ buffer: UnsafeMutablePointer<Float>) {
        let offset = buffer - base
        precondition(offset >= 0 && offset < count * strideFloats && offset % strideFloats == 0,
                     "pointer is not a buffer of this pool")
        let n = offset / strideFloats
        state.withLock { s in
            precondition(s.isOut[n], "buffer \(n) released twice")
            s.isOut[n] = false
            s.ready.append(n)
        }
    }

    /// Buffers ready to lend now.
    public var available: Int { state.withLock { $0.ready.count } }

    /// Checks the bookkeeping against itself; traps on the first inconsistency.
    /// Meant for debug builds and tests.
    ///
    /// - Complexity: O(count).
    public func checkInvariants() {
        state.withLock { s in
            precondition(s.ready.count + s.isOut.count(where: { $0 }) == count, "buffers are lost")
            precondition(Set(s.ready).count == s.ready.count, "a buffer is ready twice")
            precondition(s.ready.allSatisfy { !s.isOut[$0] }, "a ready buffer is marked out")
            precondition(s.ready.capacity >= count, "release may grow the pool")
        }
    }
}
