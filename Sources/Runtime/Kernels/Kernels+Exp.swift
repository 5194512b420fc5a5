/// A vector `exp` for softmax and the activations.
extension Kernels {
    /// e^x for 8 lanes, about 1 ulp (Cephes `expf`: x = n ln 2 + r, a degree-6 polynomial
    /// for e^r, then scale by 2^n through the exponent bits).
    /// Inputs below -87.3 give 0 (or a tiny value); inputs above 88 give e^88 (no infinity).
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let clampedLow = SIMD8<Float>(repeating: -87.6)
        let clampedHigh = SIMD8<Float>(repeating: 88.0)
        let v = pointwiseMin(pointwiseMax(x, clampedLow), clampedHigh)
        // n = round(v / ln 2)
        let n = (v * 1.44269504088896341 + 0.5).rounded(.down)
        // r = v - n ln 2, with ln 2 split in two for an exact first product.
        var r = v.addingProduct(n, SIMD8<Float>(repeating: -0.693359375))
        r = r.addingProduct(n, SIMD8<Float>(repeating: 2.12194440e-4))
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = SIMD8<Float>(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 5.0000001201e-1).addingProduct(p, r)
        let er = (r + 1).addingProduct(p, r * r)
        // 2^n from the exponent field; n is in -127...127, so n + 127 is in 0...254.
        let exponent = (SIMD8<Int32>(n) &+ 127) &<< 23
        var result = er * unsafeBitCast(exponent, to: SIMD8<Float>.self)
        result.replace(with: 0, where: x .< clampedLow)
        return result
    }
}
