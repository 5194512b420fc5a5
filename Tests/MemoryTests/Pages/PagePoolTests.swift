import Dispatch
import Memory
import Testing

/// Pages come from slabs, go back to a free list, and are charged to the budget by tier.
@Suite struct PagePoolTests {
    static let backings: [PagePool.Backing] = [.jemallocArena, .anonymousMap]

    @Test(arguments: backings)
    func pagesAreDistinctAlignedAndWritable(backing: PagePool.Backing) throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        let pool = try PagePool(pageBytes: 1000, slabPages: 8, backing: backing, budget: budget)
        #expect(pool.pageBytes == 1024)
        #expect(pool.pagesPerSlab >= 8)
        let count = pool.pagesPerSlab * 3 + 1  // four slabs
        var pages: [PageID] = []
        for _ in 0..<count { pages.append(try #require(pool.allocate())) }
        #expect(Set(pages).count == count)

        let addresses = pages.map { Int(bitPattern: pool.address(of: $0)) }
        #expect(addresses.allSatisfy { $0 % 64 == 0 })
        let sorted = addresses.sorted()
        #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $1 - $0 >= pool.pageBytes }, "pages overlap")

        for (n, page) in pages.enumerated() {
            pool.address(of: page).initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: n), count: pool.pageBytes)
        }
        for (n, page) in pages.enumerated() {
            let bytes = UnsafeRawBufferPointer(start: pool.address(of: page), count: pool.pageBytes)
            #expect(bytes.allSatisfy { $0 == UInt8(truncatingIfNeeded: n) }, "page \(n) was overwritten")
        }
        #expect(pool.statistics.slabs == 4)
        #expect(pool.statistics.hotPages == count)
        pool.checkInvariants()
    }

    @Test(arguments: backings)
    func freedPageIsReusedFirst(backing: PagePool.Backing) throws {
        let budget = MemoryBudget(limitBytes: 16 << 20)
        let pool = try PagePool(pageBytes: 4096, slabPages: 4, backing: backing, budget: budget)
        let a = try #require(pool.allocate())
        let b = try #require(pool.allocate())
        let addressOfA = pool.address(of: a)
        pool.free(a)
        #expect(!pool.isHot(a))
        let c = try #require(pool.allocate())
        #expect(c == a)
        #expect(pool.address(of: c) == addressOfA)
        #expect(c != b)
        #expect(pool.statistics.pagesAllocatedTotal == 3)
        #expect(pool.statistics.slabsAllocatedTotal == 1)
        pool.checkInvariants()
    }

    /// The steady state of a serving loop: pages come and go, no slab is taken and the
    /// heap is not touched.
    @Test(arguments: backings)
    func cyclesAfterWarmUpTakeNoSlabAndAllocateNothing(backing: PagePool.Backing) throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        let pool = try PagePool(pageBytes: 16 << 10, slabPages: 16, backing: backing, budget: budget)
        let working = pool.pagesPerSlab * 2 + 3
        let held = UnsafeMutableBufferPointer<PageID>.allocate(capacity: working)
        defer { held.deallocate() }
        var failures = 0
        func cycles(_ rounds: Int) {
            for round in 0..<rounds {
                let live = 1 + round % working
                for i in 0..<live {
                    if let page = pool.allocate() {
                        held[i] = page
                        pool.address(of: page).storeBytes(of: UInt64(round), as: UInt64.self)
                    } else {
                        failures += 1
                    }
                }
                // Free in an order unlike the allocation order.
                for i in stride(from: live - 1, through: 0, by: -2) { pool.free(held[i]) }
                for i in stride(from: live - 2, through: 0, by: -2) { pool.free(held[i]) }
            }
        }
        // Warm-up: the pool takes its slabs, the runtime instantiates what the loop uses.
        cycles(working)
        let warm = pool.statistics

        let bytes = AllocatorStatistics.bytesAllocated { cycles(200) }
        #expect(failures == 0)
        #expect(bytes == 0, "alloc/free cycles allocated \(bytes) heap bytes")
        let after = pool.statistics
        #expect(after.slabsAllocatedTotal == warm.slabsAllocatedTotal)
        #expect(after.slabs == warm.slabs)
        #expect(after.hotPages == 0)
        pool.checkInvariants()
    }

    @Test(arguments: backings)
    func tiersFollowPages(backing: PagePool.Backing) throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        let pool = try PagePool(pageBytes: 8192, slabPages: 8, backing: backing, budget: budget)
        #expect(budget.used == 0, "an empty pool charges nothing")
        var pages: [PageID] = []
        for _ in 0..<(pool.pagesPerSlab + 2) { pages.append(try #require(pool.allocate())) }
        #expect(budget.used(.hot) == pages.count * pool.pageBytes)
        #expect(budget.used(.free) == 2 * pool.bytesPerSlab - pages.count * pool.pageBytes)
        #expect(budget.used == 2 * pool.bytesPerSlab)
        for page in pages.prefix(5) { pool.free(page) }
        #expect(budget.used(.hot) == (pages.count - 5) * pool.pageBytes)
        #expect(budget.used == 2 * pool.bytesPerSlab, "freeing keeps the slab")
        #expect(budget.used(.cold) == 0 && budget.used(.pools) == 0)
    }

    @Test(arguments: backings)
    func refusesWhenTheBudgetIsExhaustedAndRecoversAfterFrees(backing: PagePool.Backing) throws {
        let probe = try PagePool(pageBytes: 4096, slabPages: 4, backing: backing, budget: MemoryBudget(limitBytes: 1 << 30))
        // Room for two slabs and a bit, not three.
        let budget = MemoryBudget(limitBytes: probe.bytesPerSlab * 2 + probe.pageBytes)
        let pool = try PagePool(pageBytes: 4096, slabPages: 4, backing: backing, budget: budget)
        var pages: [PageID] = []
        while let page = pool.allocate() { pages.append(page) }
        #expect(pages.count == 2 * pool.pagesPerSlab)
        #expect(pool.allocate() == nil, "still refused")
        #expect(pool.statistics.slabs == 2)
        #expect(budget.used == 2 * pool.bytesPerSlab)
        #expect(budget.used <= budget.limitBytes)

        pool.free(pages[3])
        let again = try #require(pool.allocate())
        #expect(again == pages[3])
        #expect(pool.allocate() == nil)

        // Another user of the same budget is refused too, and the pool recovers after it leaves.
        for page in pages { pool.free(page) }
        #expect(pool.trim() == 2 * pool.bytesPerSlab)
        #expect(budget.tryCharge(budget.limitBytes - pool.pageBytes, to: .pools))
        #expect(pool.allocate() == nil)
        budget.release(budget.limitBytes - pool.pageBytes, from: .pools)
        #expect(pool.allocate() != nil)
        pool.checkInvariants()
    }

    @Test(arguments: backings)
    func trimReturnsOnlyWhollyFreeSlabs(backing: PagePool.Backing) throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        let pool = try PagePool(pageBytes: 4096, slabPages: 4, backing: backing, budget: budget)
        let perSlab = pool.pagesPerSlab
        var pages: [PageID] = []
        for _ in 0..<(3 * perSlab) { pages.append(try #require(pool.allocate())) }
        // Pages go out lowest address first, so slab k holds pages[k*perSlab ..< (k+1)*perSlab].
        let survivor = pages[perSlab]
        pool.address(of: survivor).storeBytes(of: 0xDEAD_BEEF, as: UInt32.self)
        for page in pages where page != survivor { pool.free(page) }

        #expect(pool.trim() == 2 * pool.bytesPerSlab)
        let stats = pool.statistics
        #expect(stats.slabs == 1)
        #expect(stats.hotPages == 1)
        #expect(stats.freePages == perSlab - 1)
        #expect(budget.used == pool.bytesPerSlab)
        #expect(budget.used(.free) == pool.bytesPerSlab - pool.pageBytes)
        #expect(pool.address(of: survivor).load(as: UInt32.self) == 0xDEAD_BEEF)
        #expect(pool.trim() == 0, "nothing more to trim")
        pool.checkInvariants()

        // Trimmed slots are reused.
        var more: [PageID] = []
        for _ in 0..<(2 * perSlab - 1) { more.append(try #require(pool.allocate())) }
        #expect(pool.statistics.slabs == 2)
        #expect(pool.statistics.slabsAllocatedTotal == 4)
        pool.checkInvariants()
    }

    @Test(arguments: backings)
    func deinitReleasesEverythingCharged(backing: PagePool.Backing) throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        do {
            let pool = try PagePool(pageBytes: 2048, slabPages: 8, backing: backing, budget: budget)
            for _ in 0..<20 { _ = pool.allocate() }
            #expect(budget.used > 0)
        }
        #expect(budget.used == 0)
        #expect(budget.used(.hot) == 0 && budget.used(.free) == 0)
    }

    @Test(arguments: backings)
    func concurrentUseKeepsTheBooksStraight(backing: PagePool.Backing) throws {
        let budget = MemoryBudget(limitBytes: 256 << 20)
        let pool = try PagePool(pageBytes: 4096, slabPages: 32, backing: backing, budget: budget)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var mine: [PageID] = []
            mine.reserveCapacity(64)
            for round in 0..<500 {
                if mine.count < 64, round % 3 != 2, let page = pool.allocate() {
                    pool.address(of: page).storeBytes(of: worker, as: Int.self)
                    mine.append(page)
                } else if let page = mine.popLast() {
                    precondition(pool.address(of: page).load(as: Int.self) == worker, "a page was shared")
                    pool.free(page)
                }
            }
            for page in mine { pool.free(page) }
        }
        let stats = pool.statistics
        #expect(stats.hotPages == 0)
        #expect(stats.freePages == stats.slabs * pool.pagesPerSlab)
        #expect(budget.used(.hot) == 0)
        pool.checkInvariants()
    }

    /// Every jemalloc-backed pool creates an arena and destroys it when it goes; many
    /// pools in a row must not run out of arenas.
    @Test func arenasAreGivenBack() throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        for _ in 0..<300 {
            let pool = try PagePool(pageBytes: 4096, slabPages: 2, budget: budget)
            _ = try #require(pool.allocate())
        }
        #expect(budget.used == 0)
    }

    @Test func pageSizeRoundsUpToSixtyFour() throws {
        let budget = MemoryBudget(limitBytes: 1 << 20)
        #expect(try PagePool(pageBytes: 1, slabPages: 1, budget: budget).pageBytes == 64)
        #expect(try PagePool(pageBytes: 64, slabPages: 1, budget: budget).pageBytes == 64)
        #expect(try PagePool(pageBytes: 65, slabPages: 1, budget: budget).pageBytes == 128)
    }

    @Test func budgetSmallerThanASlabGivesNoPages() throws {
        let budget = MemoryBudget(limitBytes: 4096)
        let pool = try PagePool(pageBytes: 4096, slabPages: 4, backing: .anonymousMap, budget: budget)
        #expect(pool.maxSlabs == 0)
        #expect(pool.allocate() == nil)
        #expect(budget.used == 0)
    }

    @Test func doubleFreeTraps() async {
        await #expect(processExitsWith: .failure) {
            let pool = try PagePool(pageBytes: 4096, slabPages: 4, budget: MemoryBudget(limitBytes: 1 << 20))
            let page = pool.allocate()!
            pool.free(page)
            pool.free(page)
        }
    }
}
