import Memory
import StrataRuntime

/// Runs the Llama forward pass over a batch that mixes several sequences (prompt chunks and
/// single decode tokens), reading and writing KV through the paged cache. Every buffer is
/// sized once, at start-up, for `maxBatchTokens` tokens and `maxSequences` sequences, so a
/// step allocates nothing.
///
/// Use: `beginBatch()`, `add(...)` per sequence, `run()`, then `logits(entry:)`.
public final class LlamaRunner {
    public let model: LlamaModel
    public let pool: ThreadPool
    public let cache: PagedKVCache
    public let maxBatchTokens: Int
    public let maxSequences: Int

    private let rope: Rope
    private let maxBlocks: Int
    // The batch: entries (one per sequence) and tokens.
    /// [maxSequences] sequence of each entry
    private let entrySequence: AlignedBuffer<Int32>
    /// [maxSequences] first token index of each entry
    private let entryStart: AlignedBuffer<Int32>
    /// [maxSequences] token count of each entry
    private let entryCount: AlignedBuffer<Int32>
    /// [maxSequences] logits row of each entry, or -1
    private let entryLogitsRow: AlignedBuffer<Int32>
    /// [maxSequences, maxBlocks] page addresses of each entry's sequence
    private let pageTables: AlignedBuffer<UnsafeMutableRawPointer>
    /// [maxBatchTokens] token ids
    private let tokenIDs: AlignedBuffer<TokenID>
    /// [maxBatchTokens] entry of each token
    private let tokenEntry: AlignedBuffer<Int32>
    /// [maxBatchTokens] position of each token in its sequence
    private let tokenPosition: AlignedBuffer<Int32>
    private var entries = 0
    private var tokens = 0
    private var logitRows = 0

    // Activations.
    /// [maxBatchTokens, dim] residual stream
    private let x: AlignedBuffer<Float>
    /// [maxBatchTokens, dim] normalized input
    private let xb: AlignedBuffer<Float>
    /// [maxBatchTokens, heads * headDim]
    private let q: AlignedBuffer<Float>
    /// [maxBatchTokens, kvDim]
    private let k: AlignedBuffer<Float>
    /// [maxBatchTokens, kvDim]
    private let v: AlignedBuffer<Float>
    /// [maxBatchTokens, heads * headDim] attention output
    private let att: AlignedBuffer<Float>
    /// [maxBatchTokens, dim] projection output
    private let proj: AlignedBuffer<Float>
    /// [maxBatchTokens, hidden] gate, then SwiGLU output
    private let hb: AlignedBuffer<Float>
    /// [maxBatchTokens, hidden] up
    private let hb2: AlignedBuffer<Float>
    /// [maxBatchTokens] first batch token of each attention tile (a run of one entry's tokens)
    private let tileStart: AlignedBuffer<Int32>
    /// [maxBatchTokens] tokens in each attention tile
    private let tileTokens: AlignedBuffer<Int32>
    /// [pool threads, attentionScratchFloats] each participant's attention scratch
    private let attentionScratch: AlignedBuffer<Float>
    private let attentionScratchFloats: Int
    /// [maxSequences, dim] last hidden state of each entry that wants logits
    private let xLast: AlignedBuffer<Float>
    /// [maxSequences, vocab]
    private let logits: AlignedBuffer<Float>
    /// [max(maxBatchTokens, maxSequences), max(dim, heads * headDim, hidden)] 8-bit activations in 32-element blocks
    private let q8: Q8Buffer
    /// [max(maxBatchTokens, maxSequences), max(dim, heads * headDim, hidden)] 8-bit activations in 256-element blocks
    private let q8K: Q8Buffer
    /// [pool threads, max(packedMatmulScratch, packedQuantMatmulScratch)(widest input)] packed panels of float or quantized weights
    private let packedPanels: AlignedBuffer<Float>
    private let matmulScratch: MatmulScratch
    /// Per layer: which forms (floats, Q8) each matmul input must be produced in.
    private let needs: [LayerActivationNeeds]
    private let outputNeeds: ActivationNeeds

