#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// In-place numerically stable softmax over `count` values (the max is subtracted first).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maxima = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i &+ 8 <= count {
            maxima = maximum(maxima, x.load8(at: i))
            i &+= 8
        }
        var largest = max(maxima)
        while i < count {
            largest = Swift.max(largest, x[i])
            i &+= 1
        }

        let shift = SIMD8<Float>(repeating: largest)
        var sums = SIMD8<Float>()
        i = 0
        while i &+ 8 <= count {
            let e = exp(x.load8(at: i) - shift)
            x.store8(e, at: i)
            sums += e
            i &+= 8
        }
        var total = sum(sums)
        while i < count {
            let e = expf(x[i] - largest)
            x[i] = e
            total += e
            i &+= 1
        }
        scale(x, by: 1 / total, count: count)
    }
}
