/// CPU compute kernels over caller-owned float buffers.
///
/// Conventions: every pointer is lent by the caller for the duration of the call; sizes are
/// element counts; nothing allocates. Inner loops use explicit `SIMD8<Float>` accumulators
/// with unaligned loads and reduce by halves at the end (Swift never reassociates float adds,
/// so a scalar loop would not vectorize). Release builds pass `-mavx2 -mfma -mf16c`, so
/// `addProduct` is `vfmadd…ps ymm`.
public enum Kernels {
    /// Sum of the 8 lanes, reduced by halves.
    @inline(__always)
    static func sum(_ v: SIMD8<Float>) -> Float {
        let four = v.lowHalf + v.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// Largest of the 8 lanes, reduced by halves.
    @inline(__always)
    static func max(_ v: SIMD8<Float>) -> Float {
        let four = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
        let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .> four.lowHalf)
        return Swift.max(two[0], two[1])
    }

    /// Lane-wise maximum (`vmaxps`). The stdlib's generic `pointwiseMax` is not always inlined.
    @inline(__always)
    static func maximum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .> a)
    }

    /// Lane-wise absolute value: the sign bits cleared (`vandps`).
    @inline(__always)
    static func magnitude(_ v: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & SIMD8(repeating: 0x7FFF_FFFF), to: SIMD8<Float>.self)
    }

    /// Lane-wise minimum (`vminps`).
    @inline(__always)
    static func minimum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .< a)
    }
}
