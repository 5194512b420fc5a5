import StrataRuntime

/// How one layer's attention is computed.
struct AttentionSpec {
    /// Which KV layer, the head shape, the score scale and the sliding window.
    let layer: AttentionLayer
    let rope: Rope
    /// RMSNorm epsilon (of the input norm, the per-head Q/K norms and the post norm).
    let eps: Float
}

/// The two halves of a decoder block, in every variant the families use: optional Q/K/V biases,
/// per-head Q/K norms and post-norms are applied when the weights have them.
extension DecoderPass {
    /// `x += attention(norm(x))` for every batch token, writing the layer's K and V to the cache.
    func attentionBlock(_ w: AttentionWeights, _ spec: AttentionSpec, dim: Int) {
        let s = scratch, n = tokens, l = spec.layer
        let x = s.x.pointer, xb = s.xb.pointer, q = s.q.pointer, k = s.k.pointer, v = s.v.pointer
        let att = s.att.pointer, proj = s.proj.pointer
        let qDim = l.heads * l.headDim, kvDim = l.kvHeads * l.headDim
        backend.enter(.block(l.layer), activations: x, count: n * dim)
        let xq = quantized(w.inputNeeds, rows: n, columns: dim)
        normalize(x, weight: w.norm, dim: dim, eps: spec.eps, rows: n, needs: w.inputNeeds, floats: xb, q8: xq)
        project(q, w.wq, floats: xb, q8: xq, rows: n)
        project(k, w.wk, floats: xb, q8: xq, rows: n)
        project(v, w.wv, floats: xb, q8: xq, rows: n)
        if let b = w.bq { backend.addBias(q, b, rows: n, columns: qDim) }
        if let b = w.bk { backend.addBias(k, b, rows: n, columns: kvDim) }
        if let b = w.bv { backend.addBias(v, b, rows: n, columns: kvDim) }
        if let norm = w.qNorm { backend.rmsNorm(out: q, x: q, weight: norm, dim: l.headDim, rows: n * l.heads, eps: spec.eps) }
        if let norm = w.kNorm { backend.rmsNorm(out: k, x: k, weight: norm, dim: l.headDim, rows: n * l.kvHeads, eps: spec.eps) }
        backend.rope(q, stride: qDim, heads: l.heads, rope: spec.rope, batch: attention)
        backend.rope(k, stride: kvDim, heads: l.kvHeads, rope: spec.rope, batch: attention)
        backend.storeKV(key: k, value: v, stride: kvDim, layer: l.layer, batch: attention)
        backend.attention(out: att, q: q, layer: l, batch: attention)
        let attq = quantized(w.outputNeeds, rows: n, columns: qDim)
        quantize(att, rows: n, columns: qDim, needs: w.outputNeeds, into: attq)
        project(proj, w.wo, floats: att, q8: attq, rows: n)
        if let norm = w.postNorm { backend.rmsNorm(out: proj, x: proj, weight: norm, dim: dim, rows: n, eps: spec.eps) }
        backend.add(x, proj, count: n * dim)
    }

    /// `x += down(activation(gate(norm(x))) * up(norm(x)))` for every batch token.
    func feedForwardBlock(_ w: FeedForwardWeights, _ activation: GatedActivation, dim: Int, hidden: Int, eps: Float) {
        let s = scratch, n = tokens
        let x = s.x.pointer, xb = s.xb.pointer, hb = s.hb.pointer, hb2 = s.hb2.pointer, proj = s.proj.pointer
        let fq = quantized(w.inputNeeds, rows: n, columns: dim)
        normalize(x, weight: w.norm, dim: dim, eps: eps, rows: n, needs: w.inputNeeds, floats: xb, q8: fq)
        project(hb, w.gate, floats: xb, q8: fq, rows: n)
        project(hb2, w.up, floats: xb, q8: fq, rows: n)
        let hq = quantized(w.hiddenNeeds, rows: n, columns: hidden)
        gated(activation, gate: hb, up: hb2, rows: n, columns: hidden, needs: w.hiddenNeeds, q8: hq)
        project(proj, w.down, floats: hb, q8: hq, rows: n)
        if let norm = w.postNorm { backend.rmsNorm(out: proj, x: proj, weight: norm, dim: dim, rows: n, eps: eps) }
        backend.add(x, proj, count: n * dim)
    }
}
