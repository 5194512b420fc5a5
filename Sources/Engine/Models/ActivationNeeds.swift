import StrataRuntime

/// What the matmuls reading one activation need of it: floats (for F32/F16/BF16 weights) and/or
/// 8-bit quantized rows in each `ActivationFormat` its block-quantized readers take (32-element
/// blocks for Q4_0...Q8_0 and IQ4_NL, 256-element blocks for the K-quants and IQ4_XS). Decided
/// once per layer at start-up, so a step produces exactly the forms its readers use.
struct ActivationNeeds {
    let floats: Bool
    let q8: Bool
    let q8K: Bool

    init(readers: Tensor...) {
        floats = readers.contains { $0.dtype.activationFormat == .floats }
        q8 = readers.contains { $0.dtype.activationFormat == .q8 }
        q8K = readers.contains { $0.dtype.activationFormat == .q8K }
    }

    /// How many forms are needed: with one, it can be produced fused with the op that makes it.
    var forms: Int { (floats ? 1 : 0) + (q8 ? 1 : 0) + (q8K ? 1 : 0) }
}

/// The activation needs of one decoder block's four matmul inputs.
struct LayerActivationNeeds {
    /// The normalized input of Q, K and V.
    let attentionInput: ActivationNeeds
    /// The attention output, input of `wo`.
    let attentionOutput: ActivationNeeds
    /// The normalized input of gate and up.
    let ffnInput: ActivationNeeds
    /// SwiGLU's output, input of `down`.
    let ffnHidden: ActivationNeeds

    init(_ layer: LlamaLayerWeights) {
        attentionInput = ActivationNeeds(readers: layer.wq, layer.wk, layer.wv)
        attentionOutput = ActivationNeeds(readers: layer.wo)
        ffnInput = ActivationNeeds(readers: layer.gate, layer.up)
        ffnHidden = ActivationNeeds(readers: layer.down)
    }

    var all: [ActivationNeeds] { [attentionInput, attentionOutput, ffnInput, ffnHidden] }
}

/// The quantized forms of one matmul input: views of the runner's scratch, empty when unused.
struct QuantizedActivation {
    let q8: Q8Rows
    let q8K: Q8Rows

    /// The form weights of `dtype` read.
    @inline(__always)
    func rows(for dtype: DType) -> Q8Rows { dtype.activationFormat == .q8K ? q8K : q8 }
}
