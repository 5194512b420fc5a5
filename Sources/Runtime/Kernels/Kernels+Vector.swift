/// BLAS-1 style vector kernels.
extension Kernels {
    /// Single-thread dot product of two float vectors.
    /// - Complexity: O(count); four independent accumulators hide the FMA latency.
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i &+ 32 <= count {
            s0.addProduct(a.load8(at: i), b.load8(at: i))
            s1.addProduct(a.load8(at: i &+ 8), b.load8(at: i &+ 8))
            s2.addProduct(a.load8(at: i &+ 16), b.load8(at: i &+ 16))
            s3.addProduct(a.load8(at: i &+ 24), b.load8(at: i &+ 24))
            i &+= 32
        }
        while i &+ 8 <= count {
            s0.addProduct(a.load8(at: i), b.load8(at: i))
            i &+= 8
        }
        var total = sum((s0 + s1) + (s2 + s3))
        while i < count {
            total = total.addingProduct(a[i], b[i])
            i &+= 1
        }
        return total
    }

    /// y += alpha * x
    public static func axpy(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, alpha: Float, count: Int) {
        let a = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i &+ 8 <= count {
            y.store8(y.load8(at: i).addingProduct(a, x.load8(at: i)), at: i)
            i &+= 8
        }
        while i < count {
            y[i] = y[i].addingProduct(alpha, x[i])
            i &+= 1
        }
    }

    /// x *= alpha
    public static func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        let a = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i &+ 8 <= count {
            x.store8(x.load8(at: i) * a, at: i)
            i &+= 8
        }
        while i < count {
            x[i] *= alpha
            i &+= 1
        }
    }
}
