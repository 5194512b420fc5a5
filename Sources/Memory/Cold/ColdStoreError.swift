/// Why a cold page could not be stored or loaded.
public enum ColdStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The page's bytes failed to decompress or did not match their checksum.
    case corrupted(ColdPageID)
    /// The compressed bytes do not fit the memory budget; nothing was stored.
    case budgetExceeded(bytes: Int)
    /// No such page: never stored, or discarded.
    case unknownPage(ColdPageID)

    public var description: String {
        switch self {
        case .corrupted(let page):
            return "\(page) is corrupted: its bytes do not match the checksum taken when it was stored"
        case .budgetExceeded(let bytes):
            return "\(bytes) compressed bytes do not fit the memory budget"
        case .unknownPage(let page):
            return "\(page) is not stored (never stored, or discarded)"
        }
    }
}
