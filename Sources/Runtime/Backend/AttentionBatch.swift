/// The batch as attention and RoPE see it: each token's sequence (entry), position and page
/// table, and the tiles (runs of one entry's consecutive tokens) attention works in. Views of
/// buffers the batch owner sized once; valid for one forward pass. (Trivial: passing it copies
/// pointers, nothing is retained.)
public struct AttentionBatch {
    /// Tokens in the pass.
    public let tokens: Int
    /// [tokens] entry of each token.
    public let tokenEntry: UnsafePointer<Int32>
    /// [tokens] position of each token in its sequence.
    public let tokenPosition: UnsafePointer<Int32>
    /// [entries, maxBlocks] page addresses of each entry's sequence.
    public let pageTables: UnsafePointer<UnsafeMutableRawPointer>
    public let maxBlocks: Int
    /// [tiles] first token and token count of each attention tile.
    public let tileStart: UnsafePointer<Int32>
    public let tileTokens: UnsafePointer<Int32>
    public let tiles: Int
    /// Positions the tokens see, summed (each token sees its sequence up to itself): a layer's
    /// attention work per unit of head width, for deciding whether to spread it over threads.
    public let work: Int
    /// How the pages hold K and V.
    public let layout: KVPageLayout
    /// [entries, maxBlocks] addresses of each entry's window pages (sliding layers kept apart,
    /// `KVLayerPlan`), and their layout; the full pages and layout when there are none. Pages
    /// that have left every window are not valid addresses.
    public let windowPageTables: UnsafePointer<UnsafeMutableRawPointer>
    public let windowLayout: KVPageLayout
    /// [layers] `KVLayerPlan.places`: each layer's index in the full (>= 0) or window pages.
    public let kvPlaces: UnsafePointer<Int32>

    public init(tokens: Int, tokenEntry: UnsafePointer<Int32>, tokenPosition: UnsafePointer<Int32>,
                pageTables: UnsafePointer<UnsafeMutableRawPointer>, maxBlocks: Int, tileStart: UnsafePointer<Int32>,
                tileTokens: UnsafePointer<Int32>, tiles: Int, work: Int, layout: KVPageLayout,
                windowPageTables: UnsafePointer<UnsafeMutableRawPointer>? = nil, windowLayout: KVPageLayout? = nil,
                kvPlaces: UnsafePointer<Int32>) {
        self.tokens = tokens
        self.tokenEntry = tokenEntry
        self.tokenPosition = tokenPosition
        self.pageTables = pageTables
        self.maxBlocks = maxBlocks
        self.tileStart = tileStart
        self.tileTokens = tileTokens
        self.tiles = tiles
        self.work = work
        self.layout = layout
        self.windowPageTables = windowPageTables ?? pageTables
        self.windowLayout = windowLayout ?? layout
        self.kvPlaces = kvPlaces
    }

    /// Where `layer`'s K and V live: the page tables that hold it, their layout, and its index in them.
    @inline(__always)
    public func kv(_ layer: Int) -> KVPlace {
        let place = Int(kvPlaces[layer])
        return place >= 0 ? KVPlace(tables: pageTables, layout: layout, layer: place)
            : KVPlace(tables: windowPageTables, layout: windowLayout, layer: -1 - place)
    }

    /// The page table (in `place`'s tables) of token `i`'s sequence.
    @inline(__always)
    public func pages(ofToken i: Int, in place: KVPlace) -> UnsafePointer<UnsafeMutableRawPointer> {
        place.tables + Int(tokenEntry[i]) &* maxBlocks
    }
}

/// One layer's K and V in the cache: the page tables holding them, their layout, and the
/// layer's index in that layout.
public struct KVPlace {
    public let tables: UnsafePointer<UnsafeMutableRawPointer>
    public let layout: KVPageLayout
    public let layer: Int
}

/// One layer's attention: which KV it reads and how its heads are shaped.
public struct AttentionLayer: Sendable {
    /// The KV layer.
    public let layer: Int
    public let heads: Int
    public let kvHeads: Int
    public let headDim: Int
    /// Scores are `q . k * scale`.
    public let scale: Float
    /// Positions a token sees, itself included, in a sliding-window layer; 0: every earlier one.
    public let window: Int

    public init(layer: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float, window: Int = 0) {
        self.layer = layer
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.scale = scale
        self.window = window
    }
}
