import Memory
import StrataRuntime

/// Runs the BERT encoder and the sentence-embedding head over a batch of several inputs of
/// different lengths, packed back to back (no padding: each token attends to the tokens of its
/// own input only, so nothing is computed for padding). Every buffer is sized once, at
/// start-up, for `maxBatchTokens` tokens; a batch allocates nothing.
///
/// Use: `beginBatch()`, `add(_:)` per input, `run()`, then `embedding(_:)`.
public final class BertEncoder {
    public let model: BertModel
    public let pool: ThreadPool
    /// Tokens of all inputs of one batch, at most.
    public let maxBatchTokens: Int
    /// Inputs of one batch, at most.
    public let maxSequences: Int

    // The batch.
    /// [maxBatchTokens] token ids
    private let tokenIDs: AlignedBuffer<TokenID>
    /// [maxSequences] first token of each input, and its token count
    private let sequenceStart: AlignedBuffer<Int32>
    private let sequenceCount: AlignedBuffer<Int32>
    public private(set) var tokens = 0
    public private(set) var sequences = 0

    // Activations.
    /// [maxBatchTokens, hidden] the residual stream
    private let x: AlignedBuffer<Float>
    /// [maxBatchTokens, hidden] each: queries, keys, values, attention output, projections
    private let q: AlignedBuffer<Float>, k: AlignedBuffer<Float>, v: AlignedBuffer<Float>
    private let context: AlignedBuffer<Float>, projection: AlignedBuffer<Float>
    /// [maxBatchTokens, intermediate]
    private let ffn: AlignedBuffer<Float>
    /// [pool threads, encoderAttentionScratch] each participant's attention scratch
    private let scores: AlignedBuffer<Float>
    private let scoresPerThread: Int
    /// [pool threads, packedMatmulScratch(widest)] packed weight panels
    private let panels: AlignedBuffer<Float>
    private let matmulScratch: MatmulScratch
    /// [maxSequences, hidden] sentence vectors
    private let output: AlignedBuffer<Float>

    /// An encoder for batches of at most `maxBatchTokens` tokens, raised to the model's
    /// maximum input length so that any one input fits.
    public init(model: BertModel, pool: ThreadPool, maxBatchTokens requested: Int) {
        let c = model.config
        let maxBatchTokens = Self.batchTokens(requested, config: c)
        self.model = model
        self.pool = pool
        self.maxBatchTokens = maxBatchTokens
        self.maxSequences = Self.sequences(batchTokens: maxBatchTokens)
        tokenIDs = AlignedBuffer(count: maxBatchTokens)
        sequenceStart = AlignedBuffer(count: self.maxSequences)
        sequenceCount = AlignedBuffer(count: self.maxSequences)
        x = AlignedBuffer(count: maxBatchTokens * c.hidden)
        q = AlignedBuffer(count: maxBatchTokens * c.hidden)
        k = AlignedBuffer(count: maxBatchTokens * c.hidden)
        v = AlignedBuffer(count: maxBatchTokens * c.hidden)
        context = AlignedBuffer(count: maxBatchTokens * c.hidden)
        projection = AlignedBuffer(count: maxBatchTokens * c.hidden)
        ffn = AlignedBuffer(count: maxBatchTokens * c.intermediate)
        scoresPerThread = Kernels.encoderAttentionScratch(maxTokens: c.maxSequenceLength, headDim: c.headDim)
        scores = AlignedBuffer(count: pool.threadCount * scoresPerThread)
        let perThread = Kernels.packedMatmulScratch(inDim: max(c.hidden, c.intermediate))
        panels = AlignedBuffer(count: pool.threadCount * perThread)
        matmulScratch = MatmulScratch(base: panels.pointer, floatsPerThread: perThread, threads: pool.threadCount)
        output = AlignedBuffer(count: self.maxSequences * c.hidden)
        assert(Self.scratchBytes(config: c, maxBatchTokens: maxBatchTokens, threads: pool.threadCount) == scratchBytes,
               "BertEncoder.scratchBytes(config:...) disagrees with the buffers")
    }

    /// Bytes of scratch this encoder holds (sized at start-up).
    public var scratchBytes: Int {
        let floats = x.count + q.count + k.count + v.count + context.count + projection.count + ffn.count + scores.count
            + panels.count + output.count
        return floats * MemoryLayout<Float>.stride + (tokenIDs.count + sequenceStart.count + sequenceCount.count) * 4
    }

    /// The batch size an encoder asked for `requested` tokens uses.
    static func batchTokens(_ requested: Int, config: BertConfig) -> Int { max(requested, config.maxSequenceLength) }

    /// Inputs a batch of `batchTokens` holds at most: each has at least [CLS] and [SEP].
    static func sequences(batchTokens: Int) -> Int { batchTokens / 2 }

