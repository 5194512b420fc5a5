import TestSupport
@testable import StrataRuntime

/// KV pages for tests: a slab of `2 * count + 1` pages, every byte 0xFF (NaN in every KV type,
/// so a read of anything never stored poisons the result), and a block table that lends
/// `count` of them in a scrambled order (non-contiguous, non-monotonic addresses).
final class TestPages {
    let layout: KVPageLayout
    /// Pages in the block table.
    let count: Int
    /// `[2 * count + 1, pageBytes]` bytes
    private let slab: UnsafeMutableRawPointer
    /// `[count]` page base addresses: the block table
    let table: UnsafeMutablePointer<UnsafeMutableRawPointer>

    /// Enough pages for `positions` tokens (at least one).
    init(layout: KVPageLayout, positions: Int, random: inout TestRandom) {
        self.layout = layout
        count = Swift.max(1, (positions + layout.blockTokens - 1) / layout.blockTokens)
        let slabPages = 2 * count + 1
        slab = .allocate(byteCount: slabPages * layout.pageBytes, alignment: 64)
        slab.initializeMemory(as: UInt8.self, repeating: 0xFF, count: slabPages * layout.pageBytes)
        var order = Array(Array(0..<slabPages).shuffled(using: &random).prefix(count))
        if count > 1 && order == order.sorted() { order.reverse() }
        table = .allocate(capacity: count)
        for i in 0..<count { table[i] = slab + order[i] * layout.pageBytes }
    }

    deinit {
        slab.deallocate()
        table.deallocate()
    }

    /// Stores K and V (`kvDim` floats each) of `position` in `layer` through `Kernels.storeKV`.
    func store(layer: Int, position: Int, key: ArraySlice<Float>, value: ArraySlice<Float>) {
        precondition(key.count == layout.kvDim && value.count == layout.kvDim)
        key.withUnsafeBufferPointer { k in
            value.withUnsafeBufferPointer { v in
                Kernels.storeKV(key: k.baseAddress!, value: v.baseAddress!, page: table[position / layout.blockTokens],
                                layer: layer, slot: position % layout.blockTokens, layout: layout)
            }
        }
    }

    /// Keys (or values) of positions `0..<positions` in `layer`, read back and dequantized:
    /// `[positions, kvDim]` F32.
    func rows(layer: Int, positions: Int, values: Bool) -> [Float] {
        var out = [Float](repeating: .nan, count: positions * layout.kvDim)
        out.withUnsafeMutableBufferPointer { out in
            for t in 0..<positions {
                let page = table[t / layout.blockTokens], slot = t % layout.blockTokens
                let row = values ? layout.valueRow(page, layer: layer, slot: slot) : layout.keyRow(page, layer: layer, slot: slot)
                Quantization.dequantize(row, dtype: layout.dtype, count: layout.kvDim, into: out.baseAddress! + t * layout.kvDim)
            }
        }
        return out
    }
}

/// `x` as a KV cache of `dtype` stores it, worked out here from the format (not through
/// `Quantization`): F16 rounds to nearest even; Q8_0 per 32 values takes `d = amax / 127`,
/// `q = round(x / d)` (half away from zero, as `x * (1 / d)`), and the value `q * Float16(d)`.
func kvRounded(_ x: ArraySlice<Float>, _ dtype: DType) -> [Double] {
    switch dtype {
    case .f32:
        return x.map { Double($0) }
    case .f16:
        return x.map { Double(Float16($0)) }
    case .q8_0:
        let x = Array(x)
        return stride(from: 0, to: x.count, by: 32).flatMap { b -> [Double] in
            let block = x[b..<(b + 32)]
            let d = block.map(abs).max()! / 127
            let inverse: Float = d != 0 ? 1 / d : 0
            return block.map { Double(($0 * inverse).rounded(.toNearestOrAwayFromZero)) * Double(Float16(d)) }
        }
    default:
        preconditionFailure("not a KV type: \(dtype)")
    }
}
