import Memory
import StrataRuntime

/// The paged KV cache: each sequence's K and V live in fixed-size blocks (one page holds
/// `blockTokens` tokens of every layer), found through the sequence's block table.
///
/// - Blocks are reference-counted: a forked sequence or a reused prompt prefix shares them,
///   and writing into a shared block copies it first (copy-on-write).
/// - Full blocks are indexed by a hash of their token ids and their parent's hash, so a new
///   sequence whose prompt starts the same way reuses them instead of recomputing.
///   Unreferenced indexed blocks stay cached, least recently used first out.
/// - A block can be cold: its page compressed into the `ColdStore` and returned to the pool,
///   decompressed (checksum-verified) into a fresh page when its sequence runs again.
/// - A model mixing full-attention and sliding-window layers (`KVLayerPlan`) gives each block
///   a second page from `windowPool` for its sliding layers. Once a block has left the window
///   of the sequence holding it, that page is released: the sequence keeps only the full
///   layers' KV of old positions. A prefix is reused only as far as the window pages it needs
///   exist.
///
/// Not thread-safe: one engine thread owns it. Steady-state use allocates nothing (every
/// table is sized at start-up).
public final class PagedKVCache {
    public let layout: KVPageLayout
    public let maxSequences: Int
    /// Tokens one sequence may hold.
    public let maxTokensPerSequence: Int
    public let prefixCaching: Bool
    public var blockTokens: Int { layout.blockTokens }
    public let pool: PagePool
    public let coldStore: ColdStore
    /// Hears of host reads and writes of whole pages when part of each page is kept elsewhere
    /// (the offloaded layers' KV on a GPU); nil otherwise.
    public var mirror: (any KVPageMirror)?
    /// Which layers live in `layout`'s pages and which in the window pages.
    public let plan: KVLayerPlan
    /// The window pages' layout and pool, when the plan has them.
    public let windowLayout: KVPageLayout?
    public let windowPool: PagePool?

    struct Block {
        var page: PageID?
        var cold: ColdPageID?
        /// The sliding layers' page (hot or cold), when the plan has window pages.
        var windowPage: PageID?
        var windowCold: ColdPageID?
        /// The window page was released: every sequence holding the block had moved past it.
        var windowReleased = false
        var refs: Int32 = 0
        /// Hash of the prefix up to and including this block, once it is full.
        var chainHash: UInt64 = 0
        /// Whether `prefixIndex` points at this block.
        var indexed = false
        var lruPrev: Int32 = -1
        var lruNext: Int32 = -1
        var inLRU = false
    }

    struct Sequence {
        var live = false
        /// Block ids in position order.
        var table: [Int32] = []
        /// Tokens whose KV is in the cache, in order.
        var tokens: [TokenID] = []
        /// Blocks below this index have been considered for window-page release.
        var windowFloor = 0
    }

    private var blocks: [Block] = []
    private var freeBlockIDs: [Int32] = []
    /// [blocks][blockTokens] token ids of each block, to verify prefix matches.
    private var blockTokenIDs: [TokenID] = []
    private var prefixIndex: [UInt64: Int32] = [:]
    private var lruHead: Int32 = -1
    private var lruTail: Int32 = -1
    /// Blocks in the LRU: unreferenced full blocks kept for prefix reuse (hot or cold).
    public private(set) var cachedBlockCount = 0
    /// The most blocks the LRU keeps; the least recently used go first past it. Without a
    /// memory budget nothing else bounds the prefix cache (the budget's pressure ladder does
    /// otherwise).
    public var maxCachedBlocks = Int.max
    private var sequences: [Sequence]
    private var freeSequenceSlots: [Int32]
    private var counters = KVCacheStatistics()

