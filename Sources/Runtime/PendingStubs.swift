// TEMPORARY: signatures of the paged-attention API being written on the `paged-attn` branch; removed at merge.
public struct KVPageLayout: Sendable, Equatable {
    public init(layers: Int, blockTokens: Int, kvDim: Int, dtype: DType) { self.layers = layers; self.blockTokens = blockTokens; self.kvDim = kvDim; self.dtype = dtype }
    public let layers: Int, blockTokens: Int, kvDim: Int, dtype: DType
    public var rowBytes: Int { dtype.rowBytes(kvDim)! }
    public var layerBytes: Int { 2 * blockTokens * rowBytes }
    public var pageBytes: Int { layers * layerBytes }
    public func keyRow(_ page: UnsafeMutableRawPointer, layer: Int, slot: Int) -> UnsafeMutableRawPointer { fatalError() }
    public func valueRow(_ page: UnsafeMutableRawPointer, layer: Int, slot: Int) -> UnsafeMutableRawPointer { fatalError() }
    public var bytesPerToken: Int { layers * 2 * rowBytes }
}
extension Kernels {
    public static func storeKV(key: UnsafePointer<Float>, value: UnsafePointer<Float>, page: UnsafeMutableRawPointer, layer: Int, slot: Int, layout: KVPageLayout) { fatalError() }
    public static func pagedAttention(out: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>, pages: UnsafePointer<UnsafeMutableRawPointer>, layout: KVPageLayout, layer: Int, positions: Int, heads: Range<Int>, headCount: Int, kvHeads: Int, headDim: Int, scale: Float, scores: UnsafeMutablePointer<Float>) { fatalError() }
}
