/// Where each layer's K and V live. A model mixing full-attention and sliding-window layers
/// (Gemma 3) keeps its sliding layers in pages of their own ("window pages"), so that the
/// pages of positions that have left the window can be released while the full layers' pages
/// stay; every other model keeps all its layers in one page per block.
public struct KVLayerPlan: Sendable, Equatable {
    /// Layers in the full pages, and in the window pages.
    public let fullLayers: Int
    public let windowLayers: Int
    /// Positions a window layer attends to (0 when there are no window pages).
    public let window: Int
    /// [layers] each layer's index in the full pages (>= 0), or `-1 - index` in the window pages.
    public let places: [Int32]

    /// The plan for a model whose layer `l` attends to `windows[l]` positions (0: all). Window
    /// pages exist when there are layers of both kinds and the sliding ones share one window.
    public init(windows: [Int]) {
        let sliding = windows.filter { $0 > 0 }
        let split = !sliding.isEmpty && sliding.count < windows.count && Set(sliding).count == 1
        var full: Int32 = 0, windowed: Int32 = 0
        places = windows.map { w in
            if split && w > 0 {
                defer { windowed += 1 }
                return -1 - windowed
            }
            defer { full += 1 }
            return full
        }
        fullLayers = Int(full)
        windowLayers = Int(windowed)
        window = split ? sliding[0] : 0
    }

    /// Whether sliding layers have pages of their own.
    public var hasWindowPages: Bool { windowLayers > 0 }
}