    /// A cache whose pages come from `pool` (`pool.pageBytes` must hold `layout.pageBytes`); with
    /// a `plan` that has window pages, `layout` holds its full layers and `windowPool` pages hold
    /// its sliding ones.
    public init(layout: KVPageLayout, pool: PagePool, coldStore: ColdStore, maxSequences: Int,
                maxTokensPerSequence: Int, prefixCaching: Bool = true, expectedBlocks: Int = 1024,
                plan: KVLayerPlan? = nil, windowPool: PagePool? = nil) {
        precondition(pool.pageBytes >= layout.pageBytes, "pages of \(pool.pageBytes) bytes cannot hold \(layout.pageBytes)")
        precondition(maxSequences >= 1 && maxTokensPerSequence >= 1)
        let plan = plan ?? KVLayerPlan(windows: [Int](repeating: 0, count: layout.layers))
        precondition(plan.fullLayers == layout.layers, "the plan puts \(plan.fullLayers) layers in pages of \(layout.layers)")
        self.plan = plan
        if plan.hasWindowPages {
            let w = KVPageLayout(layers: plan.windowLayers, blockTokens: layout.blockTokens, kvDim: layout.kvDim, dtype: layout.dtype)
            guard let windowPool else { preconditionFailure("a plan with window pages needs their pool") }
            precondition(windowPool.pageBytes >= w.pageBytes, "window pages of \(windowPool.pageBytes) bytes cannot hold \(w.pageBytes)")
            windowLayout = w
            self.windowPool = windowPool
        } else {
            windowLayout = nil
            self.windowPool = nil
        }
        self.layout = layout
        self.pool = pool
        self.coldStore = coldStore
        self.maxSequences = maxSequences
        self.maxTokensPerSequence = maxTokensPerSequence
        self.prefixCaching = prefixCaching
        let tableCapacity = (maxTokensPerSequence + layout.blockTokens - 1) / layout.blockTokens
        // Each slot gets its own storage, reserved once.
        sequences = (0..<maxSequences).map { _ in
            var s = Sequence()
            s.table.reserveCapacity(tableCapacity)
            s.tokens.reserveCapacity(maxTokensPerSequence)
            return s
        }
        freeSequenceSlots = (0..<Int32(maxSequences)).reversed()
        let blockCapacity = max(expectedBlocks, maxSequences * tableCapacity)
        blocks.reserveCapacity(blockCapacity)
        freeBlockIDs.reserveCapacity(blockCapacity)
        blockTokenIDs.reserveCapacity(blockCapacity * layout.blockTokens)
        prefixIndex.reserveCapacity(blockCapacity)
        counters.bytesPerToken = bytesPerToken
        counters.pageBytes = layout.pageBytes + (windowLayout?.pageBytes ?? 0)
    }

    /// Bytes of K and V one token occupies in every layer while it is in every window.
    public var bytesPerToken: Int { layout.bytesPerToken + (windowLayout?.bytesPerToken ?? 0) }

    /// Bytes per token of the full-attention layers (all layers without window pages), and of the
    /// sliding-window layers while in their window (0 without window pages).
    public var bytesPerTokenByKind: (full: Int, window: Int) { (layout.bytesPerToken, windowLayout?.bytesPerToken ?? 0) }

    /// Most blocks one sequence can need.
    public var maxBlocksPerSequence: Int { (maxTokensPerSequence + blockTokens - 1) / blockTokens }

    // MARK: - Sequences

