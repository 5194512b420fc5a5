/// A vector `exp` for softmax and the activations.
extension Kernels {
    /// e^x for 8 lanes, within about 1 ulp for normal results (Cephes `expf`: x = n ln 2 + r,
    /// a degree-6 polynomial for e^r, then a scale by 2^n).
    /// Results below the normal range underflow gradually to 0 (exactly 0 below -104, and for -inf);
    /// inputs above 88.72 give e^88.72, just under `Float.greatestFiniteMagnitude` (never inf).
    /// `@_transparent`: `@inline(__always)` was not honored inside `softmax` (Swift 6.3), which then
    /// paid a call with the vector split across two xmm registers.
    @_transparent
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let low = SIMD8<Float>(repeating: -104)
        let v = minimum(maximum(x, low), SIMD8<Float>(repeating: 88.72))
        // n = round(v / ln 2), in -150...128, by the 1.5 * 2^23 trick: adding it leaves n in the
        // low mantissa bits (rounded to nearest), so both the float n and the integer n are exact.
        let magic = SIMD8<Float>(repeating: 12582912)
        let shifted = v * 1.44269504088896341 + magic
        let n = shifted - magic
        let whole = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        // r = v - n ln 2, with ln 2 split in two so the first product is exact.
        var r = v.addingProduct(n, SIMD8<Float>(repeating: -0.693359375))
        r = r.addingProduct(n, SIMD8<Float>(repeating: 2.12194440e-4))
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = SIMD8<Float>(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 5.0000001201e-1).addingProduct(p, r)
        let er = (r + 1).addingProduct(p, r * r)
        // 2^n as 2^(n/2) * 2^(n - n/2): both halves are normal floats for n in -150...128.
        let half = whole &>> 1
        let first = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let second = unsafeBitCast((whole &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
        var result = er * first * second
        result.replace(with: 0, where: x .< low)
        return result
    }
}
