import Foundation
import Testing
import TestSupport
@testable import StrataRuntime

/// `encoderAttention` against a naive float64 bidirectional attention.
@Suite struct EncoderAttentionTests {
    /// (tokens, headDim, stride): one token, a block edge, several query blocks, odd widths.
    static let shapes: [(Int, Int, Int)] = [(1, 32, 32), (7, 32, 384), (64, 32, 96), (65, 64, 128), (200, 20, 60), (256, 32, 384)]

    @Test(arguments: shapes.indices)
    func matchesNaiveAttention(_ index: Int) {
        let (tokens, headDim, stride) = Self.shapes[index]
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let offset = stride - headDim  // the head sits at the end of each row
        let q = random.floats(tokens * stride, in: -2...2), k = random.floats(tokens * stride, in: -2...2)
        let v = random.floats(tokens * stride, in: -1...1)
        let scale = 1 / Float(headDim).squareRoot()
        var out = [Float](repeating: 7, count: tokens * stride)
        var scratch = [Float](repeating: .nan, count: Kernels.encoderAttentionScratch(maxTokens: tokens + 9, headDim: headDim))
        out.withUnsafeMutableBufferPointer { o in
            Kernels.encoderAttention(out: o.baseAddress! + offset, q: q.withUnsafeBufferPointer { $0.baseAddress! + offset },
                                     k: k.withUnsafeBufferPointer { $0.baseAddress! + offset },
                                     v: v.withUnsafeBufferPointer { $0.baseAddress! + offset },
                                     stride: stride, tokens: tokens, headDim: headDim, scale: scale, scratch: &scratch)
        }
        var failures: [String] = []
        for t in 0..<tokens {
            var scores = (0..<tokens).map { j in
                (0..<headDim).reduce(0.0) { $0 + Double(q[t * stride + offset + $1]) * Double(k[j * stride + offset + $1]) } * Double(scale)
            }
            let largest = scores.max()!
            scores = scores.map { Foundation.exp($0 - largest) }
            let total = scores.reduce(0, +)
            for d in 0..<headDim {
                let want = (0..<tokens).reduce(0.0) { $0 + scores[$1] / total * Double(v[$1 * stride + offset + d]) }
                let got = out[t * stride + offset + d]
                if !isClose(got, want, absolute: 1e-5, relative: 1e-5) { failures.append("t \(t) d \(d): \(got) vs \(want)") }
            }
            // Elements outside the head are untouched.
            for d in 0..<offset where out[t * stride + d] != 7 { failures.append("t \(t) element \(d) written") }
        }
        #expect(failures.isEmpty, "seed \(seed): \(failures.prefix(5))")
    }
}