    /// Starts a sequence for `prompt`, reusing cached full blocks of its prefix. Returns the
    /// sequence and how many prompt tokens already have KV (always fewer than the prompt, so
    /// the caller still evaluates at least the last token).
    public func createSequence(prompt: [TokenID]) throws(KVCacheError) -> (SequenceID, reusedTokens: Int) {
        guard let slot = freeSequenceSlots.popLast() else { throw .tooManySequences(limit: maxSequences) }
        sequences[Int(slot)].live = true
        let id = SequenceID(raw: slot)
        guard prefixCaching, prompt.count > 1 else { return (id, 0) }
        let bt = blockTokens
        var parent: UInt64 = 0
        for b in 0..<((prompt.count - 1) / bt) {
            let hash = prompt.withUnsafeBufferPointer {
                PrefixHash.of(parent: parent, tokens: UnsafeBufferPointer(rebasing: $0[(b * bt)..<((b + 1) * bt)]))
            }
            guard let block = prefixIndex[hash], tokensMatch(block, prompt, from: b * bt) else { break }
            // Retained first: making it hot may evict cached blocks, and it must not be one of them.
            retain(block)
            if blocks[Int(block)].page == nil {
                do {
                    try makeBlockHot(block)
                } catch {
                    if error == .corrupted(validTokens: 0) { unindex(block) }
                    releaseBlock(block)
                    break
                }
            }
            sequences[Int(slot)].table.append(block)
            sequences[Int(slot)].tokens.append(contentsOf: prompt[(b * bt)..<((b + 1) * bt)])
            counters.prefixHits += 1
            parent = hash
        }
        // The first new token needs the window pages of the positions before it in its window.
        var reuse = sequences[Int(slot)].table.count
        while reuse > 0, !hasWindowPages(Int(slot), length: reuse * bt) { reuse -= 1 }
        while sequences[Int(slot)].table.count > reuse {
            releaseBlock(sequences[Int(slot)].table.removeLast())
            sequences[Int(slot)].tokens.removeLast(bt)
            counters.prefixHits -= 1
        }
        return (id, sequences[Int(slot)].tokens.count)
    }

    /// Whether the window pages a sequence of slot `s` cut to `length` tokens needs for its next
    /// token are all there (always, without window pages).
    private func hasWindowPages(_ s: Int, length: Int) -> Bool {
        guard windowPool != nil, length > 0 else { return true }
        let first = max(0, length + 1 - plan.window) / blockTokens, last = (length - 1) / blockTokens
        guard first <= last else { return true }
        for b in first...last where blocks[Int(sequences[s].table[b])].windowReleased { return false }
        return true
    }

    /// A new sequence sharing every block of `source` (for n > 1 sampling or a shared prompt).
    public func fork(_ source: SequenceID) throws(KVCacheError) -> SequenceID {
        guard let slot = freeSequenceSlots.popLast() else { throw .tooManySequences(limit: maxSequences) }
        let s = Int(source.raw)
        precondition(sequences[s].live, "fork of a released sequence")
        sequences[Int(slot)].live = true
        for block in sequences[s].table {
            retain(block)
            sequences[Int(slot)].table.append(block)
        }
        sequences[Int(slot)].tokens.append(contentsOf: sequences[s].tokens)
        sequences[Int(slot)].windowFloor = sequences[s].windowFloor
        // A partial last block is copied on its first write; the full ones stay shared.
        counters.forkSharedBlocks += sequences[s].tokens.count / blockTokens
        return SequenceID(raw: slot)
    }

    /// Ends a sequence: its blocks are freed, or kept cached when they are full and indexed.
    public func release(_ sequence: SequenceID) {
        let s = Int(sequence.raw)
        precondition(sequences[s].live, "double release of \(sequence)")
        var i = 0
        while i < sequences[s].table.count {
            releaseBlock(sequences[s].table[i])
            i += 1
        }
        sequences[s].table.removeAll(keepingCapacity: true)
        sequences[s].tokens.removeAll(keepingCapacity: true)
        sequences[s].windowFloor = 0
        sequences[s].live = false
        freeSequenceSlots.append(sequence.raw)
    }

    /// Tokens of `sequence` whose KV is cached.
    public func length(of sequence: SequenceID) -> Int { sequences[Int(sequence.raw)].tokens.count }

    /// The tokens whose KV is cached, in order.
    public func tokens(of sequence: SequenceID) -> ArraySlice<TokenID> { sequences[Int(sequence.raw)].tokens[...] }

    /// Whether every block of the sequence is in RAM.
    public func isHot(_ sequence: SequenceID) -> Bool {
        sequences[Int(sequence.raw)].table.allSatisfy { blocks[Int($0)].page != nil && blocks[Int($0)].windowCold == nil }
    }

