import StrataRuntime

/// Views of one decoder block's weights. Matrices are [out rows][in columns].
public struct LlamaLayerWeights: @unchecked Sendable {
    /// [dim], F32
    public let attentionNorm: UnsafePointer<Float>
    /// [dim rows][dim]
    public let wq: Tensor
    /// [kvDim rows][dim]
    public let wk: Tensor
    /// [kvDim rows][dim]
    public let wv: Tensor
    /// [dim rows][dim]
    public let wo: Tensor
    /// [dim], F32
    public let ffnNorm: UnsafePointer<Float>
    /// [hidden rows][dim]
    public let gate: Tensor
    /// [hidden rows][dim]
    public let up: Tensor
    /// [dim rows][hidden]
    public let down: Tensor
}

/// Views of every weight of a Llama model, pointing into the mapped file (never copied).
public struct LlamaWeights: @unchecked Sendable {
    /// [vocab rows][dim]
    public let tokenEmbedding: Tensor
    public let layers: [LlamaLayerWeights]
    /// [dim], F32
    public let outputNorm: UnsafePointer<Float>
    /// [vocab rows][dim]; the embedding itself when the model ties them.
    public let output: Tensor
    /// True when `output.weight` is absent and the embedding is reused.
    public let tiedOutput: Bool

    /// Bytes of weight matrices one decode step reads: every layer's projections and the output
    /// head (the embedding is only looked up). Divided into a step's time, it is the weight
    /// bandwidth decode achieves.
    public var bytesReadPerStep: Int {
        var total = output.rowBytes * output.rows
        for layer in layers {
            for t in [layer.wq, layer.wk, layer.wv, layer.wo, layer.gate, layer.up, layer.down] { total += t.rowBytes * t.rows }
        }
        return total
    }

    /// Resolves and shape-checks every tensor the architecture needs.
    public init(table: TensorTable, config c: LlamaConfig) throws(ModelFileError) {
        let q = c.heads * c.headDim
        tokenEmbedding = try Self.matrix(table, "token_embd.weight", columns: c.dim, rows: c.vocabularySize)
        outputNorm = try Self.vector(table, "output_norm.weight", count: c.dim)
        if table.tensor(named: "output.weight") != nil {
            output = try Self.matrix(table, "output.weight", columns: c.dim, rows: c.vocabularySize)
            tiedOutput = false
        } else {
            output = tokenEmbedding
            tiedOutput = true
        }
        var layers: [LlamaLayerWeights] = []
        layers.reserveCapacity(c.layers)
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            layers.append(LlamaLayerWeights(
                attentionNorm: try Self.vector(table, p + "attn_norm.weight", count: c.dim),
                wq: try Self.matrix(table, p + "attn_q.weight", columns: c.dim, rows: q),
                wk: try Self.matrix(table, p + "attn_k.weight", columns: c.dim, rows: c.kvDim),
                wv: try Self.matrix(table, p + "attn_v.weight", columns: c.dim, rows: c.kvDim),
                wo: try Self.matrix(table, p + "attn_output.weight", columns: q, rows: c.dim),
                ffnNorm: try Self.vector(table, p + "ffn_norm.weight", count: c.dim),
                gate: try Self.matrix(table, p + "ffn_gate.weight", columns: c.dim, rows: c.hiddenDim),
                up: try Self.matrix(table, p + "ffn_up.weight", columns: c.dim, rows: c.hiddenDim),
                down: try Self.matrix(table, p + "ffn_down.weight", columns: c.hiddenDim, rows: c.dim)))
        }
        self.layers = layers
    }

    static func matrix(_ table: TensorTable, _ name: String, columns: Int, rows: Int) throws(ModelFileError) -> Tensor {
        guard let t = table.tensor(named: name) else { throw .missingTensor(name) }
        guard t.dims.count <= 2, t.columns == columns, t.rows == rows else {
            throw .wrongShape(tensor: name, expected: [columns, rows], found: t.dims)
        }
        guard let dtype = t.type.dtype, dtype.isWeightType else { throw .unsupportedTensorType(tensor: name, type: t.type.name) }
        return Tensor(data: table.unsafeData(of: t), dtype: dtype, columns: columns, rows: rows)
    }

    static func vector(_ table: TensorTable, _ name: String, count: Int) throws(ModelFileError) -> UnsafePointer<Float> {
        guard let t = table.tensor(named: name) else { throw .missingTensor(name) }
        guard t.dims == [count] else { throw .wrongShape(tensor: name, expected: [count], found: t.dims) }
        guard t.type.dtype == .f32 else { throw .unsupportedTensorType(tensor: name, type: t.type.name + " (norm weights must be f32)") }
        // Kernels read norm weights as Float: a file aligned to less than 4 bytes can misplace them.
        let data = table.unsafeData(of: t)
        guard Int(bitPattern: data) % MemoryLayout<Float>.alignment == 0 else {
            throw .misalignedTensor(tensor: name, offset: UInt64(t.offset), alignment: MemoryLayout<Float>.alignment)
        }
        return data.assumingMemoryBound(to: Float.self)
    }
}
