/// Counts of a `ColdStore` at one moment.
public struct ColdStoreStatistics: Sendable, Equatable {
    /// Pages stored now.
    public let pages: Int
    /// Original bytes of the pages stored now.
    public let rawBytes: Int
    /// Bytes held for the pages stored now (charged to `.cold`).
    public let compressedBytes: Int
    /// Successful `store` calls since the store was made.
    public let compressions: Int
    /// Successful `load` calls since the store was made.
    public let decompressions: Int
    /// Loads that found a page corrupted.
    public let corruptionsDetected: Int
    /// Pages stored uncompressed because LZ4 could not make them smaller (now held).
    public let incompressiblePages: Int

    public init(pages: Int, rawBytes: Int, compressedBytes: Int, compressions: Int,
                decompressions: Int, corruptionsDetected: Int, incompressiblePages: Int = 0) {
        self.pages = pages
        self.rawBytes = rawBytes
        self.compressedBytes = compressedBytes
        self.compressions = compressions
        self.decompressions = decompressions
        self.corruptionsDetected = corruptionsDetected
        self.incompressiblePages = incompressiblePages
    }

    /// `rawBytes / compressedBytes`; 1 when nothing is stored.
    public var ratio: Double {
        compressedBytes == 0 ? 1 : Double(rawBytes) / Double(compressedBytes)
    }
}
