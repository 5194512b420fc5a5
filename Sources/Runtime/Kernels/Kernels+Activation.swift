#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise activations, in place.
extension Kernels {
    /// x[i] = x[i] * sigmoid(x[i])
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i &+ 8 <= count {
            let v = x.load8(at: i)
            x.store8(v / (1 + exp(-v)), at: i)
            i &+= 8
        }
        while i < count {
            x[i] = x[i] / (1 + expf(-x[i]))
            i &+= 1
        }
    }

    /// x[i] = cap * tanh(x[i] / cap)   (Gemma's logit soft-capping)
    public static func softcap(_ x: UnsafeMutablePointer<Float>, cap: Float, count: Int) {
        for i in 0..<count { x[i] = cap * tanhf(x[i] / cap) }
    }

    /// gate[i] = silu(gate[i]) * up[i]   (SwiGLU)
    public static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i &+ 8 <= count {
            let v = gate.load8(at: i)
            gate.store8(v / (1 + exp(-v)) * up.load8(at: i), at: i)
            i &+= 8
        }
        while i < count {
            gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i]
            i &+= 1
        }
    }

    /// GELU, tanh approximation (ggml's `gelu`):
    /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i &+ 8 <= count {
            x.store8(gelu(x.load8(at: i)), at: i)
            i &+= 8
        }
        while i < count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanhf(geluC * v * (1 + geluA * v * v)))
            i &+= 1
        }
    }

    /// gate[i] = gelu(gate[i]) * up[i]   (GeGLU, GELU by the tanh approximation as `gelu`)
    public static func geglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i &+ 8 <= count {
            gate.store8(gelu(gate.load8(at: i)) * up.load8(at: i), at: i)
            i &+= 8
        }
        while i < count {
            let v = gate[i]
            gate[i] = 0.5 * v * (1 + tanhf(geluC * v * (1 + geluA * v * v))) * up[i]
            i &+= 1
        }
    }

    /// `gelu` of 8 lanes: 0.5 (1 + tanh u) = sigmoid(2u); exp saturates at e^88, so no inf/inf.
    @inline(__always)
    static func gelu(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let u = geluC * v * (1 + geluA * v * v)
        return v / (1 + exp(-2 * u))
    }

    /// sqrt(2/pi) and the cubic coefficient of GELU's tanh approximation.
    static let geluC: Float = 0.797884560802865355
    static let geluA: Float = 0.044715

    /// GELU, exact: `0.5 x (1 + erf(x / sqrt 2))` (BERT's `gelu`), within ~2e-7 x relative.
    ///
    /// erf comes from erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), z = |u| (Numerical
    /// Recipes' `erfcc`, fractional error under 1.2e-7): 1 + erf(u) is `2 - erfc(z)` for u >= 0
    /// and `erfc(z)` for u < 0, so negative inputs keep their relative precision in the tail.
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i &+ 8 <= count {
            x.store8(geluErf(x.load8(at: i)), at: i)
            i &+= 8
        }
        guard i < count else { return }
        // The tail through the same vector code, so every element gets identical arithmetic.
        var lanes = SIMD8<Float>()
        for lane in 0..<(count &- i) { lanes[lane] = x[i &+ lane] }
        lanes = geluErf(lanes)
        for lane in 0..<(count &- i) { x[i &+ lane] = lanes[lane] }
    }

    @inline(__always)
    static func geluErf(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let u = v * 0.707106781186547524
        let z = u.replacing(with: -u, where: u .< 0)
        let t = 1 / SIMD8<Float>(repeating: 1).addingProduct(z, SIMD8<Float>(repeating: 0.5))
        var p = SIMD8<Float>(repeating: 0.17087277)
        p = SIMD8<Float>(repeating: -0.82215223).addingProduct(p, t)
        p = SIMD8<Float>(repeating: 1.48851587).addingProduct(p, t)
        p = SIMD8<Float>(repeating: -1.13520398).addingProduct(p, t)
        p = SIMD8<Float>(repeating: 0.27886807).addingProduct(p, t)
        p = SIMD8<Float>(repeating: -0.18628806).addingProduct(p, t)
        p = SIMD8<Float>(repeating: 0.09678418).addingProduct(p, t)
        p = SIMD8<Float>(repeating: 0.37409196).addingProduct(p, t)
        p = SIMD8<Float>(repeating: 1.00002368).addingProduct(p, t)
        p = SIMD8<Float>(repeating: -1.26551223).addingProduct(p, t)
        let erfc = t * exp(p - z * z)
        var onePlusErf = 2 - erfc
        onePlusErf.replace(with: erfc, where: u .< 0)
        return 0.5 * v * onePlusErf
    }
}
