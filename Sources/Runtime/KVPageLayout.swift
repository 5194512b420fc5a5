/// The layout of one KV page: for each layer, `blockTokens` K rows then `blockTokens` V rows,
/// each row `kvDim` elements of `dtype`.
///
/// A page holds the keys and values of `blockTokens` consecutive tokens of one sequence, for
/// every layer, in one contiguous run of `pageBytes` bytes:
/// ```
/// page: [layers] of { K: [blockTokens, kvDim] dtype, V: [blockTokens, kvDim] dtype }
/// ```
/// A sequence's KV is a list of pages (its block table); position `p` lives in page
/// `p / blockTokens`, slot `p % blockTokens`. Consecutive slots are consecutive rows, so
/// attention over a page streams through memory.
///
/// The layout owns nothing: it only computes addresses inside pages that someone else owns.
public struct KVPageLayout: Sendable, Equatable {
    public let layers: Int
    /// Tokens per page (the block size of the block table).
    public let blockTokens: Int
    /// Elements of one K (or V) row: `kvHeads * headDim`.
    public let kvDim: Int
    /// Element type of the cache: `.f16` (the default), `.f32` or `.q8_0`.
    public let dtype: DType

    /// KV element types a page can hold.
    public static let supportedTypes: [DType] = [.f32, .f16, .q8_0]

    /// - Precondition: `dtype` is F32, F16 or Q8_0; `kvDim` is a whole number of `dtype` blocks
    ///   (a multiple of 32 for Q8_0); all counts positive and a page's size fits an `Int`.
    public init(layers: Int, blockTokens: Int, kvDim: Int, dtype: DType = .f16) {
        precondition(dtype == .f32 || dtype == .f16 || dtype == .q8_0,
                     "KVPageLayout: \(dtype) is not a KV cache type (f32, f16, q8_0)")
        precondition(layers > 0 && blockTokens > 0 && kvDim > 0,
                     "KVPageLayout: layers \(layers), blockTokens \(blockTokens), kvDim \(kvDim) must be positive")
        guard let rowBytes = dtype.rowBytes(kvDim) else {
            preconditionFailure("KVPageLayout: kvDim \(kvDim) is not a whole number of \(dtype) blocks")
        }
        let (layerBytes, overflow1) = rowBytes.multipliedReportingOverflow(by: 2 &* blockTokens)
        let (_, overflow2) = layerBytes.multipliedReportingOverflow(by: layers)
        precondition(!overflow1 && !overflow2 && blockTokens <= Int.max / 2, "KVPageLayout: page size overflows")
        self.layers = layers
        self.blockTokens = blockTokens
        self.kvDim = kvDim
        self.dtype = dtype
    }

    /// Bytes of one K or V row: `dtype.rowBytes(kvDim)!`.
    @inlinable
    public var rowBytes: Int {
        kvDim / dtype.blockElements &* dtype.blockBytes
    }

    /// Bytes of one element for the cold tier's byte shuffle: the float width, or 1 for
    /// block-quantized rows (whose bytes are not grouped by element).
    public var shuffleElementBytes: Int {
        dtype.isBlockQuantized ? 1 : dtype.blockBytes
    }

    /// Bytes of one layer's K and V rows in a page: `2 * blockTokens * rowBytes`.
    @inlinable
    public var layerBytes: Int {
        2 &* blockTokens &* rowBytes
    }

    /// Bytes of one page: `layers * layerBytes`.
    @inlinable
    public var pageBytes: Int {
        layers &* layerBytes
    }

    /// Bytes of K+V one token occupies across all layers: `layers * 2 * rowBytes`.
    @inlinable
    public var bytesPerToken: Int {
        layers &* 2 &* rowBytes
    }

    /// The K row of `slot` for `layer` inside `page` (a page's base address).
    public func keyRow(_ page: UnsafeMutableRawPointer, layer: Int, slot: Int) -> UnsafeMutableRawPointer {
        checkRow(layer: layer, slot: slot)
        return page + (layer &* layerBytes &+ slot &* rowBytes)
    }

    /// The V row of `slot` for `layer` inside `page` (a page's base address).
    public func valueRow(_ page: UnsafeMutableRawPointer, layer: Int, slot: Int) -> UnsafeMutableRawPointer {
        checkRow(layer: layer, slot: slot)
        return page + (layer &* layerBytes &+ (blockTokens &+ slot) &* rowBytes)
    }

    @inline(__always)
    private func checkRow(layer: Int, slot: Int) {
        precondition(layer >= 0 && layer < layers, "KVPageLayout: layer \(layer) out of 0..<\(layers)")
        precondition(slot >= 0 && slot < blockTokens, "KVPageLayout: slot \(slot) out of 0..<\(blockTokens)")
    }
}