    /// A runner over `cache` (whose layout must match the model) for batches of at most
    /// `maxBatchTokens` tokens from at most `maxSequences` sequences.
    public init(model: LlamaModel, pool: ThreadPool, cache: PagedKVCache, maxBatchTokens: Int, maxSequences: Int) {
        let c = model.config
        precondition(cache.layout.layers == c.layers && cache.layout.kvDim == c.kvDim, "KV layout does not match the model")
        precondition(maxBatchTokens >= 1 && maxSequences >= 1)
        self.model = model
        self.pool = pool
        self.cache = cache
        self.maxBatchTokens = maxBatchTokens
        self.maxSequences = maxSequences
        self.maxBlocks = cache.maxBlocksPerSequence
        rope = Rope(headDim: c.headDim, ropeDims: c.ropeDimensions, base: c.ropeBase, style: c.ropeStyle)
        let qDim = c.heads * c.headDim
        entrySequence = AlignedBuffer(count: maxSequences)
        entryStart = AlignedBuffer(count: maxSequences)
        entryCount = AlignedBuffer(count: maxSequences)
        entryLogitsRow = AlignedBuffer(count: maxSequences)
        pageTables = AlignedBuffer(count: maxSequences * cache.maxBlocksPerSequence)
        tokenIDs = AlignedBuffer(count: maxBatchTokens)
        tokenEntry = AlignedBuffer(count: maxBatchTokens)
        tokenPosition = AlignedBuffer(count: maxBatchTokens)
        x = AlignedBuffer(count: maxBatchTokens * c.dim)
        xb = AlignedBuffer(count: maxBatchTokens * c.dim)
        q = AlignedBuffer(count: maxBatchTokens * qDim)
        k = AlignedBuffer(count: maxBatchTokens * c.kvDim)
        v = AlignedBuffer(count: maxBatchTokens * c.kvDim)
        att = AlignedBuffer(count: maxBatchTokens * qDim)
        proj = AlignedBuffer(count: maxBatchTokens * c.dim)
        hb = AlignedBuffer(count: maxBatchTokens * c.hiddenDim)
        hb2 = AlignedBuffer(count: maxBatchTokens * c.hiddenDim)
        tileStart = AlignedBuffer(count: maxBatchTokens)
        tileTokens = AlignedBuffer(count: maxBatchTokens)
        let group = c.heads / c.kvHeads
        attentionScratchFloats = Kernels.pagedAttentionScratch(
            queries: Kernels.pagedAttentionTokens(group: group) * group, blockTokens: cache.layout.blockTokens, headDim: c.headDim)
        attentionScratch = AlignedBuffer(count: pool.threadCount * attentionScratchFloats)
        xLast = AlignedBuffer(count: maxSequences * c.dim)
        logits = AlignedBuffer(count: maxSequences * c.vocabularySize)
        needs = model.weights.layers.map(LayerActivationNeeds.init)
        outputNeeds = ActivationNeeds(readers: model.weights.output)
        let all = needs.flatMap(\.all) + [outputNeeds]
        let anyQ8 = all.contains { $0.q8 }, anyQ8K = all.contains { $0.q8K }
        let widest = max(c.dim, qDim, c.hiddenDim)
        let activationRows = max(maxBatchTokens, maxSequences)
        q8 = Q8Buffer(elements: anyQ8 ? activationRows * widest : 0, format: .q8)
        q8K = Q8Buffer(elements: anyQ8K ? activationRows * widest : 0, format: .q8K)
        let anyFloat = all.contains { $0.floats }
        // Only batches pack panels, of float weights or of quantized ones.
        let floatPanels = anyFloat && maxBatchTokens >= Kernels.packedMatmulMinimumBatch ? Kernels.packedMatmulScratch(inDim: widest) : 0
        let quantPanels = (anyQ8 || anyQ8K) && maxBatchTokens >= Kernels.packedQuantMatmulSmallestBatch
            ? Kernels.packedQuantMatmulScratch(inDim: widest) : 0
        let perThread = max(floatPanels, quantPanels)
        packedPanels = AlignedBuffer(count: perThread * pool.threadCount)
        matmulScratch = MatmulScratch(base: packedPanels.pointer, floatsPerThread: perThread, threads: pool.threadCount)
    }

    /// Bytes of scratch this runner holds (sized at start-up).
    public var scratchBytes: Int {
        let floats = x.count + xb.count + q.count + k.count + v.count + att.count + proj.count + hb.count + hb2.count
            + xLast.count + logits.count + tileStart.count + tileTokens.count + attentionScratch.count + packedPanels.count
        return floats * MemoryLayout<Float>.stride + pageTables.count * MemoryLayout<UnsafeMutableRawPointer>.stride + q8.bytes + q8K.bytes
    }

    /// Starts an empty batch.
    public func beginBatch() {
        entries = 0
        tokens = 0
        logitRows = 0
    }

