extension PagePool {
    /// Checks the pool's bookkeeping against itself; traps on the first inconsistency.
    /// Meant for debug builds and tests: it walks every page.
    ///
    /// - Complexity: O(pages).
    public func checkInvariants() {
        withStateForChecks { s, slabs in
            var hotBySlab = [Int32](repeating: 0, count: s.hotInSlab.count)
            for (page, hot) in s.pageIsHot.enumerated() where hot {
                let slot = page / pagesPerSlab
                precondition(s.hotInSlab[slot] != State.vacant, "hot page \(page) in a vacant slab")
                hotBySlab[slot] += 1
            }
            var liveSlabs = 0
            for slot in 0..<s.hotInSlab.count {
                if s.hotInSlab[slot] == State.vacant {
                    precondition(slabs[slot] == nil, "vacant slot \(slot) still has a slab")
                    precondition(s.vacantSlots.contains(slot), "vacant slot \(slot) is not listed")
                } else {
                    precondition(slabs[slot] != nil, "slot \(slot) has no slab")
                    precondition(hotBySlab[slot] == s.hotInSlab[slot], "slab \(slot) hot count is wrong")
                    liveSlabs += 1
                }
            }
            precondition(liveSlabs == s.slabCount, "slab count is wrong")
            precondition(s.hotPages == Int(hotBySlab.reduce(0, +)), "hot page count is wrong")
            var seen = [Bool](repeating: false, count: s.pageIsHot.count)
            for raw in s.freeList {
                let page = Int(raw)
                precondition(!s.pageIsHot[page], "hot page \(page) is on the free list")
                precondition(!seen[page], "page \(page) is on the free list twice")
                precondition(s.hotInSlab[page / pagesPerSlab] != State.vacant, "free page \(page) in a vacant slab")
                seen[page] = true
            }
            precondition(s.freeList.count + s.hotPages == s.slabCount * pagesPerSlab, "pages are lost")
            precondition(s.freeList.capacity >= s.hotInSlab.count * pagesPerSlab, "free list may grow")
        }
    }
}
