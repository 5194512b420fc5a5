import TestSupport
import Foundation
import Testing
@testable import StrataRuntime

@Suite struct AttentionTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        let headCount, kvHeads, headDim, positions, padding: Int
        let heads: Range<Int>
        var testDescription: String { "\(headCount)/\(kvHeads) heads x \(headDim), \(positions) positions, heads \(heads)" }
    }

    static let shapes = [
        Shape(headCount: 4, kvHeads: 4, headDim: 8, positions: 1, padding: 0, heads: 0..<4),      // MHA, one position
        Shape(headCount: 8, kvHeads: 2, headDim: 16, positions: 5, padding: 3, heads: 0..<8),     // GQA 4:1, padded rows
        Shape(headCount: 8, kvHeads: 2, headDim: 20, positions: 33, padding: 0, heads: 2..<7),    // a sub-range of heads
        Shape(headCount: 6, kvHeads: 1, headDim: 12, positions: 70, padding: 5, heads: 0..<6),    // MQA
    ]

    @Test(arguments: shapes)
    func matchesDoubleReference(shape: Shape) {
        var random = TestRandom(seed: 150 + UInt64(shape.positions))
        let kvStride = shape.kvHeads * shape.headDim + shape.padding
        let query = random.floats(shape.headCount * shape.headDim, in: -2...2)
        let keys = random.floats(shape.positions * kvStride, in: -2...2)
        let values = random.floats(shape.positions * kvStride)
        let scale = 1 / Float(shape.headDim).squareRoot()
        var out = [Float](repeating: 1234, count: shape.headCount * shape.headDim)
        var scores = [Float](repeating: .nan, count: shape.positions)

        Kernels.attention(out: &out, query: query, keys: keys, values: values, positions: shape.positions,
                          heads: shape.heads, headCount: shape.headCount, kvHeads: shape.kvHeads,
                          headDim: shape.headDim, kvStride: kvStride, scale: scale, scores: &scores)

        let group = shape.headCount / shape.kvHeads
        for h in 0..<shape.headCount {
            let o = h * shape.headDim
            guard shape.heads.contains(h) else {
                #expect(out[o..<(o + shape.headDim)].allSatisfy { $0 == 1234 }, "head \(h) outside the range was written")
                continue
            }
            let kv = (h / group) * shape.headDim
            let s = (0..<shape.positions).map { t in
                (0..<shape.headDim).reduce(0.0) { $0 + Double(query[o + $1]) * Double(keys[t * kvStride + kv + $1]) } * Double(scale)
            }
            let m = s.max()!
            let p = s.map { Foundation.exp($0 - m) }
            let total = p.reduce(0, +)
            for d in 0..<shape.headDim {
                let want = (0..<shape.positions).reduce(0.0) { $0 + p[$1] / total * Double(values[$1 * kvStride + kv + d]) }
                #expect(isClose(out[o + d], want, absolute: 1e-6, relative: 1e-5))
            }
        }
    }
}
