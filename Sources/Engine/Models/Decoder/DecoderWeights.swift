import StrataRuntime

/// One decoder block's attention weights, in every variant the families use. Matrices are
/// [out rows][in columns], views into the mapped file.
public struct AttentionWeights: @unchecked Sendable {
    /// [dim] RMSNorm weight before the projections.
    public let norm: UnsafePointer<Float>
    /// [qDim rows][dim], [kvDim rows][dim] x 2, [dim rows][qDim]
    public let wq: Tensor, wk: Tensor, wv: Tensor, wo: Tensor
    /// Biases of Q, K and V (Qwen2; optional in Llama files), or nil.
    public let bq: UnsafePointer<Float>?, bk: UnsafePointer<Float>?, bv: UnsafePointer<Float>?
    /// [headDim] RMSNorm weights applied to each head of Q and K before RoPE (Qwen3, Gemma 3), or nil.
    public let qNorm: UnsafePointer<Float>?, kNorm: UnsafePointer<Float>?
    /// [dim] RMSNorm weight applied to the attention output before the residual add (Gemma 3), or nil.
    public let postNorm: UnsafePointer<Float>?
    /// Which forms the normalized input and the attention output are read in.
    let inputNeeds: ActivationNeeds, outputNeeds: ActivationNeeds

    public init(norm: UnsafePointer<Float>, wq: Tensor, wk: Tensor, wv: Tensor, wo: Tensor,
                bq: UnsafePointer<Float>? = nil, bk: UnsafePointer<Float>? = nil, bv: UnsafePointer<Float>? = nil,
                qNorm: UnsafePointer<Float>? = nil, kNorm: UnsafePointer<Float>? = nil, postNorm: UnsafePointer<Float>? = nil) {
        self.norm = norm
        self.wq = wq
        self.wk = wk
        self.wv = wv
        self.wo = wo
        self.bq = bq
        self.bk = bk
        self.bv = bv
        self.qNorm = qNorm
        self.kNorm = kNorm
        self.postNorm = postNorm
        inputNeeds = ActivationNeeds(readers: wq, wk, wv)
        outputNeeds = ActivationNeeds(readers: wo)
    }

    /// The matrices, for sizing and reports.
    var matrices: [Tensor] { [wq, wk, wv, wo] }
}

/// One decoder block's gated feed-forward weights: `down(act(gate x) * up x)`.
public struct FeedForwardWeights: @unchecked Sendable {
    /// [dim] RMSNorm weight before gate and up.
    public let norm: UnsafePointer<Float>
    /// [hidden rows][dim] x 2, [dim rows][hidden]
    public let gate: Tensor, up: Tensor, down: Tensor
    /// [dim] RMSNorm weight applied to the output before the residual add (Gemma 3), or nil.
    public let postNorm: UnsafePointer<Float>?
    /// Which forms the normalized input and the gated activation are read in.
    let inputNeeds: ActivationNeeds, hiddenNeeds: ActivationNeeds

    public init(norm: UnsafePointer<Float>, gate: Tensor, up: Tensor, down: Tensor, postNorm: UnsafePointer<Float>? = nil) {
        self.norm = norm
        self.gate = gate
        self.up = up
        self.down = down
        self.postNorm = postNorm
        inputNeeds = ActivationNeeds(readers: gate, up)
        hiddenNeeds = ActivationNeeds(readers: down)
    }

    var matrices: [Tensor] { [gate, up, down] }
}

/// One decoder block.
public struct DecoderLayerWeights: Sendable {
    public let attention: AttentionWeights
    public let ffn: FeedForwardWeights
}

/// Views of every weight of a decoder, pointing into the mapped file (never copied).
public struct DecoderWeights: @unchecked Sendable {
    /// [vocab rows][dim]
    public let tokenEmbedding: Tensor
    public let layers: [DecoderLayerWeights]
    /// [dim]
    public let outputNorm: UnsafePointer<Float>
    /// [vocab rows][dim]; the embedding itself when the model ties them.
    public let output: Tensor
    /// True when `output.weight` is absent and the embedding is reused.
    public let tiedOutput: Bool
    let outputNeeds: ActivationNeeds

