internal import CLZ4
import Synchronization

/// Compressed cold pages. `store` takes an xxHash64 of the original bytes, byte-shuffles
/// them (`ByteShuffle`, for elements of 2 bytes or more, when `shuffle` is on), compresses
/// with LZ4 and keeps the compressed bytes, charged to `.cold`. A page LZ4 cannot shrink is
/// kept as it is. `load` decompresses into the caller's buffer, reverses the shuffle and
/// verifies the checksum, so a corrupted page is reported, never handed back.
///
/// After warm-up (once a page as large as any later one has been stored) `load` and
/// `discard` allocate nothing: scratch grows only in `store`, which also allocates the
/// compressed bytes it keeps. Thread-safe: one lock serializes stores and loads; each
/// holds it for one page's compression or decompression.
public final class ColdStore: @unchecked Sendable {
    public let budget: MemoryBudget
    /// Whether elements of 2 bytes or more are byte-shuffled before LZ4.
    public let shuffle: Bool

    private let state: Mutex<State>

    struct Entry {
        /// The kept bytes, nil while the slot is empty.
        var data: UnsafeMutableRawPointer?
        /// Bytes at `data`.
        var storedBytes = 0
        /// Bytes of the original page.
        var rawBytes = 0
        var elementSize = 1
        /// xxHash64 of the original bytes.
        var checksum: UInt64 = 0
        /// Shuffled before compression.
        var shuffled = false
        /// Kept uncompressed (LZ4 could not shrink it).
        var verbatim = false
        /// Bumped each time the slot is emptied.
        var generation: UInt8 = 0
    }

    struct State: ~Copyable {
        var entries: [Entry] = []
        /// Empty slots of `entries`; capacity reserved for all of them, so discards never grow it.
        var freeSlots: [Int] = []
        /// Shuffled bytes of the page being stored or loaded.
        var planes = ScratchBuffer()
        /// LZ4 output of the page being stored (`LZ4_compressBound` bytes).
        var compressed = ScratchBuffer()
        var pages = 0
        var rawBytes = 0
        var storedBytes = 0
        var verbatimPages = 0
        var compressions = 0
        var decompressions = 0
        var corruptionsDetected = 0
        /// Scratch bytes charged to `.pools`.
        var scratchBytes = 0
    }

    /// The most pages held at once (24-bit slots).
    public static let maxPages = 1 << 24
    /// The largest page (LZ4's input limit).
    public static let maxPageBytes = Int(LZ4_MAX_INPUT_SIZE)

    /// - Parameters:
    ///   - budget: charged for compressed bytes (`.cold`) and scratch (`.pools`).
    ///   - shuffle: byte-shuffle elements of 2 bytes or more before LZ4.
    /// - Parameter pageBytes: the page size that will be stored, when known: its scratch is
    ///   then reserved (and charged to `.pools`) now, at start-up, never while under pressure.
    public init(budget: MemoryBudget, shuffle: Bool = true, pageBytes: Int? = nil) {
        self.budget = budget
        self.shuffle = shuffle
        self.state = Mutex(State())
        if let pageBytes {
            state.withLock { s in
                growScratch(&s, planes: shuffle ? pageBytes : 0, compressed: Int(LZ4_compressBound(Int32(pageBytes))))
            }
        }
    }

    deinit {
        state.withLock { s in
            for entry in s.entries { entry.data?.deallocate() }
            budget.release(s.storedBytes, from: .cold)
            budget.release(s.scratchBytes, from: .pools)
        }
    }

