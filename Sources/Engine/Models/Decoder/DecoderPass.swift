import StrataRuntime

/// The steps every decoder architecture's forward pass is made of, over one batch: each
/// activation is produced in exactly the forms its matmuls read (floats, and/or 8-bit rows
/// in 32- or 256-element blocks), fused with the op that makes it when one form is all that
/// is read. Architectures compose these and call the backend directly for the rest.
struct DecoderPass {
    let backend: any ComputeBackend
    let scratch: DecoderScratch
    let batch: DecoderBatch

    init(backend: any ComputeBackend, scratch: DecoderScratch, batch: DecoderBatch) {
        self.backend = backend
        self.scratch = scratch
        self.batch = batch
    }

    /// The batch as attention and RoPE see it.
    var attention: AttentionBatch { batch.attention }

    /// Tokens in the pass.
    var tokens: Int { attention.tokens }

    /// Views of the quantized scratch for `rows` x `columns` in the forms `needs` asks for.
    func quantized(_ needs: ActivationNeeds, rows: Int, columns: Int) -> QuantizedActivation {
        scratch.quantized(needs, rows: rows, columns: columns)
    }

    /// Quantizes `rows` float rows into every quantized form `needs` asks for.
    func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int, needs: ActivationNeeds, into q: QuantizedActivation) {
        if needs.q8 { backend.quantize(x, rows: rows, columns: columns, into: q.q8) }
        if needs.q8K { backend.quantize(x, rows: rows, columns: columns, into: q.q8K) }
    }

    /// RMSNorm of `rows` rows of `dim` of `x` into the forms its readers need: floats into
    /// `floats` (which may be `x`), and/or 8-bit rows (fused: no float pass when one quantized
    /// form is all that is read).
    func normalize(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, dim: Int, eps: Float, rows: Int,
                   needs: ActivationNeeds, floats: UnsafeMutablePointer<Float>, q8: QuantizedActivation) {
        if needs.floats || needs.forms > 1 {
            backend.rmsNorm(out: floats, x: x, weight: weight, dim: dim, rows: rows, eps: eps)
            quantize(floats, rows: rows, columns: dim, needs: needs, into: q8)
        } else if needs.forms == 1 {
            backend.rmsNorm(x: x, weight: weight, dim: dim, rows: rows, eps: eps, into: needs.q8K ? q8.q8K : q8.q8)
        }
    }

    /// `activation(gate) * up` over `rows` rows of `columns` into the forms its readers need:
    /// floats into `gate`, and/or 8-bit rows (fused when one quantized form is all that is read).
    func gated(_ activation: GatedActivation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, rows: Int,
               columns: Int, needs: ActivationNeeds, q8: QuantizedActivation) {
        if needs.floats || needs.forms > 1 {
            backend.gated(activation, gate: gate, up: up, count: rows * columns)
            quantize(gate, rows: rows, columns: columns, needs: needs, into: q8)
        } else {
            backend.gated(activation, gate: gate, up: up, rows: rows, columns: columns, into: needs.q8K ? q8.q8K : q8.q8)
        }
    }

    /// out = input x weight^T, reading the input's quantized form for block-quantized weights and
    /// its floats otherwise.
    func project(_ out: UnsafeMutablePointer<Float>, _ weight: Tensor, floats: UnsafePointer<Float>, q8: QuantizedActivation,
                 rows: Int) {
        if weight.dtype.isBlockQuantized {
            backend.matmul(out: out, x: q8.rows(for: weight.dtype), weight: weight)
        } else {
            backend.matmul(out: out, x: floats, rows: rows, weight: weight)
        }
    }

    /// The output head on the last token of each entry that wants logits: final RMSNorm, then
    /// `output` into the batch's logits rows.
    /// Announces `.output` (with the residual stream `x`) and `.end` (with the logits) to the backend.
    func logits(from x: UnsafeMutablePointer<Float>, dim: Int, norm: UnsafePointer<Float>, eps: Float, output: Tensor,
                needs: ActivationNeeds) {
        let rows = batch.logitRows
        guard rows > 0 else { return }
        backend.enter(.output, activations: x, count: tokens * dim)
        let xLast = scratch.xLast.pointer
        for e in 0..<batch.entries where batch.logitsRow(of: e) >= 0 {
            backend.copy(xLast + batch.logitsRow(of: e) * dim, from: x + batch.lastToken(of: e) * dim, count: dim)
        }
        let q = quantized(needs, rows: rows, columns: dim)
        normalize(xLast, weight: norm, dim: dim, eps: eps, rows: rows, needs: needs, floats: xLast, q8: q)
        project(batch.logits.pointer, output, floats: xLast, q8: q, rows: rows)
        backend.enter(.end, activations: batch.logits.pointer, count: rows * output.rows)
    }
}
