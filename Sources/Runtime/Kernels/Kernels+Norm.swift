/// Row normalizations.
extension Kernels {
    /// out = x / sqrt(mean(x^2) + eps) * weight, for `rows` rows of `dim` (out may equal x).
    public static func rmsNorm(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               dim: Int, rows: Int, eps: Float) {
        precondition(dim > 0 && rows >= 0, "rmsNorm: bad shape dim \(dim), rows \(rows)")
        for r in 0..<rows {
            let xs = x + r &* dim
            let ys = out + r &* dim
            let s = rmsScale(xs, dim: dim, eps: eps)
            let sv = SIMD8<Float>(repeating: s)
            var i = 0
            while i &+ 8 <= dim {
                ys.store8(xs.load8(at: i) * sv * weight.load8(at: i), at: i)
                i &+= 8
            }
            while i < dim {
                ys[i] = xs[i] * s * weight[i]
                i &+= 1
            }
        }
    }

    /// LayerNorm with weight and bias: out = (x - mean) / sqrt(var + eps) * weight + bias,
    /// for `rows` rows of `dim` (out may equal x).
    public static func layerNorm(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                 bias: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float) {
        precondition(dim > 0 && rows >= 0, "layerNorm: bad shape dim \(dim), rows \(rows)")
        for r in 0..<rows {
            let xs = x + r &* dim
            let ys = out + r &* dim
            var sums = SIMD8<Float>()
            var i = 0
            while i &+ 8 <= dim {
                sums += xs.load8(at: i)
                i &+= 8
            }
            var total = sum(sums)
            while i < dim {
                total += xs[i]
                i &+= 1
            }
            let mean = total / Float(dim)

            let m = SIMD8<Float>(repeating: mean)
            var squares = SIMD8<Float>()
            i = 0
            while i &+ 8 <= dim {
                let d = xs.load8(at: i) - m
                squares.addProduct(d, d)
                i &+= 8
            }
            var squareTotal = sum(squares)
            while i < dim {
                let d = xs[i] - mean
                squareTotal = squareTotal.addingProduct(d, d)
                i &+= 1
            }
            let s = 1 / (squareTotal / Float(dim) + eps).squareRoot()

            let sv = SIMD8<Float>(repeating: s)
            i = 0
            while i &+ 8 <= dim {
                let normalized = (xs.load8(at: i) - m) * sv
                ys.store8(bias.load8(at: i).addingProduct(normalized, weight.load8(at: i)), at: i)
                i &+= 8
            }
            while i < dim {
                ys[i] = bias[i].addingProduct((xs[i] - mean) * s, weight[i])
                i &+= 1
            }
        }
    }
}
