import Synchronization

/// Fixed-size pages carved from large slabs. Pages are reused through a LIFO free list and
/// slabs are never returned to the system while the pool lives, except by `trim()`.
///
/// Accounting: a slab's bytes are charged to `.free` when it is taken (refused when the
/// budget cannot hold it); `allocate()` moves a page's bytes `.free` -> `.hot`, `free(_:)`
/// moves them back, and `trim()` releases whole free slabs.
///
/// After warm-up (once the slabs a workload needs exist) `allocate()`, `free(_:)` and
/// `address(of:)` allocate nothing: the free list's capacity is reserved for every page
/// whenever a slab is added. Thread-safe; `address(of:)` takes no lock.
public final class PagePool: @unchecked Sendable {
    /// Where slabs come from.
    public enum Backing: Sendable {
        /// A dedicated jemalloc arena (`arenas.create`), thread cache off.
        case jemallocArena
        /// One anonymous `mmap` per slab.
        case anonymousMap
    }

    /// Bytes of one page: the size asked for, rounded up to a multiple of 64.
    public let pageBytes: Int
    /// Pages in one slab: at least the number asked for, more when the backing reserves
    /// more bytes anyway (a jemalloc size class, a whole system page).
    public let pagesPerSlab: Int
    /// Bytes of one slab's pages (`pagesPerSlab * pageBytes`), charged when a slab is taken.
    public let bytesPerSlab: Int
    /// The most slabs this pool can hold: what the budget's limit allows, and what a
    /// 32-bit `PageID` can name.
    public let maxSlabs: Int
    public let backing: Backing
    public let budget: MemoryBudget

    private let source: SlabSource
    /// Bytes requested from `source` per slab (its reservation, >= `bytesPerSlab`).
    private let reservedBytesPerSlab: Int
    /// [maxSlabs] slab base addresses, nil for an empty slot. Zeroed anonymous memory, so
    /// slots never used cost nothing. A slot changes only while none of its pages is live,
    /// which is what lets `address(of:)` read it without the lock.
    private let slabTable: AnonymousMapping
    private let slabs: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let state: Mutex<State>

    struct State {
        /// Page ids ready for reuse; the last one goes out first. Capacity is reserved
        /// for every page of every slot used, so pushes never grow it.
        var freeList: [UInt32] = []
        /// [slots used] hot pages of each slab, or `vacant` when the slot has no slab.
        var hotInSlab: [Int32] = []
        /// [slots used * pagesPerSlab] whether each page is handed out.
        var pageIsHot: [Bool] = []
        /// Slots emptied by `trim()`, reused before new ones.
        var vacantSlots: [Int] = []
        var slabCount = 0
        var hotPages = 0
        var pagesAllocatedTotal = 0
        var slabsAllocatedTotal = 0

        static let vacant: Int32 = -1
    }