    public init(tokenEmbedding: Tensor, layers: [DecoderLayerWeights], outputNorm: UnsafePointer<Float>, output: Tensor?) {
        self.tokenEmbedding = tokenEmbedding
        self.layers = layers
        self.outputNorm = outputNorm
        self.output = output ?? tokenEmbedding
        tiedOutput = output == nil
        outputNeeds = ActivationNeeds(readers: self.output)
    }

    /// Every matrix a step multiplies by.
    var matrices: [Tensor] { layers.flatMap { $0.attention.matrices + $0.ffn.matrices } + [output] }

    /// Bytes of weight matrices one decode step reads: every layer's projections and the output
    /// head (the embedding is only looked up). Divided into a step's time, it is the weight
    /// bandwidth decode achieves.
    public var bytesReadPerStep: Int { matrices.reduce(0) { $0 + $1.rowBytes * $1.rows } }

    /// The scratch a forward pass over these weights needs.
    func scratchShape(dim: Int, qDim: Int, kvDim: Int, hidden: Int) -> DecoderScratchShape {
        DecoderScratchShape(dim: dim, qDim: qDim, kvDim: kvDim, hidden: hidden, reads: ActivationNeeds(readers: matrices))
    }
}

/// Resolving and shape-checking the tensors of an architecture, by GGUF name.
extension TensorTable {
    /// The `[rows][columns]` matrix `name` in a weight type.
    func matrix(_ name: String, columns: Int, rows: Int) throws(ModelFileError) -> Tensor {
        guard let t = tensor(named: name) else { throw .missingTensor(name) }
        guard t.dims.count <= 2, t.columns == columns, t.rows == rows else {
            throw .wrongShape(tensor: name, expected: [columns, rows], found: t.dims)
        }
        guard let dtype = t.type.dtype, dtype.isWeightType else { throw .unsupportedTensorType(tensor: name, type: t.type.name) }
        return Tensor(data: unsafeData(of: t), dtype: dtype, columns: columns, rows: rows)
    }

    /// The matrix `name` when the file has it.
    func optionalMatrix(_ name: String, columns: Int, rows: Int) throws(ModelFileError) -> Tensor? {
        tensor(named: name) == nil ? nil : try matrix(name, columns: columns, rows: rows)
    }

    /// The F32 vector `name` of `count` elements (norm weights, biases, RoPE factors).
    func vector(_ name: String, count: Int) throws(ModelFileError) -> UnsafePointer<Float> {
        guard let t = tensor(named: name) else { throw .missingTensor(name) }
        guard t.dims == [count] else { throw .wrongShape(tensor: name, expected: [count], found: t.dims) }
        guard t.type.dtype == .f32 else { throw .unsupportedTensorType(tensor: name, type: t.type.name + " (norm weights must be f32)") }
        // Kernels read these as Float: a file aligned to less than 4 bytes can misplace them.
        let data = unsafeData(of: t)
        guard Int(bitPattern: data) % MemoryLayout<Float>.alignment == 0 else {
            throw .misalignedTensor(tensor: name, offset: UInt64(t.offset), alignment: MemoryLayout<Float>.alignment)
        }
        let values = data.assumingMemoryBound(to: Float.self)
        try ModelFileError.checkFinite(values, count: count, tensor: name)
        return values
    }

    /// The F32 vector `name` copied out (RoPE frequency divisors), when the file has it.
    func optionalFactors(_ name: String, count: Int) throws(ModelFileError) -> [Float]? {
        try optionalVector(name, count: count).map { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// The vector `name` when the file has it.
    func optionalVector(_ name: String, count: Int) throws(ModelFileError) -> UnsafePointer<Float>? {
        tensor(named: name) == nil ? nil : try vector(name, count: count)
    }
}
