import StrataRuntime

/// Views of one encoder layer's weights. Matrices are [out rows][in columns] (PyTorch's
/// `Linear.weight`); vectors are F32.
public struct BertLayerWeights: @unchecked Sendable {
    /// [hidden rows][hidden], and [hidden] biases
    public let query: Tensor, key: Tensor, value: Tensor
    public let queryBias: UnsafePointer<Float>, keyBias: UnsafePointer<Float>, valueBias: UnsafePointer<Float>
    /// [hidden rows][hidden], [hidden]
    public let attentionOutput: Tensor
    public let attentionOutputBias: UnsafePointer<Float>
    /// [hidden] LayerNorm after attention
    public let attentionNormWeight: UnsafePointer<Float>, attentionNormBias: UnsafePointer<Float>
    /// [intermediate rows][hidden], [intermediate]
    public let intermediate: Tensor
    public let intermediateBias: UnsafePointer<Float>
    /// [hidden rows][intermediate], [hidden]
    public let output: Tensor
    public let outputBias: UnsafePointer<Float>
    /// [hidden] LayerNorm after the FFN
    public let outputNormWeight: UnsafePointer<Float>, outputNormBias: UnsafePointer<Float>
}

/// Views of every weight of a BERT encoder, pointing into the mapped safetensors file (never
/// copied). Hugging Face tensor names are mapped here and nowhere else; a `bert.` prefix
/// (checkpoints saved from a task model) is accepted.
public struct BertWeights: @unchecked Sendable {
    /// [vocab rows][hidden]
    public let wordEmbeddings: Tensor
    /// [maxPositions rows][hidden]
    public let positionEmbeddings: Tensor
    /// [typeVocabulary rows][hidden]
    public let tokenTypeEmbeddings: Tensor
    /// [hidden] LayerNorm of the embeddings
    public let embeddingNormWeight: UnsafePointer<Float>, embeddingNormBias: UnsafePointer<Float>
    public let layers: [BertLayerWeights]

    /// Resolves and shape-checks every tensor of `config` in `file`.
    public init(file: SafetensorsFile, config c: BertConfig) throws(ModelFileError) {
        let prefix = file.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        let names = TensorNames(file: file, prefix: prefix)
        wordEmbeddings = try names.matrix("embeddings.word_embeddings.weight", rows: c.vocabularySize, columns: c.hidden)
        positionEmbeddings = try names.matrix("embeddings.position_embeddings.weight", rows: c.maxPositions, columns: c.hidden)
        tokenTypeEmbeddings = try names.matrix("embeddings.token_type_embeddings.weight", rows: c.typeVocabularySize, columns: c.hidden)
        embeddingNormWeight = try names.vector("embeddings.LayerNorm.weight", count: c.hidden)
        embeddingNormBias = try names.vector("embeddings.LayerNorm.bias", count: c.hidden)
        var layers: [BertLayerWeights] = []
        for l in 0..<c.layers {
            let p = "encoder.layer.\(l)."
            layers.append(BertLayerWeights(
                query: try names.matrix(p + "attention.self.query.weight", rows: c.hidden, columns: c.hidden),
                key: try names.matrix(p + "attention.self.key.weight", rows: c.hidden, columns: c.hidden),
                value: try names.matrix(p + "attention.self.value.weight", rows: c.hidden, columns: c.hidden),
                queryBias: try names.vector(p + "attention.self.query.bias", count: c.hidden),
                keyBias: try names.vector(p + "attention.self.key.bias", count: c.hidden),
                valueBias: try names.vector(p + "attention.self.value.bias", count: c.hidden),
                attentionOutput: try names.matrix(p + "attention.output.dense.weight", rows: c.hidden, columns: c.hidden),
                attentionOutputBias: try names.vector(p + "attention.output.dense.bias", count: c.hidden),
                attentionNormWeight: try names.vector(p + "attention.output.LayerNorm.weight", count: c.hidden),
                attentionNormBias: try names.vector(p + "attention.output.LayerNorm.bias", count: c.hidden),
                intermediate: try names.matrix(p + "intermediate.dense.weight", rows: c.intermediate, columns: c.hidden),
                intermediateBias: try names.vector(p + "intermediate.dense.bias", count: c.intermediate),
                output: try names.matrix(p + "output.dense.weight", rows: c.hidden, columns: c.intermediate),
                outputBias: try names.vector(p + "output.dense.bias", count: c.hidden),
                outputNormWeight: try names.vector(p + "output.LayerNorm.weight", count: c.hidden),
                outputNormBias: try names.vector(p + "output.LayerNorm.bias", count: c.hidden)))
        }
        self.layers = layers
    }
}

/// Looks tensors up by their Hugging Face names and checks shapes and types.
private struct TensorNames {
    let file: SafetensorsFile
    let prefix: String

    func entry(_ name: String) throws(ModelFileError) -> SafetensorsFile.Entry {
        guard let entry = file.tensors[prefix + name] else { throw .missingTensor(prefix + name) }
        return entry
    }

    func matrix(_ name: String, rows: Int, columns: Int) throws(ModelFileError) -> Tensor {
        let e = try entry(name)
        guard e.shape == [rows, columns] else { throw .wrongShape(tensor: e.name, expected: [rows, columns], found: e.shape) }
        guard let dtype = e.dtype else { throw .unsupportedTensorType(tensor: e.name, type: e.dtypeName) }
        try checkAlignment(e, to: dtype == .f32 ? 4 : 2)
        return Tensor(data: file.unsafeData(of: e), dtype: dtype, columns: columns, rows: rows)
    }

    func vector(_ name: String, count: Int) throws(ModelFileError) -> UnsafePointer<Float> {
        let e = try entry(name)
        guard e.shape == [count] else { throw .wrongShape(tensor: e.name, expected: [count], found: e.shape) }
        guard e.dtypeName == "F32" else { throw .unsupportedTensorType(tensor: e.name, type: e.dtypeName + " (biases and norms must be F32)") }
        try checkAlignment(e, to: 4)
        let values = file.unsafeData(of: e).assumingMemoryBound(to: Float.self)
        try ModelFileError.checkFinite(values, count: count, tensor: e.name)
        return values
    }

    /// Kernels read elements in place: a file whose header length leaves them misaligned cannot be used as is.
    func checkAlignment(_ e: SafetensorsFile.Entry, to alignment: Int) throws(ModelFileError) {
        guard Int(bitPattern: file.unsafeData(of: e)) % alignment == 0 else {
            throw .misalignedTensor(tensor: e.name, offset: UInt64(e.offset), alignment: alignment)
        }
    }
}
