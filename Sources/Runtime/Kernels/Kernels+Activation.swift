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
        let c: Float = 0.797884560802865355  // sqrt(2/pi)
        let a: Float = 0.044715
        var i = 0
        while i &+ 8 <= count {
            let v = x.load8(at: i)
            let u = c * v * (1 + a * v * v)
            // 0.5 (1 + tanh u) = sigmoid(2u); exp saturates at e^88, so no inf/inf.
            x.store8(v / (1 + exp(-2 * u)), at: i)
            i &+= 8
        }
        while i < count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanhf(c * v * (1 + a * v * v)))
            i &+= 1
        }
    }

    /// GELU, exact: `0.5 x (1 + erf(x / sqrt 2))`.
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + erff(v * 0.707106781186547524))
        }
    }
}
