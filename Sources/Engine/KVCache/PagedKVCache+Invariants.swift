extension PagedKVCache {
    /// Traps unless the bookkeeping is consistent: every block's reference count equals the
    /// number of block tables naming it; live blocks are hot or cold, never both; unreferenced
    /// blocks are exactly the cached (indexed, LRU) ones; the prefix index names indexed
    /// blocks; tables cover their tokens. For tests and debug builds.
    public func checkInvariants() {
        var references = [Int32](repeating: 0, count: blockCount)
        forEachSequence { table, tokens in
            precondition(table.count * blockTokens >= tokens, "block table of \(table.count) blocks for \(tokens) tokens")
            for b in table { references[Int(b)] += 1 }
        }
        var inLRUCount = 0
        forEachBlock { id, refs, hot, cold, indexed, inLRU in
            if inLRU { inLRUCount += 1 }
            precondition(refs == references[Int(id)], "block \(id): refs \(refs), named by \(references[Int(id)]) tables")
            if refs > 0 || inLRU {
                precondition(hot != cold, "block \(id) must be exactly one of hot or cold")
            }
            precondition(inLRU == (refs == 0 && indexed), "block \(id): LRU membership \(inLRU), refs \(refs), indexed \(indexed)")
        }
        precondition(inLRUCount == cachedBlockCount, "\(inLRUCount) blocks in the LRU, counted \(cachedBlockCount)")
        checkPrefixIndex()
        checkWindowPages()
    }
}
