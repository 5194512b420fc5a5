import Memory

/// A contiguous per-sequence KV cache: K and V for every layer and position, F32.
/// Backed by anonymous mappings, so only positions actually written occupy memory.
/// (The paged, shared cache replaces this in the memory issue.)
public struct KVCache: ~Copyable {
    /// Positions the cache can hold.
    public let capacity: Int
    public let layers: Int
    public let kvDim: Int
    /// [layers][capacity][kvDim], F32
    private let keys: AnonymousMapping
    /// [layers][capacity][kvDim], F32
    private let values: AnonymousMapping

    public init(layers: Int, capacity: Int, kvDim: Int) throws(MemoryError) {
        self.capacity = capacity
        self.layers = layers
        self.kvDim = kvDim
        let bytes = layers * capacity * kvDim * MemoryLayout<Float>.stride
        let keys = try AnonymousMapping(size: bytes)
        let values = try AnonymousMapping(size: bytes)
        self.keys = keys
        self.values = values
    }

    /// K rows of `layer`: [capacity][kvDim].
    public func keys(layer: Int) -> UnsafeMutablePointer<Float> {
        keys.base.assumingMemoryBound(to: Float.self) + layer * capacity * kvDim
    }

    /// V rows of `layer`: [capacity][kvDim].
    public func values(layer: Int) -> UnsafeMutablePointer<Float> {
        values.base.assumingMemoryBound(to: Float.self) + layer * capacity * kvDim
    }

    /// Bytes the cache would occupy when full.
    public var reservedBytes: Int { 2 * layers * capacity * kvDim * MemoryLayout<Float>.stride }
}