    /// Compresses a page of `bytes` bytes at `source`, made of `elementSize`-byte elements.
    ///
    /// - Throws: `.budgetExceeded` when the compressed bytes do not fit the budget; then
    ///   nothing is kept.
    public func store(_ source: UnsafeRawPointer, bytes: Int, elementSize: Int) throws(ColdStoreError) -> ColdPageID {
        precondition(bytes > 0 && bytes <= Self.maxPageBytes, "a cold page holds 1...\(Self.maxPageBytes) bytes, not \(bytes)")
        precondition(elementSize >= 1, "elements have at least one byte")
        return try state.withLock { (s: inout State) throws(ColdStoreError) -> ColdPageID in
            let checksum = XXHash64.hash(source, count: bytes)
            let shuffled = shuffle && elementSize > 1
            var input = source
            if shuffled {
                growScratch(&s, planes: bytes)
                ByteShuffle.shuffle(source, into: s.planes.pointer!, count: bytes, elementSize: elementSize)
                input = UnsafeRawPointer(s.planes.pointer!)
            }
            let bound = Int(LZ4_compressBound(Int32(bytes)))
            growScratch(&s, compressed: bound)
            let compressedBytes = Int(LZ4_compress_default(
                input.assumingMemoryBound(to: CChar.self),
                s.compressed.pointer!.assumingMemoryBound(to: CChar.self),
                Int32(bytes), Int32(bound)))
            let verbatim = compressedBytes <= 0 || compressedBytes >= bytes
            let keptBytes = verbatim ? bytes : compressedBytes

            guard budget.tryCharge(keptBytes, to: .cold) else { throw .budgetExceeded(bytes: keptBytes) }
            let data = UnsafeMutableRawPointer.allocate(byteCount: keptBytes, alignment: 16)
            data.copyMemory(from: verbatim ? source : UnsafeRawPointer(s.compressed.pointer!), byteCount: keptBytes)

            let slot: Int
            if let free = s.freeSlots.popLast() {
                slot = free
            } else {
                precondition(s.entries.count < Self.maxPages, "a cold store holds at most \(Self.maxPages) pages")
                slot = s.entries.count
                s.entries.append(Entry())
                s.freeSlots.reserveCapacity(s.entries.capacity)
            }
            let generation = s.entries[slot].generation
            s.entries[slot] = Entry(data: data, storedBytes: keptBytes, rawBytes: bytes, elementSize: elementSize,
                                    checksum: checksum, shuffled: shuffled && !verbatim, verbatim: verbatim,
                                    generation: generation)
            s.pages += 1
            s.rawBytes += bytes
            s.storedBytes += keptBytes
            if verbatim { s.verbatimPages += 1 }
            s.compressions += 1
            return ColdPageID(slot: slot, generation: generation)
        }
    }

    /// Decompresses a page into `destination` (`rawBytes(of:)` long) and verifies its
    /// checksum. The page stays stored until discarded.
    ///
    /// - Throws: `.unknownPage`, or `.corrupted` (counted) when the bytes fail to
    ///   decompress or do not match the checksum; `destination` then holds garbage.
    /// - Complexity: O(page bytes); allocation-free.
    public func load(_ page: ColdPageID, into destination: UnsafeMutableRawPointer) throws(ColdStoreError) {
        try state.withLock { (s: inout State) throws(ColdStoreError) in
            guard let entry = Self.entry(page, in: s) else { throw .unknownPage(page) }
            let data = UnsafeRawPointer(entry.data!)
            var intact = true
            if entry.verbatim {
                destination.copyMemory(from: data, byteCount: entry.rawBytes)
            } else {
                let target = entry.shuffled ? s.planes.pointer! : destination
                let produced = LZ4_decompress_safe(
                    data.assumingMemoryBound(to: CChar.self), target.assumingMemoryBound(to: CChar.self),
                    Int32(entry.storedBytes), Int32(entry.rawBytes))
                intact = Int(produced) == entry.rawBytes
                if intact && entry.shuffled {
                    ByteShuffle.unshuffle(target, into: destination, count: entry.rawBytes, elementSize: entry.elementSize)
                }
            }
            if intact { intact = XXHash64.hash(destination, count: entry.rawBytes) == entry.checksum }
            guard intact else {
                s.corruptionsDetected += 1
                throw .corrupted(page)
            }
            s.decompressions += 1
        }
    }