    /// The bytes `init` would allocate for `config`, `maxBatchTokens` and a pool of `threads`
    /// (so a budget can refuse them before they exist), or nil when the count overflows.
    public static func scratchBytes(config c: BertConfig, maxBatchTokens: Int, threads: Int) -> Int? {
        let tokens = batchTokens(maxBatchTokens, config: c), sequences = sequences(batchTokens: tokens)
        let terms: [(Int, Int)] = [
            (tokens, 6 * c.hidden), (tokens, c.intermediate), (sequences, c.hidden),
            (threads, Kernels.encoderAttentionScratch(maxTokens: c.maxSequenceLength, headDim: c.headDim)),
            (threads, Kernels.packedMatmulScratch(inDim: max(c.hidden, c.intermediate))), (tokens + 2 * sequences, 1),
        ]
        var floats = 0
        for (a, b) in terms {
            let (product, overflow) = a.multipliedReportingOverflow(by: b)
            guard !overflow, product <= Int.max / 8 - floats else { return nil }
            floats += product
        }
        return floats * 4
    }

    /// Starts an empty batch.
    public func beginBatch() {
        tokens = 0
        sequences = 0
    }

    /// Whether an input of `count` tokens fits in the current batch.
    public func canAdd(tokens count: Int) -> Bool {
        sequences < maxSequences && count <= maxBatchTokens - tokens
    }

    /// Adds one input (`[CLS] ... [SEP]`, at most `maxSequenceLength` ids, each in the
    /// vocabulary); returns its index for `embedding(_:)`.
    @discardableResult
    public func add(_ ids: UnsafeBufferPointer<TokenID>) -> Int {
        let c = model.config
        precondition(ids.count >= 1 && ids.count <= c.maxSequenceLength,
                     "BertEncoder.add: \(ids.count) tokens, not in 1...\(c.maxSequenceLength)")
        precondition(canAdd(tokens: ids.count), "BertEncoder.add: the batch is full")
        let index = sequences
        sequenceStart.pointer[index] = Int32(tokens)
        sequenceCount.pointer[index] = Int32(ids.count)
        for i in 0..<ids.count {
            let id = ids[i]
            precondition(id >= 0 && Int(id) < c.vocabularySize, "BertEncoder.add: token \(id) out of the vocabulary")
            tokenIDs.pointer[tokens + i] = id
        }
        tokens += ids.count
        sequences += 1
        return index
    }

    /// The sentence vector of input `index` of the last `run()` (`hidden` floats, valid until
    /// the next batch).
    public func embedding(_ index: Int) -> UnsafeBufferPointer<Float> {
        precondition(index >= 0 && index < sequences, "BertEncoder.embedding: \(index) out of 0..<\(sequences)")
        let h = model.config.hidden
        return UnsafeBufferPointer(start: output.pointer + index * h, count: h)
    }

    /// Runs the encoder over the batch and pools each input into its sentence vector.
    public func run() {
        guard tokens > 0 else { return }
        let c = model.config
        let w = model.weights
        let n = tokens, h = c.hidden
        let x = self.x.pointer, q = self.q.pointer, k = self.k.pointer, v = self.v.pointer
        let context = self.context.pointer, projection = self.projection.pointer, ffn = self.ffn.pointer

        // Embeddings: word + position (within the input) + token type 0, then LayerNorm.
        for s in 0..<sequences {
            let start = Int(sequenceStart.pointer[s])
            for position in 0..<Int(sequenceCount.pointer[s]) {
                let row = x + (start + position) * h
                w.wordEmbeddings.dequantizeRow(Int(tokenIDs.pointer[start + position]), into: row)
                w.positionEmbeddings.dequantizeRow(position, into: projection)
                Kernels.axpy(row, projection, alpha: 1, count: h)
                w.tokenTypeEmbeddings.dequantizeRow(0, into: projection)
                Kernels.axpy(row, projection, alpha: 1, count: h)
            }
        }
        Kernels.layerNorm(out: x, x: x, weight: w.embeddingNormWeight, bias: w.embeddingNormBias, dim: h, rows: n,
                          eps: c.layerNormEpsilon)

        for l in 0..<w.layers.count {
            let layer = w.layers[l]
            linear(q, x, layer.query, layer.queryBias, columns: h)
            linear(k, x, layer.key, layer.keyBias, columns: h)
            linear(v, x, layer.value, layer.valueBias, columns: h)
            attend(out: context, q: q, k: k, v: v)
            linear(projection, context, layer.attentionOutput, layer.attentionOutputBias, columns: h)
            Kernels.axpy(x, projection, alpha: 1, count: n * h)
            Kernels.layerNorm(out: x, x: x, weight: layer.attentionNormWeight, bias: layer.attentionNormBias, dim: h,
                              rows: n, eps: c.layerNormEpsilon)
            linear(ffn, x, layer.intermediate, layer.intermediateBias, columns: c.intermediate, gelu: true)
            linear(projection, ffn, layer.output, layer.outputBias, columns: h)
            Kernels.axpy(x, projection, alpha: 1, count: n * h)
            Kernels.layerNorm(out: x, x: x, weight: layer.outputNormWeight, bias: layer.outputNormBias, dim: h,
                              rows: n, eps: c.layerNormEpsilon)
        }
        poolSentences()
    }

