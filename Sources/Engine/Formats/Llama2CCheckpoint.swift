import Memory
import StrataRuntime

/// A llama2.c "legacy" checkpoint (`run.c` format): a header of seven int32 hyperparameters
/// followed by F32 weights in a fixed order. The weights are described with GGUF tensor
/// names so the same loader and forward pass serve both formats.
public final class Llama2CCheckpoint: TensorTable, @unchecked Sendable {
    public let file: MappedFile
    public let config: LlamaConfig
    /// The tensor table derived from the header.
    public let tensors: [GGUFTensorInfo]
    private let index: [String: Int]
    static let headerBytes = 28

    /// Opens and validates `path`.
    public convenience init(path: String) throws(ModelFileError) {
        let file = try MappedFile.modelFile(path)
        try self.init(file: file)
    }

    public init(file: MappedFile) throws(ModelFileError) {
        self.file = file
        var r = ByteReader(file.unsafeBytes, section: "llama2.c header")
        var header: [Int] = []
        for _ in 0..<7 { header.append(Int(try r.read(Int32.self))) }
        let names = ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"]
        if header[0] == 0x616b_3432 {  // "ak42": the newer export formats
            throw .invalidHyperparameter(name: "magic", value: "ak42", reason: "versioned llama2.c exports are not supported; use the legacy format or GGUF")
        }
        // A negative vocab_size marks an untied classifier (run.c convention).
        let sharedWeights = header[5] > 0
        for (i, v) in header.enumerated() where i != 5 && v <= 0 {
            throw .invalidHyperparameter(name: names[i], value: "\(v)", reason: "must be positive")
        }
        let vocab = abs(header[5])
        let config = LlamaConfig(dim: header[0], hiddenDim: header[1], layers: header[2], heads: header[3],
                                 kvHeads: header[4], vocabularySize: vocab, contextLength: header[6])
        try config.validate()
        self.config = config

        // The file's fixed order; each per-layer tensor is stored for all layers contiguously.
        let c = config
        let q = c.heads * c.headDim
        var tensors: [GGUFTensorInfo] = []
        var offset = 0
        let f32 = GGMLType(.f32)
        let available = file.size - Self.headerBytes
        // Checked as it goes, so hostile dimensions can neither overflow nor outrun the file.
        func add(_ name: String, _ dims: [Int]) throws(ModelFileError) {
            let bytes = dims.reduce(4, *)  // each factor is at most 2^20 (validated): no overflow
            guard bytes <= available - offset else {
                throw .truncated(section: "llama2.c tensor \(name)", offset: Self.headerBytes + offset, needed: bytes, fileSize: file.size)
            }
            tensors.append(GGUFTensorInfo(name: name, dims: dims, type: f32, offset: offset, byteCount: bytes))
            offset += bytes
        }
        func addLayers(_ suffix: String, _ dims: [Int]) throws(ModelFileError) {
            for l in 0..<c.layers { try add("blk.\(l).\(suffix)", dims) }
        }
        try add("token_embd.weight", [c.dim, vocab])
        try addLayers("attn_norm.weight", [c.dim])
        try addLayers("attn_q.weight", [c.dim, q])
        try addLayers("attn_k.weight", [c.dim, c.kvDim])
        try addLayers("attn_v.weight", [c.dim, c.kvDim])
        try addLayers("attn_output.weight", [q, c.dim])
        try addLayers("ffn_norm.weight", [c.dim])
        try addLayers("ffn_gate.weight", [c.dim, c.hiddenDim])
        try addLayers("ffn_down.weight", [c.hiddenDim, c.dim])
        try addLayers("ffn_up.weight", [c.dim, c.hiddenDim])
        try add("output_norm.weight", [c.dim])
        // Precomputed RoPE tables (unused: RoPE is computed), then the optional classifier.
        let ropeTables = c.contextLength * c.headDim / 2 * 4 * 2
        guard ropeTables <= available - offset else {
            throw .truncated(section: "llama2.c RoPE tables", offset: Self.headerBytes + offset, needed: ropeTables, fileSize: file.size)
        }
        offset += ropeTables
        if !sharedWeights { try add("output.weight", [c.dim, vocab]) }
        // run.c's layout ends exactly at the end of the file: bytes left over mean the header
        // does not describe these weights (every tensor would be misplaced).
        guard offset == available else {
            throw .invalidHyperparameter(
                name: "header", value: header.map(String.init).joined(separator: " "),
                reason: "describes \(offset) bytes of weights but the file holds \(available)")
        }
        self.tensors = tensors
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    public func tensor(named name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    public func unsafeData(of tensor: GGUFTensorInfo) -> UnsafeRawPointer {
        file.unsafeBytes.baseAddress! + Self.headerBytes + tensor.offset
    }
}