    /// Makes room for `count` more tokens at the end of `sequence`: allocates blocks and
    /// copies a shared partial last block before it is written. The sequence must be hot.
    public func reserve(_ sequence: SequenceID, count: Int) throws(KVCacheError) {
        let s = Int(sequence.raw)
        let length = sequences[s].tokens.count
        guard length + count <= maxTokensPerSequence else {
            throw .sequenceFull(length: length, adding: count, capacity: maxTokensPerSequence)
        }
        let bt = blockTokens
        // Index arithmetic rather than `.last`: unspecialized (debug) collection methods allocate.
        if length % bt != 0, !sequences[s].table.isEmpty {
            let last = sequences[s].table[sequences[s].table.count - 1]
            if blocks[Int(last)].refs > 1 {
                let copy = try newBlock()
                copyPage(pool.address(of: blocks[Int(last)].page!), to: pool.address(of: blocks[Int(copy)].page!),
                         bytes: layout.pageBytes)
                if let windowPool, let windowLayout {
                    // The last block is in every window: its window page exists.
                    copyPage(windowPool.address(of: blocks[Int(last)].windowPage!),
                             to: windowPool.address(of: blocks[Int(copy)].windowPage!), bytes: windowLayout.pageBytes)
                }
                releaseBlock(last)
                sequences[s].table[sequences[s].table.count - 1] = copy
                counters.copiesOnWrite += 1
            } else if blocks[Int(last)].indexed {
                // A truncated block must not keep answering for the prefix it no longer holds.
                unindex(last)
            }
        }
        let needed = (length + count + bt - 1) / bt
        while sequences[s].table.count < needed {
            sequences[s].table.append(try newBlock())
        }
    }

    /// Writes the base address of each page of `sequence` to `pages` (room for
    /// `maxBlocksPerSequence`), and of each window page to `windowPages` when the plan has them
    /// (a released one as an address that is never valid); returns the number of pages. The
    /// sequence must be hot.
    public func pageAddresses(_ sequence: SequenceID, into pages: UnsafeMutablePointer<UnsafeMutableRawPointer>,
                              windowPages: UnsafeMutablePointer<UnsafeMutableRawPointer>? = nil) -> Int {
        let table = sequences[Int(sequence.raw)].table
        for i in 0..<table.count {
            guard let page = blocks[Int(table[i])].page else { preconditionFailure("\(sequence) is not hot") }
            pages[i] = pool.address(of: page)
        }
        if let windowPages, let windowPool {
            for i in 0..<table.count {
                if let page = blocks[Int(table[i])].windowPage {
                    windowPages[i] = windowPool.address(of: page)
                } else {
                    precondition(blocks[Int(table[i])].windowReleased, "\(sequence) is not hot")
                    windowPages[i] = PagedKVCache.releasedPage
                }
            }
        }
        return table.count
    }

