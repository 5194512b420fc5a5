import TestSupport
import Foundation
import Testing
@testable import Runtime

/// `pagedAttention` against the contiguous `attention` kernel on the same stored K/V read back
/// as F32 (the same arithmetic, so the same bits), and against a float64 reference on K/V
/// rounded to the cache type by hand. Pages are lent in a scrambled order; every byte not
/// stored is NaN, so reading a wrong page, slot, layer or head slice shows.
@Suite struct PagedAttentionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let headCount, kvHeads, headDim, blockTokens, positions: Int
        var heads: Range<Int>? = nil
        var testDescription: String {
            "\(headCount)/\(kvHeads) heads x \(headDim), \(blockTokens)-token pages, \(positions) positions"
                + (heads.map { ", heads \($0)" } ?? "")
        }
    }

    /// (headCount, kvHeads, headDim) shapes, each with 16- and 5-token pages and positions
    /// 1, blockTokens, blockTokens + 1 and 100.
    static let cases: [Case] = {
        let shapes: [(Int, Int, Int, Range<Int>?)] = [
            (8, 4, 8, nil),        // stories260K: kvDim 32, one Q8_0 block spans four kv heads
            (32, 4, 64, nil),      // GQA 8:1, kvDim 256
            (16, 8, 20, 3..<13),   // head slices start mid-block and cross blocks; a 4-element tail
            (8, 8, 36, nil),       // the same through the 32-element loops
            (6, 2, 48, nil),       // kv head 1 starts at element 16 of a block; group 3
            (4, 1, 32, nil),       // MQA, one block per row
        ]
        return shapes.flatMap { shape in
            [16, 5].flatMap { blockTokens in
                [1, blockTokens, blockTokens + 1, 100].map { positions in
                    Case(headCount: shape.0, kvHeads: shape.1, headDim: shape.2, blockTokens: blockTokens,
                         positions: positions, heads: shape.3)
                }
            }
        }
    }()

    @Test(arguments: KVPageLayout.supportedTypes, cases)
    func matchesContiguousAttentionAndDoubleReference(dtype: DType, c: Case) {
        var random = TestRandom(seed: 900 + UInt64(c.headDim * 1000 + c.blockTokens * 100 + c.positions))
        let kvDim = c.kvHeads * c.headDim
        let layout = KVPageLayout(layers: 3, blockTokens: c.blockTokens, kvDim: kvDim, dtype: dtype)
        let pages = TestPages(layout: layout, positions: c.positions, random: &random)
        let layer = 1
        var keys: [Float] = [], values: [Float] = []
        for l in 0..<layout.layers {
            let k = random.floats(c.positions * kvDim, in: -2...2)
            let v = random.floats(c.positions * kvDim)
            for t in 0..<c.positions {
                pages.store(layer: l, position: t, key: k[(t * kvDim)..<((t + 1) * kvDim)],
                            value: v[(t * kvDim)..<((t + 1) * kvDim)])
            }
            if l == layer { keys = k; values = v }
        }
        let query = random.floats(c.headCount * c.headDim, in: -2...2)
        let scale = 1 / Float(c.headDim).squareRoot()
        let heads = c.heads ?? 0..<c.headCount

        var got = [Float](repeating: 1234, count: c.headCount * c.headDim)
        var scores = [Float](repeating: .nan, count: c.positions)
        Kernels.pagedAttention(out: &got, query: query, pages: pages.table, layout: layout, layer: layer,
                               positions: c.positions, heads: heads, headCount: c.headCount, kvHeads: c.kvHeads,
                               headDim: c.headDim, scale: scale, scores: &scores)

        // The contiguous kernel on the stored rows, dequantized: same arithmetic, same bits.
        let storedKeys = pages.rows(layer: layer, positions: c.positions, values: false)
        let storedValues = pages.rows(layer: layer, positions: c.positions, values: true)
        var want = [Float](repeating: 1234, count: c.headCount * c.headDim)
        Kernels.attention(out: &want, query: query, keys: storedKeys, values: storedValues, positions: c.positions,
                          heads: heads, headCount: c.headCount, kvHeads: c.kvHeads, headDim: c.headDim,
                          kvStride: kvDim, scale: scale, scores: &scores)
        #expect(got == want)

        // float64 on the original K/V rounded to the cache type.
        let roundedKeys = (0..<c.positions).flatMap { kvRounded(keys[($0 * kvDim)..<(($0 + 1) * kvDim)], dtype) }
        let roundedValues = (0..<c.positions).flatMap { kvRounded(values[($0 * kvDim)..<(($0 + 1) * kvDim)], dtype) }
        let group = c.headCount / c.kvHeads
        for h in 0..<c.headCount {
            let o = h * c.headDim
            guard heads.contains(h) else {
                #expect(got[o..<(o + c.headDim)].allSatisfy { $0 == 1234 }, "head \(h) outside \(heads) was written")
                continue
            }
            let kv = (h / group) * c.headDim
            let s = (0..<c.positions).map { t in
                (0..<c.headDim).reduce(0.0) { $0 + Double(query[o + $1]) * roundedKeys[t * kvDim + kv + $1] } * Double(scale)
            }
            let m = s.max()!
            let p = s.map { Foundation.exp($0 - m) }
            let total = p.reduce(0, +)
            for d in 0..<c.headDim {
                let reference = (0..<c.positions).reduce(0.0) { $0 + p[$1] / total * roundedValues[$1 * kvDim + kv + d] }
                #expect(isClose(got[o + d], reference, absolute: 1e-6, relative: 1e-5), "head \(h) element \(d)")
            }
        }
    }

    @Test(arguments: KVPageLayout.supportedTypes)
    func noPositionsGivesZeroHeads(dtype: DType) {
        var random = TestRandom(seed: 950)
        let layout = KVPageLayout(layers: 1, blockTokens: 4, kvDim: 64, dtype: dtype)
        let pages = TestPages(layout: layout, positions: 0, random: &random)
        let query = random.floats(8 * 16)
        var out = [Float](repeating: 1234, count: 8 * 16)
        var scores: Float = .nan
        Kernels.pagedAttention(out: &out, query: query, pages: pages.table, layout: layout, layer: 0, positions: 0,
                               heads: 2..<6, headCount: 8, kvHeads: 4, headDim: 16, scale: 0.25, scores: &scores)
        #expect(out[0..<32].allSatisfy { $0 == 1234 } && out[96...].allSatisfy { $0 == 1234 })
        #expect(out[32..<96].allSatisfy { $0 == 0 })
    }
}