    /// out = input * weight^T + bias (then GELU), over the batch's rows.
    private func linear(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, _ weight: Tensor,
                        _ bias: UnsafePointer<Float>, columns: Int, gelu: Bool = false) {
        Kernels.matmul(out: out, x: input, batch: tokens, weight: weight, pool: pool, scratch: matmulScratch)
        var job = BiasJob(rows: out, bias: bias, columns: columns, gelu: gelu)
        let grain = tokens * columns < Kernels.parallelWorkThreshold ? tokens : max(1, tokens / (pool.threadCount * 4))
        withUnsafePointer(to: &job) { pool.parallelFor(tokens, grain: grain, context: UnsafeRawPointer($0), biasRows) }
    }

    /// Bidirectional attention: each token attends to every token of its own input. One pool
    /// item per (input, head).
    private func attend(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>) {
        let c = model.config
        var job = AttentionJob(
            out: out, q: q, k: k, v: v, sequenceStart: sequenceStart.pointer, sequenceCount: sequenceCount.pointer,
            scratch: scores.pointer, scratchPerThread: scoresPerThread, heads: c.heads, headDim: c.headDim,
            scale: 1 / Float(c.headDim).squareRoot())
        var work = 0
        for s in 0..<sequences { work += Int(sequenceCount.pointer[s]) * Int(sequenceCount.pointer[s]) }
        let items = sequences * c.heads
        let grain = work * c.hidden < Kernels.parallelWorkThreshold ? items : 1
        withUnsafePointer(to: &job) { pool.parallelFor(items, grain: grain, context: UnsafeRawPointer($0), attentionHeads) }
    }

    /// Mean (or [CLS]) pooling per input, then L2 normalization when the model asks for it.
    private func poolSentences() {
        let c = model.config
        let h = c.hidden
        for s in 0..<sequences {
            let start = Int(sequenceStart.pointer[s]), count = Int(sequenceCount.pointer[s])
            let out = output.pointer + s * h
            switch c.pooling {
            case .cls:
                out.update(from: x.pointer + start * h, count: h)
            case .mean:
                out.update(repeating: 0, count: h)
                for t in start..<(start + count) { Kernels.axpy(out, x.pointer + t * h, alpha: 1, count: h) }
                Kernels.scale(out, by: 1 / Float(count), count: h)
            }
            if c.normalize {
                let norm = Kernels.dot(out, out, count: h).squareRoot()
                Kernels.scale(out, by: 1 / max(norm, 1e-12), count: h)
            }
        }
    }
}

/// Adds a bias to rows (and applies GELU); one pool chunk is a range of rows.
private struct BiasJob {
    let rows: UnsafeMutablePointer<Float>
    let bias: UnsafePointer<Float>
    let columns: Int
    let gelu: Bool
}

private func biasRows(_ context: UnsafeRawPointer, _ start: Int, _ end: Int) {
    let job = context.assumingMemoryBound(to: BiasJob.self).pointee
    for r in start..<end {
        let row = job.rows + r &* job.columns
        Kernels.axpy(row, job.bias, alpha: 1, count: job.columns)
        if job.gelu { Kernels.geluErf(row, count: job.columns) }
    }
}

/// Attention for (input, head) items of a packed batch.
private struct AttentionJob {
    let out: UnsafeMutablePointer<Float>
    let q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
    let sequenceStart: UnsafePointer<Int32>, sequenceCount: UnsafePointer<Int32>
    let scratch: UnsafeMutablePointer<Float>
    let scratchPerThread: Int
    let heads: Int, headDim: Int
    let scale: Float
}

private func attentionHeads(_ context: UnsafeRawPointer, _ start: Int, _ end: Int, _ participant: Int) {
    let job = context.assumingMemoryBound(to: AttentionJob.self).pointee
    let stride = job.heads &* job.headDim
    for item in start..<end {
        let s = item / job.heads, head = item % job.heads
        let offset = Int(job.sequenceStart[s]) &* stride &+ head &* job.headDim
        Kernels.encoderAttention(out: job.out + offset, q: job.q + offset, k: job.k + offset, v: job.v + offset,
                                 stride: stride, tokens: Int(job.sequenceCount[s]), headDim: job.headDim, scale: job.scale,
                                 scratch: job.scratch + participant &* job.scratchPerThread)
    }
}

extension BertEncoder {
    /// The sentence vectors of `inputs` (each at most `maxSequenceLength` tokens), in order,
    /// run in as few batches as the token budget allows.
    public func embedAll(_ inputs: [[TokenID]]) -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(inputs.count)
        var next = 0
        while next < inputs.count {
            beginBatch()
            let first = next
            while next < inputs.count, canAdd(tokens: inputs[next].count) {
                inputs[next].withUnsafeBufferPointer { _ = add($0) }
                next += 1
            }
            run()
            for index in 0..<(next - first) { vectors.append(Array(embedding(index))) }
        }
        return vectors
    }
}