    /// The address a released window page has in page tables: never mapped, so a read of it
    /// faults instead of reading another sequence's KV.
    static var releasedPage: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 0x10)! }

    /// Records that the KV of `tokens` (appended after the sequence's current length) has been
    /// written; full blocks become reusable prefixes.
    public func commit(_ sequence: SequenceID, tokens: UnsafeBufferPointer<TokenID>) {
        let s = Int(sequence.raw)
        let bt = blockTokens
        precondition(sequences[s].tokens.count + tokens.count <= sequences[s].table.count * bt, "commit beyond reserved slots")
        for t in tokens {
            sequences[s].tokens.append(t)
            let length = sequences[s].tokens.count
            if length % bt == 0 { sealBlock(s, index: length / bt - 1) }
        }
        releaseWindowPages(s)
    }

    /// Releases the window pages of the sequence's blocks that lie wholly before its next
    /// token's window, unless another sequence shares the block.
    private func releaseWindowPages(_ s: Int) {
        guard let windowPool else { return }
        let passed = max(0, sequences[s].tokens.count + 1 - plan.window) / blockTokens
        while sequences[s].windowFloor < passed {
            let block = Int(sequences[s].table[sequences[s].windowFloor])
            if blocks[block].refs == 1, let page = blocks[block].windowPage {
                windowPool.free(page)
                blocks[block].windowPage = nil
                blocks[block].windowReleased = true
                counters.windowPagesReleased += 1
            }
            sequences[s].windowFloor += 1
        }
    }

    /// Forgets the sequence's KV from `newLength` on (blocks past it are released); returns the
    /// length kept: `newLength`, or 0 when window pages the next token would need were
    /// already released (everything must then be recomputed).
    @discardableResult
    public func truncate(_ sequence: SequenceID, to newLength: Int) -> Int {
        let s = Int(sequence.raw)
        precondition(newLength >= 0 && newLength <= sequences[s].tokens.count, "truncate beyond the sequence")
        let kept = hasWindowPages(s, length: newLength) ? newLength : 0
        let keep = (kept + blockTokens - 1) / blockTokens
        while sequences[s].table.count > keep {
            releaseBlock(sequences[s].table.removeLast())
        }
        sequences[s].tokens.removeLast(sequences[s].tokens.count - kept)
        sequences[s].windowFloor = min(sequences[s].windowFloor, keep)
        return kept
    }

    // MARK: - Cold tier and eviction

    /// Compresses the blocks only `sequence` uses into the cold store, returning their pages
    /// to the pool. Returns the number of blocks compressed.
    @discardableResult
    public func compress(_ sequence: SequenceID) -> Int {
        var done = 0
        for block in sequences[Int(sequence.raw)].table where blocks[Int(block)].refs == 1 {
            guard blocks[Int(block)].page != nil else { continue }
            guard compressBlock(block) else { break }
            done += 1
        }
        return done
    }

    /// Whether every block only `sequence` uses is compressed (shared blocks stay hot for
    /// their other users).
    public func isCold(_ sequence: SequenceID) -> Bool {
        let table = sequences[Int(sequence.raw)].table
        var i = 0
        while i < table.count {
            let b = blocks[Int(table[i])]
            if b.refs == 1, b.page != nil { return false }
            i += 1
        }
        return true
    }

    /// Compresses up to `limit` unreferenced cached blocks, oldest first; returns how many.
    @discardableResult
    public func compressCachedBlocks(limit: Int) -> Int {
        var done = 0
        var b = lruHead
        while b >= 0, done < limit {
            let next = blocks[Int(b)].lruNext
            if blocks[Int(b)].page != nil {
                guard compressBlock(b) else { break }
                done += 1
            }
            b = next
        }
        return done
    }

    /// Decompresses every cold block of `sequence` into fresh pages. On a checksum failure the
    /// sequence is truncated to its valid prefix and `.corrupted(validTokens:)` tells the
    /// caller where to recompute from.
    public func makeHot(_ sequence: SequenceID) throws(KVCacheError) {
        let s = Int(sequence.raw)
        var i = 0
        while i < sequences[s].table.count {
            let block = sequences[s].table[i]
            if blocks[Int(block)].page == nil {
                do {
                    try makeBlockHot(block)
                } catch {
                    if case .corrupted = error {
                        // Never offer the damaged block as a prefix again.
                        unindex(block)
                        let valid = truncate(sequence, to: min(i * blockTokens, sequences[s].tokens.count))
                        throw .corrupted(validTokens: valid)
                    }
                    throw error
                }
            }
            i += 1
        }
    }

    /// Frees up to `limit` unreferenced cached blocks, least recently used first; returns how many.
    @discardableResult
    public func evictCachedBlocks(limit: Int) -> Int {
        var done = 0
        while done < limit, lruHead >= 0 {
            dropIndexedBlock(lruHead)
            counters.evictions += 1
            done += 1
        }
        return done
    }

    /// The compressed pages of `sequence`'s cold blocks, in position order (for diagnostics
    /// and fault-injection tests).
    public func coldPages(of sequence: SequenceID) -> [ColdPageID] {
        sequences[Int(sequence.raw)].table.compactMap { blocks[Int($0)].cold }
    }

    /// Counters and the current number of hot, cold and cached blocks.
    public var statistics: KVCacheStatistics {
        var s = counters
        for b in blocks where b.refs > 0 || b.inLRU {
            if b.page != nil { s.hotBlocks += 1 } else if b.cold != nil { s.coldBlocks += 1 }
            if b.windowPage != nil || b.windowCold != nil { s.windowPages += 1 }
            if b.inLRU { s.cachedBlocks += 1 }
        }
        s.tokens = sequences.reduce(0) { $0 + ($1.live ? $1.tokens.count : 0) }
        return s
    }

    // MARK: - Inspection (for `checkInvariants`)

    var blockCount: Int { blocks.count }

    func forEachSequence(_ body: ([Int32], Int) -> Void) {
        for s in sequences where s.live { body(s.table, s.tokens.count) }
    }

    func forEachBlock(_ body: (Int32, Int32, Bool, Bool, Bool, Bool) -> Void) {
        var free = Set(freeBlockIDs)
        for i in 0..<blocks.count {
            if free.remove(Int32(i)) != nil { continue }
            let b = blocks[i]
            body(Int32(i), b.refs, b.page != nil, b.cold != nil, b.indexed, b.inLRU)
        }
    }

    /// Traps unless every held block has its window page (hot with the block, cold with it) or
    /// released it, and no block has a window page without window pages in the plan.
    func checkWindowPages() {
        var free = Set(freeBlockIDs)
        for i in 0..<blocks.count where free.remove(Int32(i)) == nil {
            let b = blocks[i]
            guard b.refs > 0 || b.inLRU else { continue }
            guard windowPool != nil else {
                precondition(b.windowPage == nil && b.windowCold == nil && !b.windowReleased, "block \(i) has a window page without window pages")
                continue
            }
            let held = (b.windowPage != nil ? 1 : 0) + (b.windowCold != nil ? 1 : 0) + (b.windowReleased ? 1 : 0)
            precondition(held == 1, "block \(i): window page hot \(b.windowPage != nil), cold \(b.windowCold != nil), released \(b.windowReleased)")
            precondition(b.windowPage == nil || b.page != nil, "block \(i): window page hot while the block is cold")
            precondition(b.windowCold == nil || b.cold != nil, "block \(i): window page cold while the block is hot")
        }
    }

    func checkPrefixIndex() {
        for (hash, block) in prefixIndex {
            precondition(blocks[Int(block)].indexed && blocks[Int(block)].chainHash == hash, "prefix index entry for block \(block) is stale")
        }
        var count = 0
        var b = lruHead
        while b >= 0 {
            precondition(blocks[Int(b)].inLRU, "block \(b) linked in the LRU but not marked")
            count += 1
            b = blocks[Int(b)].lruNext
        }
        precondition(count == blocks.filter(\.inLRU).count, "LRU list and marks disagree")
    }

    // MARK: - Blocks

    private func tokensMatch(_ block: Int32, _ prompt: [TokenID], from start: Int) -> Bool {
        let base = Int(block) * blockTokens
        for i in 0..<blockTokens where blockTokenIDs[base + i] != prompt[start + i] { return false }
        return true
    }

    /// A page for a new block from `from` (the pool, or the window pool). When the pool has none,
    /// cached blocks make room the ladder's way: the least recently used hot one goes to the cold
    /// tier (its page freed) while the budget holds its compressed bytes, else the least recently
    /// used one is dropped.
    private func allocatePage(from: PagePool? = nil) -> PageID? {
        let source = from ?? pool
        while true {
            if let page = source.allocate() { return page }
            guard lruHead >= 0 else { return nil }
            if compressOldestHotCachedBlock() { continue }
            dropIndexedBlock(lruHead)
            counters.evictions += 1
        }
    }

    /// Compresses the least recently used hot cached block among the first few of the LRU;
    /// false when there is none or the budget cannot hold it compressed.
    private func compressOldestHotCachedBlock() -> Bool {
        var b = lruHead, looked = 0
        // Cold blocks gather at the LRU's head: look past a bounded number of them.
        while b >= 0, looked < 64 {
            if blocks[Int(b)].page != nil { return compressBlock(b) }
            b = blocks[Int(b)].lruNext
            looked += 1
        }
        return false
    }

    private func newBlock() throws(KVCacheError) -> Int32 {
        guard let page = allocatePage() else { throw .outOfPages(needed: 1) }
        var windowPage: PageID?
        if let windowPool {
            guard let w = allocatePage(from: windowPool) else {
                pool.free(page)
                throw .outOfPages(needed: 1)
            }
            windowPage = w
        }
        let id: Int32
        if let reused = freeBlockIDs.popLast() {
            id = reused
        } else {
            id = Int32(blocks.count)
            blocks.append(Block())
            for _ in 0..<blockTokens { blockTokenIDs.append(0) }
        }
        blocks[Int(id)] = Block(page: page, refs: 1)
        blocks[Int(id)].windowPage = windowPage
        return id
    }

    private func retain(_ block: Int32) {
        if blocks[Int(block)].inLRU { lruRemove(block) }
        blocks[Int(block)].refs += 1
    }

    private func releaseBlock(_ block: Int32) {
        blocks[Int(block)].refs -= 1
        precondition(blocks[Int(block)].refs >= 0, "block released more often than retained")
        guard blocks[Int(block)].refs == 0 else { return }
        if blocks[Int(block)].indexed {
            lruAppend(block)
            while cachedBlockCount > maxCachedBlocks, lruHead >= 0 {
                dropIndexedBlock(lruHead)
                counters.evictions += 1
            }
        } else {
            freeStorage(block)
        }
    }

    /// Seals the full block at `index` of sequence slot `s`: computes its chain hash and, when
    /// no equal block is indexed yet, makes it findable.
    private func sealBlock(_ s: Int, index: Int) {
        let block = sequences[s].table[index]
        let bt = blockTokens
        let parent = index == 0 ? 0 : blocks[Int(sequences[s].table[index - 1])].chainHash
        let hash = sequences[s].tokens.withUnsafeBufferPointer {
            PrefixHash.of(parent: parent, tokens: UnsafeBufferPointer(rebasing: $0[(index * bt)..<((index + 1) * bt)]))
        }
        blocks[Int(block)].chainHash = hash
        let base = Int(block) * bt
        for i in 0..<bt { blockTokenIDs[base + i] = sequences[s].tokens[index * bt + i] }
        // A block missing its window page gives way to a complete one for the same prefix.
        if let existing = prefixIndex[hash], existing != block, blocks[Int(existing)].windowReleased,
           !blocks[Int(block)].windowReleased {
            if blocks[Int(existing)].refs == 0 { dropIndexedBlock(existing) } else { unindex(existing) }
        }
        guard prefixCaching, !blocks[Int(block)].indexed, prefixIndex[hash] == nil else { return }
        prefixIndex[hash] = block
        blocks[Int(block)].indexed = true
    }

    private func unindex(_ block: Int32) {
        if prefixIndex[blocks[Int(block)].chainHash] == block {
            prefixIndex.removeValue(forKey: blocks[Int(block)].chainHash)
        }
        blocks[Int(block)].indexed = false
    }

    /// Removes an unreferenced cached block entirely.
    private func dropIndexedBlock(_ block: Int32) {
        if blocks[Int(block)].inLRU { lruRemove(block) }
        unindex(block)
        if blocks[Int(block)].refs == 0 { freeStorage(block) }
    }

    private func freeStorage(_ block: Int32) {
        if let page = blocks[Int(block)].page { pool.free(page) }
        if let cold = blocks[Int(block)].cold { coldStore.discard(cold) }
        if let page = blocks[Int(block)].windowPage { windowPool!.free(page) }
        if let cold = blocks[Int(block)].windowCold { coldStore.discard(cold) }
        blocks[Int(block)] = Block()
        freeBlockIDs.append(block)
    }

    /// Compresses the block's page (and its window page) into the cold store; false, changing
    /// nothing, when the store refuses.
    private func compressBlock(_ block: Int32) -> Bool {
        guard let page = blocks[Int(block)].page else { return true }
        let cold: ColdPageID
        var windowCold: ColdPageID?
        mirror?.pageWillBeRead(pool.address(of: page))
        if let windowPage = blocks[Int(block)].windowPage, let windowPool { mirror?.pageWillBeRead(windowPool.address(of: windowPage)) }
        do {
            cold = try coldStore.store(pool.address(of: page), bytes: layout.pageBytes, elementSize: layout.shuffleElementBytes)
        } catch {
            return false
        }
        if let windowPage = blocks[Int(block)].windowPage, let windowPool, let windowLayout {
            do {
                windowCold = try coldStore.store(windowPool.address(of: windowPage), bytes: windowLayout.pageBytes,
                                                 elementSize: windowLayout.shuffleElementBytes)
            } catch {
                coldStore.discard(cold)
                return false
            }
            windowPool.free(windowPage)
            blocks[Int(block)].windowPage = nil
            blocks[Int(block)].windowCold = windowCold
        }
        pool.free(page)
        blocks[Int(block)].page = nil
        blocks[Int(block)].cold = cold
        counters.compressions += 1
        return true
    }

    private func makeBlockHot(_ block: Int32) throws(KVCacheError) {
        guard let cold = blocks[Int(block)].cold else { return }
        guard let page = allocatePage() else { throw .outOfPages(needed: 1) }
        var windowPage: PageID?
        if let windowCold = blocks[Int(block)].windowCold, let windowPool {
            guard let w = allocatePage(from: windowPool) else {
                pool.free(page)
                throw .outOfPages(needed: 1)
            }
            windowPage = w
            do {
                try coldStore.load(windowCold, into: windowPool.address(of: w))
                mirror?.pageWasWritten(windowPool.address(of: w))
            } catch {
                windowPool.free(w)
                pool.free(page)
                try corrupted(block, error)
            }
        }
        do {
            try coldStore.load(cold, into: pool.address(of: page))
            mirror?.pageWasWritten(pool.address(of: page))
        } catch {
            pool.free(page)
            if let windowPage { windowPool!.free(windowPage) }
            try corrupted(block, error)
        }
        coldStore.discard(cold)
        blocks[Int(block)].cold = nil
        blocks[Int(block)].page = page
        if let windowPage {
            coldStore.discard(blocks[Int(block)].windowCold!)
            blocks[Int(block)].windowCold = nil
            blocks[Int(block)].windowPage = windowPage
        }
        counters.decompressions += 1
    }

    /// Copies a whole page on the host, keeping a mirror of part of it (device KV) consistent.
    private func copyPage(_ source: UnsafeMutableRawPointer, to destination: UnsafeMutableRawPointer, bytes: Int) {
        mirror?.pageWillBeRead(source)
        destination.copyMemory(from: source, byteCount: bytes)
        mirror?.pageWasWritten(destination)
    }

    /// A cold page failed to load: counts a corruption and throws it (any other failure means
    /// the block names a page the store does not hold, a bug).
    private func corrupted(_ block: Int32, _ error: ColdStoreError) throws(KVCacheError) -> Never {
        guard case .corrupted = error else { preconditionFailure("KV block \(block) names a cold page the store does not hold: \(error)") }
        counters.corruptions += 1
        throw .corrupted(validTokens: 0)
    }

    // MARK: - LRU of unreferenced cached blocks

    private func lruAppend(_ block: Int32) {
        blocks[Int(block)].lruPrev = lruTail
        blocks[Int(block)].lruNext = -1
        if lruTail >= 0 { blocks[Int(lruTail)].lruNext = block } else { lruHead = block }
        lruTail = block
        blocks[Int(block)].inLRU = true
        cachedBlockCount += 1
    }

    private func lruRemove(_ block: Int32) {
        let prev = blocks[Int(block)].lruPrev, next = blocks[Int(block)].lruNext
        if prev >= 0 { blocks[Int(prev)].lruNext = next } else { lruHead = next }
        if next >= 0 { blocks[Int(next)].lruPrev = prev } else { lruTail = prev }
        blocks[Int(block)].lruPrev = -1
        blocks[Int(block)].lruNext = -1
        blocks[Int(block)].inLRU = false
        cachedBlockCount -= 1
    }
}
