import TestSupport
import Testing
@testable import StrataRuntime

@Suite struct NormTests {
    static let dims = [1, 7, 8, 17, 64, 100]

    @Test(arguments: dims)
    func rmsNormMatchesDouble(dim: Int) {
        var random = TestRandom(seed: 80 + UInt64(dim))
        let rows = 3, eps: Float = 1e-5
        let x = random.floats(dim * rows, in: -3...3)
        let weight = random.floats(dim, in: 0.5...1.5)
        var want = [Double](repeating: 0, count: dim * rows)
        for r in 0..<rows {
            let row = x[(r * dim)..<((r + 1) * dim)].map(Double.init)
            let s = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(dim) + Double(eps)).squareRoot()
            for i in 0..<dim { want[r * dim + i] = row[i] * s * Double(weight[i]) }
        }
        var out = [Float](repeating: .nan, count: dim * rows)
        Kernels.rmsNorm(out: &out, x: x, weight: weight, dim: dim, rows: rows, eps: eps)
        for i in out.indices { #expect(isClose(out[i], want[i])) }

        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { p in
            Kernels.rmsNorm(out: p.baseAddress!, x: p.baseAddress!, weight: weight, dim: dim, rows: rows, eps: eps)
        }
        #expect(inPlace == out)
    }

    @Test(arguments: dims)
    func layerNormMatchesDouble(dim: Int) {
        var random = TestRandom(seed: 90 + UInt64(dim))
        let rows = 3, eps: Float = 1e-12
        let x = random.floats(dim * rows, in: 1...5)  // an offset mean, so centering matters
        let weight = random.floats(dim, in: 0.5...1.5)
        let bias = random.floats(dim, in: -0.5...0.5)
        var want = [Double](repeating: 0, count: dim * rows)
        for r in 0..<rows {
            let row = x[(r * dim)..<((r + 1) * dim)].map(Double.init)
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(dim)
            let s = 1 / (variance + Double(eps)).squareRoot()
            for i in 0..<dim { want[r * dim + i] = (row[i] - mean) * s * Double(weight[i]) + Double(bias[i]) }
        }
        var out = [Float](repeating: .nan, count: dim * rows)
        Kernels.layerNorm(out: &out, x: x, weight: weight, bias: bias, dim: dim, rows: rows, eps: eps)
        for i in out.indices { #expect(isClose(out[i], want[i], absolute: 1e-5)) }

        var inPlace = x
        inPlace.withUnsafeMutableBufferPointer { p in
            Kernels.layerNorm(out: p.baseAddress!, x: p.baseAddress!, weight: weight, bias: bias, dim: dim, rows: rows, eps: eps)
        }
        #expect(inPlace == out)
    }
}
