import Memory
import StrataRuntime

/// The activation widths a decoder's forward pass writes, and the forms its matmuls read.
public struct DecoderScratchShape: Sendable {
    /// Residual stream width.
    public var dim: Int
    /// Query (and attention output) width: heads x head size.
    public var qDim: Int
    /// K and V width.
    public var kvDim: Int
    /// Feed-forward width.
    public var hidden: Int
    /// The forms any matmul input is read in (the union over every matmul of the model).
    public var reads: ActivationNeeds

    public init(dim: Int, qDim: Int, kvDim: Int, hidden: Int, reads: ActivationNeeds) {
        self.dim = dim
        self.qDim = qDim
        self.kvDim = kvDim
        self.hidden = hidden
        self.reads = reads
    }

    /// The widest matmul input.
    public var widestInput: Int { max(dim, qDim, hidden) }
}

/// The activations of one forward pass, sized once for `maxBatchTokens` tokens and
/// `maxSequences` logits rows: a step allocates nothing. Shared by every architecture (they
/// differ in what they compute, not in the buffers they compute it in).
public final class DecoderScratch {
    public let shape: DecoderScratchShape
    public let maxBatchTokens: Int
    public let maxSequences: Int
    /// [maxBatchTokens, dim] residual stream
    public let x: AlignedBuffer<Float>
    /// [maxBatchTokens, dim] normalized input
    public let xb: AlignedBuffer<Float>
    /// [maxBatchTokens, qDim]
    public let q: AlignedBuffer<Float>
    /// [maxBatchTokens, kvDim]
    public let k: AlignedBuffer<Float>
    /// [maxBatchTokens, kvDim]
    public let v: AlignedBuffer<Float>
    /// [maxBatchTokens, qDim] attention output
    public let att: AlignedBuffer<Float>
    /// [maxBatchTokens, dim] projection output
    public let proj: AlignedBuffer<Float>
    /// [maxBatchTokens, hidden] gate, then the gated activation
    public let hb: AlignedBuffer<Float>
    /// [maxBatchTokens, hidden] up
    public let hb2: AlignedBuffer<Float>
    /// [maxSequences, dim] last hidden state of each entry that wants logits
    public let xLast: AlignedBuffer<Float>
    /// [max(maxBatchTokens, maxSequences), widestInput] 8-bit activations in 32-element blocks
    let q8: Q8Buffer
    /// [max(maxBatchTokens, maxSequences), widestInput] 8-bit activations in 256-element blocks
    let q8K: Q8Buffer

    /// Buffers for `shape` and batches of at most `maxBatchTokens` tokens from `maxSequences` sequences.
    public init(shape: DecoderScratchShape, maxBatchTokens: Int, maxSequences: Int) {
        self.shape = shape
        self.maxBatchTokens = maxBatchTokens
        self.maxSequences = maxSequences
        let t = maxBatchTokens
        x = AlignedBuffer(count: t * shape.dim)
        xb = AlignedBuffer(count: t * shape.dim)
        q = AlignedBuffer(count: t * shape.qDim)
        k = AlignedBuffer(count: t * shape.kvDim)
        v = AlignedBuffer(count: t * shape.kvDim)
        att = AlignedBuffer(count: t * shape.qDim)
        proj = AlignedBuffer(count: t * shape.dim)
        hb = AlignedBuffer(count: t * shape.hidden)
        hb2 = AlignedBuffer(count: t * shape.hidden)
        xLast = AlignedBuffer(count: maxSequences * shape.dim)
        let rows = max(maxBatchTokens, maxSequences)
        q8 = Q8Buffer(elements: shape.reads.q8 ? rows * shape.widestInput : 0, format: .q8)
        q8K = Q8Buffer(elements: shape.reads.q8K ? rows * shape.widestInput : 0, format: .q8K)
    }

    /// Bytes this scratch holds.
    public var bytes: Int {
        let floats = x.count + xb.count + q.count + k.count + v.count + att.count + proj.count + hb.count + hb2.count + xLast.count
        return floats * MemoryLayout<Float>.stride + q8.bytes + q8K.bytes
    }

    /// Views of the quantized scratch for `rows` x `columns` in the formats `needs` asks for;
    /// empty views for the others (whose width need not be whole blocks: float-only models have
    /// odd widths).
    func quantized(_ needs: ActivationNeeds, rows: Int, columns: Int) -> QuantizedActivation {
        QuantizedActivation(q8: q8.rows(needs.q8 ? rows : 0, columns: needs.q8 ? columns : 0),
                            q8K: q8K.rows(needs.q8K ? rows : 0, columns: needs.q8K ? columns : 0))
    }
}
