#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which dimensions RoPE rotates together.
public enum RopeStyle: Sendable {
    /// Adjacent pairs `(2i, 2i + 1)`: llama.cpp's "normal" mode (Llama GGUF).
    case normal
    /// Pairs `(i, i + ropeDims / 2)`: GPT-NeoX mode (Qwen2, HF-layout Llama).
    case neox
}

/// Rotary position embedding with precomputed inverse frequencies
/// `theta_i = base^(-2i/ropeDims)`, `i in 0..<ropeDims/2`.
///
/// Pair `i` at `position` is rotated by the angle `position * theta_i`, computed as ggml does
/// (`theta_0 = position`, then repeated multiplication by `base^(-2/ropeDims)`), with `cosf`/`sinf`,
/// so results match llama.cpp's CPU backend.
public struct Rope: Sendable {
    public let headDim: Int
    public let ropeDims: Int
    public let base: Float
    public let style: RopeStyle
    /// Linear position scaling (ggml's `freq_scale`): angles are multiplied by it. 1 = none.
    public let frequencyScale: Float
    /// Per-pair divisors of the angle (ggml's `freq_factors`, Llama 3.1 `rope_freqs`), or empty.
    public let frequencyFactors: [Float]
    /// Multiplies the rotation's cosine and sine (ggml's `attn_factor`, Phi-3's long-context
    /// `rope.scaling.attn_factor`). 1 = a pure rotation.
    public let attentionFactor: Float
    /// `theta_i` for `i in 0..<ropeDims/2`, by ggml's repeated multiplication.
    public let inverseFrequencies: [Float]
    private let thetaScale: Float

    public init(headDim: Int, ropeDims: Int, base: Float, style: RopeStyle) {
        self.init(headDim: headDim, ropeDims: ropeDims, base: base, style: style,
                  frequencyScale: 1, frequencyFactors: [])
    }

    /// - Parameters:
    ///   - frequencyScale: ggml's `freq_scale` (1 / linear scaling factor).
    ///   - frequencyFactors: `ropeDims / 2` divisors, or empty for none.
    ///   - attentionFactor: ggml's `attn_factor`.
    public init(headDim: Int, ropeDims: Int, base: Float, style: RopeStyle,
                frequencyScale: Float, frequencyFactors: [Float], attentionFactor: Float = 1) {
        precondition(ropeDims > 0 && ropeDims % 2 == 0 && ropeDims <= headDim,
                     "Rope: ropeDims \(ropeDims) must be even and in 1...\(headDim)")
        precondition(frequencyFactors.isEmpty || frequencyFactors.count == ropeDims / 2,
                     "Rope: \(frequencyFactors.count) frequency factors, expected \(ropeDims / 2)")
        self.headDim = headDim
        self.ropeDims = ropeDims
        self.base = base
        self.style = style
        self.frequencyScale = frequencyScale
        self.frequencyFactors = frequencyFactors
        self.attentionFactor = attentionFactor
        thetaScale = powf(base, -2 / Float(ropeDims))
        var frequencies: [Float] = []
        frequencies.reserveCapacity(ropeDims / 2)
        var theta: Float = 1
        for _ in 0..<(ropeDims / 2) {
            frequencies.append(theta)
            theta *= thetaScale
        }
        inverseFrequencies = frequencies
    }

    /// Rotates `heads` heads of `headDim` floats at `x` (contiguous) for `position`;
    /// dims `>= ropeDims` are untouched.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, position: Int) {
        let pairs = ropeDims / 2
        let (pairStride, partnerOffset) = style == .normal ? (2, 1) : (1, pairs)
        let headDim = self.headDim
        let thetaScale = self.thetaScale
        let frequencyScale = self.frequencyScale, magnitude = attentionFactor
        frequencyFactors.withUnsafeBufferPointer { factors in
            var theta = Float(position)
            for i in 0..<pairs {
                var angle = factors.isEmpty ? theta : theta / factors[i]
                angle *= frequencyScale
                let c = cosf(angle) * magnitude
                let s = sinf(angle) * magnitude
                let first = i &* pairStride
                for h in 0..<heads {
                    let p = x + (h &* headDim &+ first)
                    let a = p[0]
                    let b = p[partnerOffset]
                    p[0] = a * c - b * s
                    p[partnerOffset] = a * s + b * c
                }
                theta *= thetaScale
            }
        }
    }
}