    /// Adds `newTokens` of `sequence` (appended after its cached tokens) to the batch and
    /// reserves their KV slots; returns the entry index. The sequence must be hot.
    @discardableResult
    public func add(_ sequence: SequenceID, tokens newTokens: UnsafeBufferPointer<TokenID>, wantLogits: Bool) throws(EvaluationError) -> Int {
        precondition(!newTokens.isEmpty, "a batch entry needs at least one token")
        guard entries < maxSequences, tokens + newTokens.count <= maxBatchTokens else {
            throw .batchTooLarge(tokens: tokens + newTokens.count, sequences: entries + 1, maxTokens: maxBatchTokens, maxSequences: maxSequences)
        }
        let vocab = model.config.vocabularySize
        for i in 0..<newTokens.count where newTokens[i] < 0 || Int(newTokens[i]) >= vocab {
            throw .invalidToken(newTokens[i], vocabularySize: vocab)
        }
        let start = cache.length(of: sequence)
        do {
            try cache.reserve(sequence, count: newTokens.count)
        } catch {
            if case .sequenceFull(let length, let adding, let capacity) = error {
                throw .contextFull(position: length, adding: adding, capacity: capacity)
            }
            throw .kvCache(error)
        }
        let e = entries
        entrySequence.pointer[e] = sequence.raw
        entryStart.pointer[e] = Int32(tokens)
        entryCount.pointer[e] = Int32(newTokens.count)
        entryLogitsRow.pointer[e] = wantLogits ? Int32(logitRows) : -1
        if wantLogits { logitRows += 1 }
        for i in 0..<newTokens.count {
            tokenIDs.pointer[tokens + i] = newTokens[i]
            tokenEntry.pointer[tokens + i] = Int32(e)
            tokenPosition.pointer[tokens + i] = Int32(start + i)
        }
        tokens += newTokens.count
        entries += 1
        return e
    }

    /// The logits after the last token of `entry` (which asked for them); valid until the next batch.
    public func logits(entry: Int) -> UnsafeBufferPointer<Float> {
        let row = Int(entryLogitsRow.pointer[entry])
        precondition(row >= 0, "entry \(entry) did not ask for logits")
        let vocab = model.config.vocabularySize
        return UnsafeBufferPointer(start: logits.pointer + row * vocab, count: vocab)
    }

    /// Runs the forward pass of the batch and commits its tokens to the cache.
    public func run() {
        guard tokens > 0 else { return }
        for e in 0..<entries {
            _ = cache.pageAddresses(SequenceID(raw: entrySequence.pointer[e]), into: pageTables.pointer + e * maxBlocks)
        }
        forward()
        for e in 0..<entries {
            let start = Int(entryStart.pointer[e]), count = Int(entryCount.pointer[e])
            cache.commit(SequenceID(raw: entrySequence.pointer[e]),
                         tokens: UnsafeBufferPointer(start: tokenIDs.pointer + start, count: count))
        }
    }