    /// Drops a page and releases its bytes. Returns false (and does nothing) for a page
    /// that is not stored.
    ///
    /// - Complexity: O(1), allocation-free.
    @discardableResult
    public func discard(_ page: ColdPageID) -> Bool {
        state.withLock { s in
            guard let entry = Self.entry(page, in: s) else { return false }
            entry.data!.deallocate()
            s.entries[page.slot] = Entry(generation: entry.generation &+ 1)
            s.freeSlots.append(page.slot)
            s.pages -= 1
            s.rawBytes -= entry.rawBytes
            s.storedBytes -= entry.storedBytes
            if entry.verbatim { s.verbatimPages -= 1 }
            budget.release(entry.storedBytes, from: .cold)
            return true
        }
    }

    /// Bytes of the original page (what `load` writes), or nil when it is not stored.
    public func rawBytes(of page: ColdPageID) -> Int? {
        state.withLock { s in Self.entry(page, in: s)?.rawBytes }
    }

    /// Bytes kept for the page (charged to `.cold`), or nil when it is not stored.
    public func storedBytes(of page: ColdPageID) -> Int? {
        state.withLock { s in Self.entry(page, in: s)?.storedBytes }
    }

    /// Counts at this moment.
    public var statistics: ColdStoreStatistics {
        state.withLock { s in
            ColdStoreStatistics(
                pages: s.pages, rawBytes: s.rawBytes, compressedBytes: s.storedBytes,
                compressions: s.compressions, decompressions: s.decompressions,
                corruptionsDetected: s.corruptionsDetected, incompressiblePages: s.verbatimPages)
        }
    }

    /// Test hook: flips every bit of one byte of a stored page's kept bytes (at `offset`
    /// modulo their length).
    public func corruptForTesting(_ page: ColdPageID, at offset: Int) {
        state.withLock { s in
            guard let entry = Self.entry(page, in: s) else { preconditionFailure("\(page) is not stored") }
            let byte = entry.data! + (offset % entry.storedBytes + entry.storedBytes) % entry.storedBytes
            byte.storeBytes(of: ~byte.load(as: UInt8.self), as: UInt8.self)
        }
    }

    /// Checks the store's bookkeeping against itself; traps on the first inconsistency.
    /// Meant for debug builds and tests.
    ///
    /// - Complexity: O(pages).
    public func checkInvariants() {
        state.withLock { s in
            var pages = 0, raw = 0, stored = 0, verbatim = 0, largestShuffled = 0
            for entry in s.entries where entry.data != nil {
                pages += 1
                raw += entry.rawBytes
                stored += entry.storedBytes
                if entry.shuffled { largestShuffled = max(largestShuffled, entry.rawBytes) }
                if entry.verbatim {
                    verbatim += 1
                    precondition(entry.storedBytes == entry.rawBytes && !entry.shuffled, "verbatim page is transformed")
                } else {
                    precondition(entry.storedBytes < entry.rawBytes, "compressed page is not smaller")
                }
            }
            precondition(pages == s.pages && raw == s.rawBytes && stored == s.storedBytes && verbatim == s.verbatimPages,
                         "totals do not match the pages")
            precondition(s.freeSlots.count + pages == s.entries.count, "slots are lost")
            precondition(Set(s.freeSlots).count == s.freeSlots.count, "a slot is free twice")
            precondition(s.freeSlots.allSatisfy { s.entries[$0].data == nil }, "a free slot holds a page")
            precondition(s.freeSlots.capacity >= s.entries.count, "discard may grow the free list")
            precondition(s.planes.bytes >= largestShuffled, "load may need more scratch")
            precondition(s.planes.bytes + s.compressed.bytes == s.scratchBytes, "scratch is not charged")
        }
    }

    private static func entry(_ page: ColdPageID, in s: borrowing State) -> Entry? {
        guard page.slot < s.entries.count else { return nil }
        let entry = s.entries[page.slot]
        guard entry.data != nil, entry.generation == page.generation else { return nil }
        return entry
    }

    private func growScratch(_ s: inout State, planes: Int = 0, compressed: Int = 0) {
        let added = s.planes.reserve(planes) + s.compressed.reserve(compressed)
        if added > 0 {
            budget.charge(added, to: .pools)
            s.scratchBytes += added
        }
    }
}
