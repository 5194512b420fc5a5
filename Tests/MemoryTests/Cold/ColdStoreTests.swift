import Dispatch
import Memory
import Synchronization
import Testing
import TestSupport

/// Cold pages come back bit-exact, corruption is caught, the budget is honoured and a
/// load allocates nothing once warm.
@Suite struct ColdStoreTests {
    static let pageBytes = 64 << 10

    @Test(arguments: ColdPageFixture.allCases, [true, false])
    func roundTripIsBitExact(fixture: ColdPageFixture, shuffle: Bool) throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        let store = ColdStore(budget: budget, shuffle: shuffle)
        for (size, elementSize) in [(Self.pageBytes, fixture.elementSize), (4099, fixture.elementSize), (4096, 4), (4096, 2), (1, 4)] {
            let page = fixture.bytes(size, seed: UInt64(size))
            let id = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: size, elementSize: elementSize) }
            #expect(store.rawBytes(of: id) == size)
            var back = [UInt8](repeating: 0xCC, count: size)
            try back.withUnsafeMutableBytes { try store.load(id, into: $0.baseAddress!) }
            #expect(back == page, "\(fixture) \(size) bytes of \(elementSize)-byte elements")
            // A second load gives the same bytes: the page stays stored.
            back = [UInt8](repeating: 0, count: size)
            try back.withUnsafeMutableBytes { try store.load(id, into: $0.baseAddress!) }
            #expect(back == page)
        }
        let stats = store.statistics
        #expect(stats.pages == 5)
        #expect(stats.compressions == 5)
        #expect(stats.decompressions == 10)
        #expect(stats.corruptionsDetected == 0)
        #expect(stats.compressedBytes <= stats.rawBytes)
        #expect(budget.used(.cold) == stats.compressedBytes)
        store.checkInvariants()
    }

    @Test func compressionRatiosAreWhatTheDataAllows() throws {
        func ratio(_ fixture: ColdPageFixture, shuffle: Bool) throws -> Double {
            let store = ColdStore(budget: MemoryBudget(limitBytes: 64 << 20), shuffle: shuffle)
            let page = fixture.bytes(Self.pageBytes)
            _ = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: fixture.elementSize) }
            return store.statistics.ratio
        }
        #expect(try ratio(.allZero, shuffle: true) > 100)
        #expect(try ratio(.incompressible, shuffle: true) == 1, "kept as it is, never larger")
        // The shuffle is what lets LZ4 find anything in floats: plain LZ4 gets nothing.
        #expect(try ratio(.randomFloats, shuffle: false) == 1)
        #expect(try ratio(.randomFloats, shuffle: true) > 1.03)
        #expect(try ratio(.smoothFloats, shuffle: false) == 1)
        #expect(try ratio(.smoothFloats, shuffle: true) > 1.5)
        // Gaussian-like F16 has too little byte-level redundancy for LZ4: it must at
        // least never grow.
        #expect(try ratio(.f16Like, shuffle: true) >= 1)
    }

    @Test func incompressiblePageIsKeptVerbatim() throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        let store = ColdStore(budget: budget)
        let page = ColdPageFixture.incompressible.bytes(Self.pageBytes)
        let id = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: 4) }
        #expect(store.storedBytes(of: id) == Self.pageBytes)
        #expect(store.statistics.incompressiblePages == 1)
        #expect(budget.used(.cold) == Self.pageBytes)
    }

    @Test(arguments: [ColdPageFixture.randomFloats, .f16Like, .incompressible], [true, false])
    func flippedByteIsReportedAsCorrupted(fixture: ColdPageFixture, shuffle: Bool) throws {
        let store = ColdStore(budget: MemoryBudget(limitBytes: 64 << 20), shuffle: shuffle)
        let page = fixture.bytes(Self.pageBytes)
        var back = [UInt8](repeating: 0, count: page.count)
        var detected = 0
        for position in [0.0, 0.25, 0.5, 0.999] {
            let id = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: fixture.elementSize) }
            let stored = try #require(store.storedBytes(of: id))
            store.corruptForTesting(id, at: Int(Double(stored) * position))
            #expect(throws: ColdStoreError.corrupted(id)) {
                try back.withUnsafeMutableBytes { try store.load(id, into: $0.baseAddress!) }
            }
            detected += 1
            #expect(store.statistics.corruptionsDetected == detected)
            // Flipping the byte back restores the page: the data was only ever checked, not changed.
            store.corruptForTesting(id, at: Int(Double(stored) * position))
            try back.withUnsafeMutableBytes { try store.load(id, into: $0.baseAddress!) }
            #expect(back == page)
        }
        #expect(store.statistics.decompressions == 4)
    }

    @Test func budgetExceededKeepsNothing() throws {
        let budget = MemoryBudget(limitBytes: 8 << 20)
        let store = ColdStore(budget: budget)
        let page = ColdPageFixture.incompressible.bytes(Self.pageBytes)
        // Warm up: scratch grows to this page size and stays.
        let warm = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: 4) }
        store.discard(warm)
        let before = store.statistics
        #expect(budget.used(.cold) == 0)

        // Someone else holds all but a few bytes.
        let others = budget.limitBytes - budget.used - 1000
        #expect(budget.tryCharge(others, to: .hot))
        let counters = AllocatorStatistics.threadCounters()
        var refusal: ColdStoreError?
        let net = counters.allocated &- counters.deallocated
        page.withUnsafeBytes { bytes in
            do throws(ColdStoreError) {
                _ = try store.store(bytes.baseAddress!, bytes: bytes.count, elementSize: 4)
            } catch {
                refusal = error
            }
        }
        let leaked = (counters.allocated &- counters.deallocated) &- net
        #expect(refusal == .budgetExceeded(bytes: Self.pageBytes))
        #expect(leaked == 0, "a refused store must not leak heap")
        #expect(store.statistics == before)
        #expect(budget.used(.cold) == 0)
        store.checkInvariants()

        budget.release(others, from: .hot)
        let id = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: 4) }
        #expect(budget.used(.cold) == Self.pageBytes)
        store.discard(id)
    }

    /// Loading a cold page into a hot page is on the serving path: no heap once warm.
    @Test(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator)), arguments: [true, false])
    func loadAllocatesNothingAfterWarmUp(shuffle: Bool) throws {
        let store = ColdStore(budget: MemoryBudget(limitBytes: 64 << 20), shuffle: shuffle)
        var ids: [ColdPageID] = []
        for fixture in ColdPageFixture.allCases {
            let page = fixture.bytes(Self.pageBytes)
            ids.append(try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: fixture.elementSize) })
        }
        let destination = UnsafeMutableRawPointer.allocate(byteCount: Self.pageBytes, alignment: 64)
        defer { destination.deallocate() }
        var failures = 0
        func loadAll() {
            // Indexing, not `for id in ids`: a debug build's array iterator allocates.
            for i in 0..<ids.count {
                do { try store.load(ids[i], into: destination) } catch { failures += 1 }
            }
        }
        loadAll()
        let bytes = AllocatorStatistics.bytesAllocated { for _ in 0..<10 { loadAll() } }
        #expect(failures == 0)
        #expect(bytes == 0, "loads allocated \(bytes) heap bytes")
    }

    @Test func discardReleasesAndForgetsThePage() throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        let store = ColdStore(budget: budget)
        let page = ColdPageFixture.f16Like.bytes(4096)
        let a = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: 2) }
        #expect(store.discard(a))
        #expect(!store.discard(a), "a second discard does nothing")
        #expect(budget.used(.cold) == 0)
        #expect(store.statistics.pages == 0)
        var back = [UInt8](repeating: 0, count: page.count)
        #expect(throws: ColdStoreError.unknownPage(a)) {
            try back.withUnsafeMutableBytes { try store.load(a, into: $0.baseAddress!) }
        }
        // The slot is reused under a new generation: the old handle still names nothing.
        let b = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: 2) }
        #expect(b != a)
        #expect(store.rawBytes(of: a) == nil)
        #expect(throws: ColdStoreError.unknownPage(a)) {
            try back.withUnsafeMutableBytes { try store.load(a, into: $0.baseAddress!) }
        }
        #expect(throws: ColdStoreError.unknownPage(ColdPageID(raw: 12345))) {
            try back.withUnsafeMutableBytes { try store.load(ColdPageID(raw: 12345), into: $0.baseAddress!) }
        }
        store.checkInvariants()
    }

    @Test func deinitReleasesEverythingCharged() throws {
        let budget = MemoryBudget(limitBytes: 64 << 20)
        do {
            let store = ColdStore(budget: budget)
            for fixture in ColdPageFixture.allCases {
                let page = fixture.bytes(Self.pageBytes)
                _ = try page.withUnsafeBytes { try store.store($0.baseAddress!, bytes: $0.count, elementSize: fixture.elementSize) }
            }
            #expect(budget.used(.cold) > 0)
            #expect(budget.used(.pools) > 0, "scratch is charged to pools")
        }
        #expect(budget.used == 0)
    }

    @Test func concurrentStoresAndLoadsStayExact() throws {
        let budget = MemoryBudget(limitBytes: 256 << 20)
        let store = ColdStore(budget: budget)
        let pages = (0..<4).map { ColdPageFixture.allCases[$0].bytes(16 << 10, seed: UInt64($0)) }
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let page = pages[worker]
            var back = [UInt8](repeating: 0, count: page.count)
            for _ in 0..<50 {
                guard let id = try? page.withUnsafeBytes({ try store.store($0.baseAddress!, bytes: $0.count, elementSize: 4) }) else {
                    mismatches.withLock { $0 += 1 }
                    continue
                }
                do { try back.withUnsafeMutableBytes { try store.load(id, into: $0.baseAddress!) } } catch {
                    mismatches.withLock { $0 += 1 }
                }
                if back != page { mismatches.withLock { $0 += 1 } }
                store.discard(id)
            }
        }
        #expect(mismatches.withLock { $0 } == 0)
        #expect(store.statistics.pages == 0)
        #expect(budget.used(.cold) == 0)
        store.checkInvariants()
    }
}