    private func forward() {
        let c = model.config
        let w = model.weights
        let n = tokens
        let dim = c.dim, kvDim = c.kvDim, headDim = c.headDim
        let qDim = c.heads * headDim
        let x = self.x.pointer, xb = self.xb.pointer, q = self.q.pointer, k = self.k.pointer, v = self.v.pointer
        let att = self.att.pointer, proj = self.proj.pointer, hb = self.hb.pointer, hb2 = self.hb2.pointer
        let pool = self.pool
        let layout = cache.layout
        let bt = layout.blockTokens

        for i in 0..<n {
            w.tokenEmbedding.dequantizeRow(Int(tokenIDs.pointer[i]), into: x + i * dim)
        }
        // Attention tiles: runs of one entry's tokens, sized so each call fills its query budget.
        let tileLength = Kernels.pagedAttentionTokens(group: c.heads / c.kvHeads)
        var tiles = 0
        for e in 0..<entries {
            var start = Int(entryStart.pointer[e])
            let end = start + Int(entryCount.pointer[e])
            while start < end {
                tileStart.pointer[tiles] = Int32(start)
                tileTokens.pointer[tiles] = Int32(min(tileLength, end - start))
                start += tileLength
                tiles += 1
            }
        }
        // Multiply-adds of a layer's attention, roughly: each token against the positions it sees.
        var attentionWork = 0
        for i in 0..<n { attentionWork += (Int(tokenPosition.pointer[i]) + 1) * 2 * c.heads * headDim }
        // Indexed, not `enumerated()`: unspecialized (debug) iteration boxes each large element.
        for l in 0..<w.layers.count {
            let layer = w.layers[l]
            let needs = self.needs[l]
            let xq = quantized(needs.attentionInput, rows: n, columns: dim)
            normalize(x, weight: layer.attentionNorm, rows: n, needs: needs.attentionInput, floats: xb, q8: xq)
            project(q, layer.wq, floats: xb, q8: xq, rows: n)
            project(k, layer.wk, floats: xb, q8: xq, rows: n)
            project(v, layer.wv, floats: xb, q8: xq, rows: n)
            for i in 0..<n {
                let position = Int(tokenPosition.pointer[i])
                rope.apply(q + i * qDim, heads: c.heads, position: position)
                rope.apply(k + i * kvDim, heads: c.kvHeads, position: position)
                let table = pageTables.pointer + Int(tokenEntry.pointer[i]) * maxBlocks
                Kernels.storeKV(key: k + i * kvDim, value: v + i * kvDim, page: table[position / bt],
                                layer: l, slot: position % bt, layout: layout)
            }

            // Causal attention: a token at position p sees positions 0 ... p of its sequence.
            var step = AttentionStep(
                out: att, q: q, pageTables: pageTables.pointer, tokenEntry: tokenEntry.pointer,
                tokenPosition: tokenPosition.pointer, tileStart: tileStart.pointer, tileTokens: tileTokens.pointer,
                tiles: tiles, scratch: attentionScratch.pointer, scratchFloats: attentionScratchFloats, layout: layout,
                layer: l, heads: c.heads, kvHeads: c.kvHeads, headDim: headDim, maxBlocks: maxBlocks,
                scale: 1 / Float(headDim).squareRoot())
            let items = tiles * c.kvHeads
            let grain = attentionWork < Kernels.parallelWorkThreshold ? items : 1
            withUnsafePointer(to: &step) { pool.parallelFor(items, grain: grain, context: UnsafeRawPointer($0), attentionTiles) }

            let attq = quantized(needs.attentionOutput, rows: n, columns: qDim)
            quantize(att, rows: n, columns: qDim, needs: needs.attentionOutput, into: attq)
            project(proj, layer.wo, floats: att, q8: attq, rows: n)
            Kernels.axpy(x, proj, alpha: 1, count: n * dim)

            let fq = quantized(needs.ffnInput, rows: n, columns: dim)
            normalize(x, weight: layer.ffnNorm, rows: n, needs: needs.ffnInput, floats: xb, q8: fq)
            project(hb, layer.gate, floats: xb, q8: fq, rows: n)
            project(hb2, layer.up, floats: xb, q8: fq, rows: n)
            let hq = quantized(needs.ffnHidden, rows: n, columns: c.hiddenDim)
            if needs.ffnHidden.forms > 1 || needs.ffnHidden.floats {
                Kernels.swiglu(gate: hb, up: hb2, count: n * c.hiddenDim)
                quantize(hb, rows: n, columns: c.hiddenDim, needs: needs.ffnHidden, into: hq)
            } else {
                Kernels.swigluQuantized(gate: hb, up: hb2, rows: n, columns: c.hiddenDim, into: needs.ffnHidden.q8K ? hq.q8K : hq.q8)
            }
            project(proj, layer.down, floats: hb, q8: hq, rows: n)
            Kernels.axpy(x, proj, alpha: 1, count: n * dim)
        }

        guard logitRows > 0 else { return }
        // The output head runs only on the last token of each entry that wants logits.
        for e in 0..<entries where entryLogitsRow.pointer[e] >= 0 {
            let last = Int(entryStart.pointer[e] + entryCount.pointer[e]) - 1
            (xLast.pointer + Int(entryLogitsRow.pointer[e]) * dim).update(from: x + last * dim, count: dim)
        }
        let lastq = quantized(outputNeeds, rows: logitRows, columns: dim)
        normalize(xLast.pointer, weight: w.outputNorm, rows: logitRows, needs: outputNeeds, floats: xLast.pointer, q8: lastq)
        project(logits.pointer, w.output, floats: xLast.pointer, q8: lastq, rows: logitRows)
    }

    /// Views of the quantized scratch for `rows` x `columns` in the formats `needs` asks for;
    /// empty views for the others (whose width need not be whole blocks: float-only models have
    /// odd widths).
    private func quantized(_ needs: ActivationNeeds, rows: Int, columns: Int) -> QuantizedActivation {
        QuantizedActivation(q8: q8.rows(needs.q8 ? rows : 0, columns: needs.q8 ? columns : 0),
                            q8K: q8K.rows(needs.q8K ? rows : 0, columns: needs.q8K ? columns : 0))
    }

