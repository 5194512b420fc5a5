import StrataRuntime

/// The shape of a random-weight model, whatever its architecture (each maps it to its own
/// hyperparameters and tensors).
public struct SynthShape: Sendable {
    public var dim: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    /// Width of one head (Llama-style families need `dim / heads`).
    public var headDim: Int
    public var vocabularySize: Int
    public var contextLength: Int
    /// Whether the output head is the embedding (no `output.weight`).
    public var tiedOutput: Bool
    /// Whether to write RoPE frequency divisors (Llama 3.1's `rope_freqs.weight`).
    public var ropeFactors = false
    /// The sliding window to state (`attention.sliding_window`), or nil for the architecture's
    /// default (none for Llama).
    public var slidingWindow: Int?
    /// The context the RoPE was trained for before long-context extension
    /// (`rope.scaling.original_context_length`, Phi-3), or nil for none.
    public var originalContextLength: Int?

    public init(dim: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int, headDim: Int? = nil, vocabularySize: Int,
                contextLength: Int, tiedOutput: Bool) {
        self.dim = dim
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim ?? dim / max(1, heads)
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.tiedOutput = tiedOutput
    }

    /// The shape of a Llama config.
    public init(_ c: LlamaConfig, tiedOutput: Bool) {
        self.init(dim: c.dim, hidden: c.hiddenDim, layers: c.layers, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                  vocabularySize: c.vocabularySize, contextLength: c.contextLength, tiedOutput: tiedOutput)
    }
}

/// What an architecture's GGUF holds: its metadata (besides `general.*` and `tokenizer.*`) and
/// its tensors, each with how random values are drawn for it.
public struct SynthSpec: Sendable {
    public enum Role: Sendable {
        /// A weight matrix, uniform with standard deviation 0.02, stored in the requested type.
        case matrix
        /// A norm weight: ones, or with `varied` draws uniform in [0.75, 1.25] (catches a norm
        /// applied in the wrong place, which ones hide). F32.
        case norm
        /// A bias: uniform with standard deviation 0.02. F32.
        case bias
        /// RoPE frequency divisors: uniform in [1, 4]. F32.
        case ropeFactors
    }

    public struct Entry: Sendable {
        public let name: String
        /// GGUF order: `[columns, rows]` for matrices, `[count]` for vectors.
        public let dims: [Int]
        public let role: Role
    }

    public var architecture: String
    public var metadata: [(String, GGUFValue)] = []
    public var tensors: [Entry] = []

    public init(architecture: String) {
        self.architecture = architecture
    }

    /// Adds `architecture.key = value`.
    public mutating func add(_ key: String, _ value: GGUFValue) { metadata.append(("\(architecture).\(key)", value)) }

    /// Adds a tensor.
    public mutating func tensor(_ name: String, _ dims: [Int], _ role: Role = .matrix) {
        tensors.append(Entry(name: name, dims: dims, role: role))
    }
}

/// Writes random-weight GGUF files of any registered architecture, for speed work and for
/// checking an architecture against llama.cpp on the same file. The tokenizer metadata is
/// copied from a real vocabulary file; values come from a seeded generator, so a (spec, type,
/// seed) always gives the same bytes.
public enum ModelSynth {
    /// Writes `spec` with its matrices in `type` to `path`. `vocabulary` supplies the
    /// `tokenizer.*` keys and must have `vocabularySize` tokens.
    public static func write(_ spec: SynthSpec, vocabularySize: Int, type: DType, vocabulary: GGUFFile, name: String, seed: UInt64,
                             variedNorms: Bool = false, to path: String, progress: (Int, Int) -> Void = { _, _ in }) throws {
        guard let fileType = fileType(type), Quantization.canQuantize(to: type) else {
            throw ModelFileError.invalidHyperparameter(name: "type", value: "\(type)", reason: "random weights cannot be written in this type")
        }
        let tokens = vocabulary.metadata["tokenizer.ggml.tokens"]?.array?.count ?? 0
        guard tokens == vocabularySize else {
            throw ModelFileError.invalidTokenizer("the vocabulary file has \(tokens) tokens, the shape needs \(vocabularySize)")
        }
        var w = GGUFWriter()
        w.add("general.architecture", .string(spec.architecture))
        w.add("general.name", .string(name))
        w.add("general.file_type", .uint32(fileType))
        for (key, value) in spec.metadata { w.add(key, value) }
        for key in vocabulary.metadataKeys where key.hasPrefix("tokenizer.") {
            w.add(key, vocabulary.metadata[key]!)
        }
        var roles: [String: SynthSpec.Role] = [:]
        for t in spec.tensors {
            try w.addTensor(t.name, dims: t.dims, type: GGMLType(t.role == .matrix ? type : .f32))
            roles[t.name] = t.role
        }

        var random = SeededGenerator(seed: seed)
        let amplitude: Float = 0.02 * Float(3).squareRoot()
        let rowFloats = UnsafeMutablePointer<Float>.allocate(capacity: w.tensors.map(\.columns).max() ?? 1)
        defer { rowFloats.deallocate() }
        let total = w.tensors.count
        var done = 0
        try w.write(to: path) { info, bytes in
            let role = roles[info.name] ?? .matrix
            let rowBytes = info.type.dtype!.rowBytes(info.columns)!
            for r in 0..<info.rows {
                for i in 0..<info.columns {
                    switch role {
                    case .matrix, .bias: rowFloats[i] = (random.nextUnitFloat() * 2 - 1) * amplitude
                    case .norm: rowFloats[i] = variedNorms ? 0.75 + random.nextUnitFloat() * 0.5 : 1
                    case .ropeFactors: rowFloats[i] = 1 + random.nextUnitFloat() * 3
                    }
                }
                Quantization.quantize(rowFloats, count: info.columns, to: info.type.dtype!,
                                      into: bytes.baseAddress! + r * rowBytes)
            }
            done += 1
            progress(done, total)
        }
    }

    /// llama.cpp's `general.file_type` (`llama_ftype`) for a model whose matrices are all
    /// `type` (`LlamaFileType(mostly:)`); nil for Q8_K, which no model stores.
    public static func fileType(_ type: DType) -> UInt32? {
        LlamaFileType(mostly: type)?.rawValue
    }
}
