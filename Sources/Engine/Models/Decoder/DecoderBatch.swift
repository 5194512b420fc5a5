import Memory
import StrataRuntime

/// One forward pass's worth of work, whatever the architecture: entries (one per sequence,
/// a prompt chunk or one decode token), each token's id and position, the sequences' page
/// tables, which entries want logits, and the logits themselves. Every buffer is sized once for
/// `maxBatchTokens` tokens and `maxSequences` entries, so building and running a batch
/// allocates nothing.
///
/// Use: `begin()`, `add(...)` per sequence, then a runner's pass (`prepare`, the model's
/// `forward`, `commit`), then `logits(entry:)`.
public final class DecoderBatch {
    public let cache: PagedKVCache
    public let vocabularySize: Int
    public let maxBatchTokens: Int
    public let maxSequences: Int
    let maxBlocks: Int
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
    /// [maxSequences, maxBlocks] window page addresses, when the cache has window pages (else one slot)
    private let windowPageTables: AlignedBuffer<UnsafeMutableRawPointer>
    /// `windowPageTables` when the cache has window pages.
    private var windowTables: UnsafeMutablePointer<UnsafeMutableRawPointer>? { cache.plan.hasWindowPages ? windowPageTables.pointer : nil }
    /// [layers] `KVLayerPlan.places`
    private let kvPlaces: AlignedBuffer<Int32>
    /// [maxBatchTokens] token ids
    private let tokenIDs: AlignedBuffer<TokenID>
    /// [maxBatchTokens] entry of each token
    private let tokenEntry: AlignedBuffer<Int32>
    /// [maxBatchTokens] position of each token in its sequence
    private let tokenPosition: AlignedBuffer<Int32>
    /// [maxBatchTokens] first batch token of each attention tile (a run of one entry's tokens)
    private let tileStart: AlignedBuffer<Int32>
    /// [maxBatchTokens] tokens in each attention tile
    private let tileTokens: AlignedBuffer<Int32>
    /// [maxSequences, vocab] logits of the entries that want them, in logits-row order
    public let logits: AlignedBuffer<Float>
    /// Entries, tokens and logits rows in the batch being built.
    public private(set) var entries = 0
    public private(set) var tokens = 0
    public private(set) var logitRows = 0
    /// The batch as attention and RoPE see it, from the last `prepare`.
    public private(set) var attention: AttentionBatch

    /// A batch over `cache` for at most `maxBatchTokens` tokens from `maxSequences` sequences of a
    /// model with `vocabularySize` tokens.
    public init(cache: PagedKVCache, vocabularySize: Int, maxBatchTokens: Int, maxSequences: Int) {
        precondition(maxBatchTokens >= 1 && maxSequences >= 1)
        self.cache = cache
        self.vocabularySize = vocabularySize
        self.maxBatchTokens = maxBatchTokens
        self.maxSequences = maxSequences
        maxBlocks = cache.maxBlocksPerSequence
        entrySequence = AlignedBuffer(count: maxSequences)
        entryStart = AlignedBuffer(count: maxSequences)
        entryCount = AlignedBuffer(count: maxSequences)
        entryLogitsRow = AlignedBuffer(count: maxSequences)
        pageTables = AlignedBuffer(count: maxSequences * cache.maxBlocksPerSequence)
        windowPageTables = AlignedBuffer(count: cache.plan.hasWindowPages ? maxSequences * cache.maxBlocksPerSequence : 1)
        kvPlaces = AlignedBuffer(count: cache.plan.places.count)
        for (l, place) in cache.plan.places.enumerated() { kvPlaces.pointer[l] = place }
        tokenIDs = AlignedBuffer(count: maxBatchTokens)
        tokenEntry = AlignedBuffer(count: maxBatchTokens)
        tokenPosition = AlignedBuffer(count: maxBatchTokens)
        tileStart = AlignedBuffer(count: maxBatchTokens)
        tileTokens = AlignedBuffer(count: maxBatchTokens)
        logits = AlignedBuffer(count: maxSequences * vocabularySize)
        attention = AttentionBatch(
            tokens: 0, tokenEntry: tokenEntry.pointer, tokenPosition: tokenPosition.pointer, pageTables: pageTables.pointer,
            maxBlocks: maxBlocks, tileStart: tileStart.pointer, tileTokens: tileTokens.pointer, tiles: 0, work: 0,
            layout: cache.layout, windowPageTables: cache.plan.hasWindowPages ? UnsafePointer(windowPageTables.pointer) : nil,
            windowLayout: cache.windowLayout, kvPlaces: kvPlaces.pointer)
    }

    /// Bytes of the batch's buffers.
    public var bytes: Int {
        let int32s = entrySequence.count + entryStart.count + entryCount.count + entryLogitsRow.count + tokenIDs.count
            + tokenEntry.count + tokenPosition.count + tileStart.count + tileTokens.count
        let tables = pageTables.count + windowPageTables.count
        return (int32s + kvPlaces.count) * 4 + logits.count * MemoryLayout<Float>.stride + tables * MemoryLayout<UnsafeMutableRawPointer>.stride
    }

    /// Starts an empty batch.
    public func begin() {
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
        for i in 0..<newTokens.count where newTokens[i] < 0 || Int(newTokens[i]) >= vocabularySize {
            throw .invalidToken(newTokens[i], vocabularySize: vocabularySize)
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
        return UnsafeBufferPointer(start: logits.pointer + row * vocabularySize, count: vocabularySize)
    }

    /// The token ids of the batch, in entry order.
    public var tokenIDPointer: UnsafePointer<TokenID> { UnsafePointer(tokenIDs.pointer) }

    /// The logits row of `entry`, or -1 when it did not ask for logits.
    public func logitsRow(of entry: Int) -> Int { Int(entryLogitsRow.pointer[entry]) }

    /// The batch index of `entry`'s last token.
    public func lastToken(of entry: Int) -> Int { Int(entryStart.pointer[entry] + entryCount.pointer[entry]) - 1 }

    /// Looks up the entries' page tables and cuts each entry's tokens into attention tiles of at
    /// most `Kernels.pagedAttentionTokens(group:)` tokens: the batch as attention sees it
    /// (`attention`).
    public func prepare(attentionGroup group: Int) {
        for e in 0..<entries {
            _ = cache.pageAddresses(SequenceID(raw: entrySequence.pointer[e]), into: pageTables.pointer + e * maxBlocks,
                                    windowPages: windowTables.map { $0 + e * maxBlocks })
        }
        let tileLength = Kernels.pagedAttentionTokens(group: group)
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
        var work = 0
        for i in 0..<tokens { work += Int(tokenPosition.pointer[i]) + 1 }
        attention = AttentionBatch(
            tokens: tokens, tokenEntry: tokenEntry.pointer, tokenPosition: tokenPosition.pointer,
            pageTables: pageTables.pointer, maxBlocks: maxBlocks, tileStart: tileStart.pointer,
            tileTokens: tileTokens.pointer, tiles: tiles, work: work, layout: cache.layout,
            windowPageTables: windowTables.map { UnsafePointer($0) }, windowLayout: cache.windowLayout,
            kvPlaces: kvPlaces.pointer)
    }

    /// Commits every entry's tokens to its sequence in the cache (after the forward pass wrote their KV).
    public func commit() {
        for e in 0..<entries {
            let start = Int(entryStart.pointer[e]), count = Int(entryCount.pointer[e])
            cache.commit(SequenceID(raw: entrySequence.pointer[e]),
                         tokens: UnsafeBufferPointer(start: tokenIDs.pointer + start, count: count))
        }
    }
}
