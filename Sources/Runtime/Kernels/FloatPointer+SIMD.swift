/// Unaligned `SIMD8<Float>` access through float pointers, for the kernels and decoders.
extension UnsafeMutablePointer where Pointee == Float {
    /// Stores 8 floats at `self + i` (unaligned).
    @inline(__always)
    func store8(_ v: SIMD8<Float>, at i: Int) {
        UnsafeMutableRawPointer(self).storeBytes(of: v, toByteOffset: i &* 4, as: SIMD8<Float>.self)
    }
}

extension UnsafePointer where Pointee == Float {
    /// Loads 8 floats at `self + i` (unaligned).
    @inline(__always)
    func load8(at i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self).loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Loads 8 floats at `self + i` (unaligned).
    @inline(__always)
    func load8(at i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self).loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
    }
}
