import TestSupport
import Testing
@testable import StrataRuntime

/// `Kernels.quantizeRows` and its fused forms on fresh random rows.
@Suite struct ActivationQuantizationTests {
    @Test func quantsScalesAndSumsFollowTheRule() {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 5, columns = 160
        var x = random.floats(rows * columns, in: -4...4)
        for i in 0..<32 { x[i] = 0 }  // a zero block
        for i in 32..<64 { x[i] = 0 }
        x[40] = -0.001  // a block with a single small value
        let q = TestQ8(x, rows: rows, columns: columns)
        var failures = 0
        for b in 0..<(rows * columns / 32) {
            let block = x[(b * 32)..<(b * 32 + 32)]
            let amax = block.map(abs).max()!
            let d = q.rows.scales[b]
            if d != amax / 127 { failures += 1 }
            var sum: Int32 = 0
            for (j, value) in block.enumerated() {
                let quant = q.rows.quants[b * 32 + j]
                sum += Int32(quant)
                if quant == -128 || abs(Double(value) - Double(d) * Double(quant)) > Double(d) / 2 * 1.0001 + 1e-12 { failures += 1 }
            }
            if q.rows.negatedSums[b] != -sum { failures += 1 }
        }
        #expect(failures == 0, "seed \(seed)")
        #expect(q.rows.quants[40] == -127 && q.rows.scales[1] == Float(0.001) / 127)
    }

    @Test func nonFiniteActivationsDoNotTrap() {
        var x = [Float](repeating: 1, count: 64)
        x[3] = .infinity
        x[40] = .nan
        _ = TestQ8(x, rows: 1, columns: 64)
    }

    @Test func fusedRMSNormQuantizesExactlyWhatRMSNormComputes() {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 7, dim = 96
        let x = random.floats(rows * dim, in: -3...3)
        let weight = random.floats(dim, in: 0.5...1.5)
        var normed = [Float](repeating: 0, count: rows * dim)
        Kernels.rmsNorm(out: &normed, x: x, weight: weight, dim: dim, rows: rows, eps: 1e-5)
        let want = TestQ8(normed, rows: rows, columns: dim)
        let got = Q8Buffer(elements: rows * dim)
        let view = got.rows(rows, columns: dim)
        Kernels.rmsNormQuantized(x: x, weight: weight, dim: dim, rows: rows, eps: 1e-5, into: view)
        withExtendedLifetime(want) { #expect(same(view, want.rows), "seed \(seed)") }
    }

    @Test func fusedSwiGLUQuantizesExactlyWhatSwiGLUComputes() {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 3, columns = 128
        var gate = random.floats(rows * columns, in: -6...6)
        let up = random.floats(rows * columns, in: -2...2)
        let got = Q8Buffer(elements: rows * columns)
        let view = got.rows(rows, columns: columns)
        Kernels.swigluQuantized(gate: gate, up: up, rows: rows, columns: columns, into: view)
        Kernels.swiglu(gate: &gate, up: up, count: gate.count)
        let want = TestQ8(gate, rows: rows, columns: columns)
        withExtendedLifetime(want) { #expect(same(view, want.rows), "seed \(seed)") }
    }

    private func same(_ a: Q8Rows, _ b: Q8Rows) -> Bool {
        let blocks = a.rows * a.blocks
        return (0..<(blocks * 32)).allSatisfy { a.quants[$0] == b.quants[$0] }
            && (0..<blocks).allSatisfy { a.scales[$0] == b.scales[$0] && a.negatedSums[$0] == b.negatedSums[$0] }
    }
}