    /// - Parameters:
    ///   - pageBytes: bytes per page (> 0), rounded up to a multiple of 64.
    ///   - slabPages: pages per slab (> 0); the backing may fit a few more.
    ///   - backing: where slabs come from.
    ///   - budget: charged for every slab taken.
    /// - Throws: `MemoryError.syscall` when the jemalloc arena or the slab table cannot be made.
    public init(pageBytes: Int, slabPages: Int = 64, backing: Backing = .jemallocArena,
                budget: MemoryBudget) throws(MemoryError) {
        precondition(pageBytes > 0, "pages must have bytes")
        precondition(slabPages > 0, "slabs must have pages")
        let pageBytes = (pageBytes + 63) & ~63
        let (requested, overflow) = pageBytes.multipliedReportingOverflow(by: slabPages)
        precondition(!overflow, "slab of \(slabPages) pages of \(pageBytes) bytes is too large")

        let source: SlabSource
        switch backing {
        case .jemallocArena: source = .arena(try JemallocArena())
        case .anonymousMap: source = .anonymous
        }
        let reserved = source.reservedBytes(for: requested)
        precondition(reserved >= requested, "slab of \(requested) bytes cannot be reserved")
        self.pageBytes = pageBytes
        self.pagesPerSlab = reserved / pageBytes
        self.bytesPerSlab = pagesPerSlab * pageBytes
        self.reservedBytesPerSlab = reserved
        self.maxSlabs = min(budget.limitBytes / bytesPerSlab, (1 << 32) / pagesPerSlab)
        self.backing = backing
        self.budget = budget
        self.source = source
        self.slabTable = try AnonymousMapping(size: max(1, maxSlabs) * MemoryLayout<UnsafeMutableRawPointer?>.stride)
        self.slabs = slabTable.base.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: max(1, maxSlabs))
        self.state = Mutex(State())
    }

    deinit {
        state.withLock { s in
            for slot in 0..<s.hotInSlab.count where s.hotInSlab[slot] != State.vacant {
                source.deallocate(slabs[slot]!, bytes: reservedBytesPerSlab)
                slabs[slot] = nil
            }
            budget.release(s.hotPages * pageBytes, from: .hot)
            budget.release((s.slabCount * pagesPerSlab - s.hotPages) * pageBytes, from: .free)
        }
    }

    /// A hot page (contents unspecified), or nil when the free list is empty and a new
    /// slab does not fit the budget (or the system has no memory).
    ///
    /// - Complexity: O(1); allocation-free unless a slab is added.
    public func allocate() -> PageID? {
        state.withLock { s -> PageID? in
            if s.freeList.isEmpty && !addSlab(&s) { return nil }
            let raw = s.freeList.removeLast()
            let page = Int(raw)
            s.pageIsHot[page] = true
            s.hotInSlab[page / pagesPerSlab] += 1
            s.hotPages += 1
            s.pagesAllocatedTotal += 1
            budget.move(pageBytes, from: .free, to: .hot)
            return PageID(raw: raw)
        }
    }

    /// Puts a hot page back on the free list. Freeing a page that is not hot traps.
    ///
    /// - Complexity: O(1), allocation-free.
    public func free(_ page: PageID) {
        state.withLock { s in
            let index = Int(page.raw)
            precondition(index < s.pageIsHot.count && s.pageIsHot[index], "\(page) is not allocated")
            s.pageIsHot[index] = false
            s.hotInSlab[index / pagesPerSlab] -= 1
            s.hotPages -= 1
            s.freeList.append(page.raw)
            budget.move(pageBytes, from: .hot, to: .free)
        }
    }

    /// Base address of a live page, 64-byte aligned, `pageBytes` long; valid until the
    /// page is freed.
    ///
    /// - Complexity: O(1), lock-free, allocation-free.
    public func address(of page: PageID) -> UnsafeMutableRawPointer {
        let index = Int(page.raw)
        let slot = index / pagesPerSlab
        precondition(slot < maxSlabs, "\(page) is outside this pool")
        guard let slab = slabs[slot] else { preconditionFailure("\(page) is not allocated") }
        assert(isHot(page), "\(page) is not allocated")
        return slab + (index - slot * pagesPerSlab) * pageBytes
    }

    /// Counts at this moment.
    public var statistics: PagePoolStatistics {
        state.withLock { s in
            PagePoolStatistics(
                hotPages: s.hotPages,
                freePages: s.freeList.count,
                slabs: s.slabCount,
                slabBytes: s.slabCount * bytesPerSlab,
                pagesAllocatedTotal: s.pagesAllocatedTotal,
                slabsAllocatedTotal: s.slabsAllocatedTotal)
        }
    }

    /// Returns every slab whose pages are all free to the system (for the budget's pressure
    /// ladder) and releases its bytes from `.free`.
    ///
    /// - Returns: the bytes released.
    /// - Complexity: O(slabs + free pages); allocates only bookkeeping.
    @discardableResult
    public func trim() -> Int {
        let released = state.withLock { s -> Int in
            var trimmed = 0
            for slot in 0..<s.hotInSlab.count where s.hotInSlab[slot] == 0 {
                source.deallocate(slabs[slot]!, bytes: reservedBytesPerSlab)
                slabs[slot] = nil
                s.hotInSlab[slot] = State.vacant
                s.vacantSlots.append(slot)
                s.slabCount -= 1
                trimmed += 1
            }
            guard trimmed > 0 else { return 0 }
            let perSlab = pagesPerSlab
            s.freeList.removeAll { [hot = s.hotInSlab] raw in hot[Int(raw) / perSlab] == State.vacant }
            let bytes = trimmed * bytesPerSlab
            budget.release(bytes, from: .free)
            return bytes
        }
        if released > 0 { source.purge() }
        assert({ checkInvariants(); return true }())
        return released
    }

    /// Whether `page` is handed out now.
    public func isHot(_ page: PageID) -> Bool {
        state.withLock { s in Int(page.raw) < s.pageIsHot.count && s.pageIsHot[Int(page.raw)] }
    }

    /// Lends the bookkeeping to `checkInvariants()`.
    func withStateForChecks(_ body: (borrowing State, UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void) {
        state.withLock { s in body(s, slabs) }
    }

    /// Takes a slab into an empty slot, charging its bytes to `.free`, and pushes its pages
    /// so that the lowest address goes out first. False when no slot, budget or memory is left.
    private func addSlab(_ s: inout State) -> Bool {
        let slot: Int
        if let vacant = s.vacantSlots.last {
            slot = vacant
        } else if s.hotInSlab.count < maxSlabs {
            slot = s.hotInSlab.count
        } else {
            return false
        }
        guard budget.tryCharge(bytesPerSlab, to: .free) else { return false }
        guard let slab = source.allocate(bytes: reservedBytesPerSlab) else {
            budget.release(bytesPerSlab, from: .free)
            return false
        }
        slabs[slot] = slab
        if slot == s.hotInSlab.count {
            s.hotInSlab.append(0)
            s.pageIsHot.append(contentsOf: repeatElement(false, count: pagesPerSlab))
            let pages = s.hotInSlab.count * pagesPerSlab
            if s.freeList.capacity < pages {
                s.freeList.reserveCapacity(max(pages, 2 * s.freeList.capacity))
            }
            s.vacantSlots.reserveCapacity(s.hotInSlab.count)
        } else {
            s.vacantSlots.removeLast()
            s.hotInSlab[slot] = 0
        }
        let first = UInt32(slot * pagesPerSlab)
        for offset in stride(from: UInt32(pagesPerSlab) - 1, through: 0, by: -1) {
            s.freeList.append(first + offset)
        }
        s.slabCount += 1
        s.slabsAllocatedTotal += 1
        return true
    }
}
