/// Counts of a `PagePool` at one moment.
public struct PagePoolStatistics: Sendable, Equatable {
    /// Pages handed out and not yet freed.
    public let hotPages: Int
    /// Pages on the free list.
    public let freePages: Int
    /// Slabs held now.
    public let slabs: Int
    /// Bytes of the slabs held now (`slabs * pagesPerSlab * pageBytes`): hot plus free.
    public let slabBytes: Int
    /// Successful `allocate()` calls since the pool was made.
    public let pagesAllocatedTotal: Int
    /// Slabs taken from the system since the pool was made (trimmed ones included).
    public let slabsAllocatedTotal: Int

    public init(hotPages: Int, freePages: Int, slabs: Int, slabBytes: Int,
                pagesAllocatedTotal: Int, slabsAllocatedTotal: Int) {
        self.hotPages = hotPages
        self.freePages = freePages
        self.slabs = slabs
        self.slabBytes = slabBytes
        self.pagesAllocatedTotal = pagesAllocatedTotal
        self.slabsAllocatedTotal = slabsAllocatedTotal
    }
}
