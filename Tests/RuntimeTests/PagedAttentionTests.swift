import TestSupport
import Foundation
import Testing
@testable import StrataRuntime

/// Flash `pagedAttention` (online softmax over pages) against a naive float64 causal attention
/// on K/V rounded to the cache type by hand, and against the contiguous two-pass `attention`
/// kernel on the stored rows, on fresh random inputs. Pages are lent in a scrambled order; every
/// byte not stored is NaN, so reading a wrong page, slot, layer, head slice or a position a
/// token must not see shows.
@Suite struct PagedAttentionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let headCount, kvHeads, headDim, blockTokens, positions, tokens: Int
        /// Sliding window (0: none).
        var window = 0
        var testDescription: String {
            "\(headCount)/\(kvHeads) heads x \(headDim), \(blockTokens)-token pages, \(tokens) queries ending at \(positions) positions"
                + (window > 0 ? ", window \(window)" : "")
        }
    }

    /// (headCount, kvHeads, headDim) shapes, each with 16- and 5-token pages: one decode query at
    /// positions 1, blockTokens, blockTokens + 1 and 100, and prefill runs (a whole prompt, and a
    /// chunk after cached tokens) as long as the query budget allows.
    static let cases: [Case] = {
        let shapes: [(Int, Int, Int)] = [
            (8, 4, 8),     // stories260K: kvDim 32, one Q8_0 block spans four kv heads
            (32, 4, 64),   // GQA 8:1, kvDim 256
            (16, 8, 20),   // head slices start mid-block and cross blocks; a 4-element tail
            (8, 8, 36),    // the same through the 32-element loops
            (6, 2, 48),    // kv head 1 starts at element 16 of a block; group 3
            (4, 1, 32),    // MQA, one block per row
        ]
        return shapes.flatMap { shape in
            [16, 5].flatMap { blockTokens in
                let run = Kernels.pagedAttentionTokens(group: shape.0 / shape.1)
                let decode = [1, blockTokens, blockTokens + 1, 100].map { (positions: $0, tokens: 1) }
                let prefill = [(positions: min(run, 40), tokens: min(run, 40)), (positions: 70, tokens: min(run, 23))]
                return (decode + prefill).map {
                    Case(headCount: shape.0, kvHeads: shape.1, headDim: shape.2, blockTokens: blockTokens,
                         positions: $0.positions, tokens: $0.tokens)
                }
            }
        } + windowed
    }()

    /// Sliding windows (Gemma 3, Mistral): shorter and longer than a page, than the prompt, one
    /// position; decode and prefill runs whose first token's window starts mid-page.
    static let windowed: [Case] = [(8, 4, 8), (16, 8, 20), (6, 2, 48)].flatMap { shape in
        [(positions: 100, tokens: 1, window: 7), (positions: 100, tokens: 1, window: 1), (positions: 9, tokens: 1, window: 40),
         (positions: 70, tokens: min(Kernels.pagedAttentionTokens(group: shape.0 / shape.1), 23), window: 9),
         (positions: 40, tokens: min(Kernels.pagedAttentionTokens(group: shape.0 / shape.1), 40), window: 5)].map {
            Case(headCount: shape.0, kvHeads: shape.1, headDim: shape.2, blockTokens: 5, positions: $0.positions,
                 tokens: $0.tokens, window: $0.window)
        }
    }

    @Test(arguments: KVPageLayout.supportedTypes, cases)
    func matchesNaiveCausalAttention(dtype: DType, c: Case) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let kvDim = c.kvHeads * c.headDim
        let qDim = c.headCount * c.headDim
        let layout = KVPageLayout(layers: 3, blockTokens: c.blockTokens, kvDim: kvDim, dtype: dtype)
        let pages = TestPages(layout: layout, positions: c.positions, random: &random)
        let layer = 1
        var keys: [Float] = [], values: [Float] = []
        for l in 0..<layout.layers {
            let k = random.floats(c.positions * kvDim, in: -2...2)
            let v = random.floats(c.positions * kvDim)
            for t in 0..<c.positions {
                // Positions before the first query's window stay NaN: the kernel must not read them.
                guard c.window == 0 || t > c.positions - c.tokens - c.window else { continue }
                pages.store(layer: l, position: t, key: k[(t * kvDim)..<((t + 1) * kvDim)],
                            value: v[(t * kvDim)..<((t + 1) * kvDim)])
            }
            if l == layer { keys = k; values = v }
        }
        let firstPosition = c.positions - c.tokens
        let queries = random.floats(c.tokens * qDim, in: -2...2)
        let scale = 1 / Float(c.headDim).squareRoot()
        let group = c.headCount / c.kvHeads

        // kv head 0 and the last one; every other head stays untouched.
        var got = [Float](repeating: 1234, count: c.tokens * qDim)
        var scratch = [Float](repeating: .nan, count: Kernels.pagedAttentionScratch(
            queries: c.tokens * group, blockTokens: c.blockTokens, headDim: c.headDim))
        for kvHead in Set([0, c.kvHeads - 1]) {
            Kernels.pagedAttention(out: &got, outStride: qDim, queries: queries, queryStride: qDim, tokens: c.tokens,
                                   firstPosition: firstPosition, pages: pages.table, layout: layout, layer: layer,
                                   kvHead: kvHead, headCount: c.headCount, kvHeads: c.kvHeads, headDim: c.headDim,
                                   scale: scale, window: c.window, scratch: &scratch)
        }
        let written = Set([0, c.kvHeads - 1]).flatMap { g in (g * group)..<((g + 1) * group) }

        let storedKeys = pages.rows(layer: layer, positions: c.positions, values: false)
        let storedValues = pages.rows(layer: layer, positions: c.positions, values: true)
        let roundedKeys = (0..<c.positions).flatMap { kvRounded(keys[($0 * kvDim)..<(($0 + 1) * kvDim)], dtype) }
        let roundedValues = (0..<c.positions).flatMap { kvRounded(values[($0 * kvDim)..<(($0 + 1) * kvDim)], dtype) }
        var failures: [String] = []
        for i in 0..<c.tokens {
            let visible = firstPosition + i + 1
            let low = c.window > 0 ? max(0, visible - c.window) : 0
            // The contiguous two-pass kernel on the stored rows of the window: the same products,
            // another softmax.
            var twoPass = [Float](repeating: 1234, count: qDim)
            var scores = [Float](repeating: .nan, count: visible - low)
            Array(queries[(i * qDim)..<((i + 1) * qDim)]).withUnsafeBufferPointer { q in
                Kernels.attention(out: &twoPass, query: q.baseAddress!, keys: Array(storedKeys[(low * kvDim)...]),
                                  values: Array(storedValues[(low * kvDim)...]), positions: visible - low, heads: 0..<c.headCount,
                                  headCount: c.headCount, kvHeads: c.kvHeads, headDim: c.headDim, kvStride: kvDim,
                                  scale: scale, scores: &scores)
            }
            for h in 0..<c.headCount {
                let o = i * qDim + h * c.headDim
                guard written.contains(h) else {
                    if !got[o..<(o + c.headDim)].allSatisfy({ $0 == 1234 }) { failures.append("token \(i) head \(h) written") }
                    continue
                }
                let kv = (h / group) * c.headDim
                let s = (low..<visible).map { t in
                    (0..<c.headDim).reduce(0.0) { $0 + Double(queries[o + $1]) * roundedKeys[t * kvDim + kv + $1] } * Double(scale)
                }
                let m = s.max()!
                let p = s.map { Foundation.exp($0 - m) }
                let total = p.reduce(0, +)
                for d in 0..<c.headDim {
                    let reference = (low..<visible).reduce(0.0) { $0 + p[$1 - low] / total * roundedValues[$1 * kvDim + kv + d] }
                    if !isClose(got[o + d], reference, absolute: 2e-6, relative: 1e-5) {
                        failures.append("token \(i) head \(h) element \(d): \(got[o + d]) vs \(reference)")
                    }
                    if !isClose(got[o + d], Double(twoPass[h * c.headDim + d]), absolute: 2e-6, relative: 1e-5) {
                        failures.append("token \(i) head \(h) element \(d): \(got[o + d]) vs two-pass \(twoPass[h * c.headDim + d])")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "seed \(seed): \(failures.prefix(5))")
    }

    @Test(arguments: KVPageLayout.supportedTypes)
    func noTokensWritesNothing(dtype: DType) {
        var random = TestRandom(seed: 950)
        let layout = KVPageLayout(layers: 1, blockTokens: 4, kvDim: 64, dtype: dtype)
        let pages = TestPages(layout: layout, positions: 0, random: &random)
        let query = random.floats(8 * 16)
        var out = [Float](repeating: 1234, count: 8 * 16)
        var scratch = [Float](repeating: .nan, count: 64)
        Kernels.pagedAttention(out: &out, outStride: 128, queries: query, queryStride: 128, tokens: 0, firstPosition: 0,
                               pages: pages.table, layout: layout, layer: 0, kvHead: 1, headCount: 8, kvHeads: 4,
                               headDim: 16, scale: 0.25, scratch: &scratch)
        #expect(out.allSatisfy { $0 == 1234 })
    }
}
