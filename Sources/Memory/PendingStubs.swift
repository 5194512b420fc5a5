// TEMPORARY: signatures of the Memory API being written on the `memory` branch; removed at merge.
public enum MemoryTier: Int, Sendable, CaseIterable { case hot, cold, free, pools }
public enum MemoryPressure: Int, Sendable, Comparable {
    case normal, elevated, high
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}
public final class MemoryBudget: @unchecked Sendable {
    public init(limitBytes: Int, highWatermark: Double = 0.90, lowWatermark: Double = 0.75) { self.limitBytes = limitBytes }
    public let limitBytes: Int
    public static func defaultLimit() -> Int { fatalError() }
    public static func parseSize(_ text: String) -> Int? { fatalError() }
    public func tryCharge(_ bytes: Int, to tier: MemoryTier) -> Bool { fatalError() }
    public func charge(_ bytes: Int, to tier: MemoryTier) { fatalError() }
    public func release(_ bytes: Int, from tier: MemoryTier) { fatalError() }
    public func move(_ bytes: Int, from: MemoryTier, to: MemoryTier) { fatalError() }
    public var used: Int { fatalError() }
    public var peakUsed: Int { fatalError() }
    public func used(_ tier: MemoryTier) -> Int { fatalError() }
    public var pressure: MemoryPressure { fatalError() }
}
public struct PageID: Hashable, Sendable { public let raw: UInt32 }
public struct PagePoolStatistics: Sendable, Equatable { public let hotPages, freePages, slabs, slabBytes, pagesAllocatedTotal, slabsAllocatedTotal: Int }
public final class PagePool: @unchecked Sendable {
    public enum Backing: Sendable { case jemallocArena, anonymousMap }
    public init(pageBytes: Int, slabPages: Int = 64, backing: Backing = .jemallocArena, budget: MemoryBudget) throws(MemoryError) { self.pageBytes = pageBytes }
    public let pageBytes: Int
    public func allocate() -> PageID? { fatalError() }
    public func free(_ page: PageID) { fatalError() }
    public func address(of page: PageID) -> UnsafeMutableRawPointer { fatalError() }
    public var statistics: PagePoolStatistics { fatalError() }
    public func trim() -> Int { fatalError() }
}
public struct ColdPageID: Hashable, Sendable { public let raw: UInt32 }
public enum ColdStoreError: Error, Equatable, Sendable { case corrupted(ColdPageID), budgetExceeded(bytes: Int), unknownPage(ColdPageID) }
public struct ColdStoreStatistics: Sendable { public let pages, rawBytes, compressedBytes, compressions, decompressions, corruptionsDetected: Int }
public final class ColdStore: @unchecked Sendable {
    public init(budget: MemoryBudget, shuffle: Bool = true) {}
    public func store(_ source: UnsafeRawPointer, bytes: Int, elementSize: Int) throws(ColdStoreError) -> ColdPageID { fatalError() }
    public func load(_ page: ColdPageID, into destination: UnsafeMutableRawPointer) throws(ColdStoreError) { fatalError() }
    public func discard(_ page: ColdPageID) { fatalError() }
    public var statistics: ColdStoreStatistics { fatalError() }
    public func corruptForTesting(_ page: ColdPageID, at offset: Int) { fatalError() }
}
