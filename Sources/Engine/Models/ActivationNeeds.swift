import StrataRuntime

/// What the matmuls reading one activation need of it: floats (for F32/F16/BF16 weights) and/or
/// 8-bit quantized rows (for Q8_0/Q4_0 weights, which take the integer path). Decided once per
/// layer at start-up, so a step produces exactly the forms its readers use.
struct ActivationNeeds {
    let floats: Bool
    let q8: Bool

    init(readers: Tensor...) {
        floats = readers.contains { $0.dtype.blockElements == 1 }
        q8 = readers.contains { $0.dtype.blockElements > 1 }
    }
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
}