    /// Quantizes `rows` float rows into every quantized form `needs` asks for.
    private func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int, needs: ActivationNeeds, into q: QuantizedActivation) {
        if needs.q8 { Kernels.quantizeRows(x, rows: rows, columns: columns, into: q.q8) }
        if needs.q8K { Kernels.quantizeRows(x, rows: rows, columns: columns, into: q.q8K) }
    }

    /// RMSNorm of `rows` rows of `x` into the forms its readers need: floats into `floats`
    /// (which may be `x`), and/or 8-bit rows (fused: no float pass when one quantized form is
    /// all that is read).
    private func normalize(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, rows: Int, needs: ActivationNeeds,
                           floats: UnsafeMutablePointer<Float>, q8: QuantizedActivation) {
        let c = model.config
        if needs.floats || needs.forms > 1 {
            Kernels.rmsNorm(out: floats, x: x, weight: weight, dim: c.dim, rows: rows, eps: c.normEpsilon)
            quantize(floats, rows: rows, columns: c.dim, needs: needs, into: q8)
        } else if needs.forms == 1 {
            Kernels.rmsNormQuantized(x: x, weight: weight, dim: c.dim, rows: rows, eps: c.normEpsilon,
                                     into: needs.q8K ? q8.q8K : q8.q8)
        }
    }

    /// out = input x weight^T, reading the input's quantized form for block-quantized weights and
    /// its floats otherwise.
    private func project(_ out: UnsafeMutablePointer<Float>, _ weight: Tensor, floats: UnsafePointer<Float>, q8: QuantizedActivation,
                         rows: Int) {
        if weight.dtype.isBlockQuantized {
            Kernels.matmul(out: out, x: q8.rows(for: weight.dtype), weight: weight, pool: pool, scratch: matmulScratch)
        } else {
            Kernels.matmul(out: out, x: floats, batch: rows, weight: weight, pool: pool, scratch: matmulScratch)
        }
    }
}

/// Everything an attention worker needs for one layer (trivial: dispatching it allocates nothing).
private struct AttentionStep {
    /// [tokens, heads * headDim]
    let out: UnsafeMutablePointer<Float>
    /// [tokens, heads * headDim]
    let q: UnsafeMutablePointer<Float>
    /// [entries, maxBlocks]
    let pageTables: UnsafeMutablePointer<UnsafeMutableRawPointer>
    /// [tokens]
    let tokenEntry: UnsafeMutablePointer<Int32>
    /// [tokens]
    let tokenPosition: UnsafeMutablePointer<Int32>
    /// [tiles]
    let tileStart: UnsafeMutablePointer<Int32>
    /// [tiles]
    let tileTokens: UnsafeMutablePointer<Int32>
    let tiles: Int
    /// [pool threads, scratchFloats]
    let scratch: UnsafeMutablePointer<Float>
    let scratchFloats: Int
    let layout: KVPageLayout
    let layer: Int, heads: Int, kvHeads: Int, headDim: Int, maxBlocks: Int
    let scale: Float
}

/// Attention of work items `first ..< end`, each one tile of tokens for one kv head; `context`
/// is an `AttentionStep`. Items run latest tile first: later tiles see more positions, so the
/// long ones start early and the short ones fill in at the end.
/// (A named function, not a closure literal: Swift 6.3's region analysis crashes on the latter.)
private func attentionTiles(_ context: UnsafeRawPointer, _ first: Int, _ end: Int, _ participant: Int) {
    let s = context.assumingMemoryBound(to: AttentionStep.self).pointee
    let qDim = s.heads * s.headDim
    for item in first..<end {
        let tile = s.tiles - 1 - item / s.kvHeads
        let start = Int(s.tileStart[tile])
        Kernels.pagedAttention(
            out: s.out + start * qDim, outStride: qDim, queries: s.q + start * qDim, queryStride: qDim,
            tokens: Int(s.tileTokens[tile]), firstPosition: Int(s.tokenPosition[start]),
            pages: s.pageTables + Int(s.tokenEntry[start]) * s.maxBlocks, layout: s.layout, layer: s.layer,
            kvHead: item % s.kvHeads, headCount: s.heads, kvHeads: s.kvHeads, headDim: s.headDim, scale: s.scale,
            scratch: s.scratch + participant * s.scratchFloats)
    }
}
