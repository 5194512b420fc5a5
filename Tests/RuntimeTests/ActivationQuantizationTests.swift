import TestSupport
import Testing
@testable import StrataRuntime

/// `Kernels.quantizeRows` and its fused forms on fresh random rows.
@Suite struct ActivationQuantizationTests {
    /// Q8_0/Q8_1 blocks as llama.cpp's AVX2 `quantize_row_q8_1` computes them, spelled out
    /// scalar: `q = round(x * (127 / amax))` ties to even, the scale `amax / 127` rounded to f16,
    /// `s = f16(amax / 127 * sum q)`; and within half a step (plus the f16 rounding) of x.
    @Test func q8BlocksFollowLlamaCppRule() {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 5, columns = 160
        var x = random.floats(rows * columns, in: -4...4)
        for i in 0..<64 { x[i] = 0 }  // a zero block
        x[40] = -0.001  // a block with a single small value
        x[100] = 127.5 / 127 * 2; x[101] = -2  // a block whose product lands on a tie
        let q = TestQ8(x, rows: rows, columns: columns)
        var failures = 0
        for b in 0..<(rows * columns / 32) {
            let block = Array(x[(b * 32)..<(b * 32 + 32)])
            let amax = block.map(abs).max()!
            let d = amax / 127, inverse: Float = amax != 0 ? 127 / amax : 0
            if q.rows.scales[b] != Float(Float16(d)) { failures += 1 }
            var sum: Int32 = 0
            for (j, value) in block.enumerated() {
                let quant = q.rows.quants[b * 32 + j]
                sum += Int32(quant)
                if Float(quant) != (value * inverse).rounded(.toNearestOrEven) { failures += 1 }
                if abs(Double(value) - Double(q.rows.scales[b]) * Double(quant)) > Double(d) * 0.57 + 1e-12 { failures += 1 }
            }
            if q.rows.negatedSums[b] != -sum { failures += 1 }
            if q.rows.scaledSums[b] != Float(Float16(d * Float(sum))) { failures += 1 }
        }
        #expect(failures == 0, "seed \(seed)")
        #expect(q.rows.quants[40] == -127 && q.rows.scales[1] == Float(Float16(Float(0.001) / 127)))
    }

    /// Q8_K blocks as llama.cpp's `quantize_row_q8_K_ref`: `max` the first value of largest
    /// magnitude, `q = min(127, round(x * (-127 / max)))` ties to even, the scale `1 / (-127 / max)`,
    /// and the sum of each 16 quants.
    @Test func q8KBlocksFollowLlamaCppRule() {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 3, columns = 512
        var x = random.floats(rows * columns, in: -4...4)
        for i in 0..<256 { x[i] = 0 }  // a zero block
        x[300] = 5; x[301] = -5  // equal magnitudes of both signs: the first wins
        let q = TestQ8(x, rows: rows, columns: columns, format: .q8K)
        var failures = 0
        for b in 0..<(rows * columns / 256) {
            let block = Array(x[(b * 256)..<(b * 256 + 256)])
            let amax = block.map(abs).max()!
            guard amax != 0 else {
                if q.rows.scales[b] != 0 || (0..<256).contains(where: { q.rows.quants[b * 256 + $0] != 0 }) { failures += 1 }
                continue
            }
            let iscale = -127 / block.first(where: { abs($0) == amax })!
            if q.rows.scales[b] != 1 / iscale { failures += 1 }
            for g in 0..<16 {
                var sum = 0
                for j in (g * 16)..<(g * 16 + 16) {
                    let quant = q.rows.quants[b * 256 + j]
                    sum += Int(quant)
                    if Float(quant) != min(127, (iscale * block[j]).rounded(.toNearestOrEven)) { failures += 1 }
                }
                if Int(q.rows.groupSums[b * 16 + g]) != sum { failures += 1 }
            }
        }
        #expect(failures == 0, "seed \(seed)")
        #expect(q.rows.scales[1] == 1 / (-127 / Float(5)))
    }

    @Test func nonFiniteActivationsDoNotTrap() {
        var x = [Float](repeating: 1, count: 64)
        x[3] = .infinity
        x[40] = .nan
        _ = TestQ8(x, rows: 1, columns: 64)
    }

    @Test(arguments: [ActivationFormat.q8, .q8K])
    func fusedRMSNormQuantizesExactlyWhatRMSNormComputes(format: ActivationFormat) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 7, dim = 512
        let x = random.floats(rows * dim, in: -3...3)
        let weight = random.floats(dim, in: 0.5...1.5)
        var normed = [Float](repeating: 0, count: rows * dim)
        Kernels.rmsNorm(out: &normed, x: x, weight: weight, dim: dim, rows: rows, eps: 1e-5)
        let want = TestQ8(normed, rows: rows, columns: dim, format: format)
        let got = Q8Buffer(elements: rows * dim, format: format)
        let view = got.rows(rows, columns: dim)
        Kernels.rmsNormQuantized(x: x, weight: weight, dim: dim, rows: rows, eps: 1e-5, into: view)
        withExtendedLifetime(want) { #expect(same(view, want.rows), "seed \(seed)") }
    }

    @Test(arguments: [ActivationFormat.q8, .q8K])
    func fusedSwiGLUQuantizesExactlyWhatSwiGLUComputes(format: ActivationFormat) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 3, columns = 768
        var gate = random.floats(rows * columns, in: -6...6)
        let up = random.floats(rows * columns, in: -2...2)
        let got = Q8Buffer(elements: rows * columns, format: format)
        let view = got.rows(rows, columns: columns)
        Kernels.swigluQuantized(gate: gate, up: up, rows: rows, columns: columns, into: view)
        Kernels.swiglu(gate: &gate, up: up, count: gate.count)
        let want = TestQ8(gate, rows: rows, columns: columns, format: format)
        withExtendedLifetime(want) { #expect(same(view, want.rows), "seed \(seed)") }
    }

    private func same(_ a: Q8Rows, _ b: Q8Rows) -> Bool {
        let blocks = a.rows * a.blocks
        guard (0..<(a.rows * a.columns)).allSatisfy({ a.quants[$0] == b.quants[$0] }),
              (0..<blocks).allSatisfy({ a.scales[$0] == b.scales[$0] }) else { return false }
        if a.format == .q8K {
            return (0..<(a.rows * a.columns / 16)).allSatisfy {
                a.groupSums[$0] == b.groupSums[$0] && a.negatedGroupSums[$0] == -Int32(b.groupSums[$0])
                    && a.floatGroupSums[$0] == Float(b.groupSums[$0])
            }
        }
        return (0..<blocks).allSatisfy { a.negatedSums[$0] == b.negatedSums[$0] && a.scaledSums[$0] == b.scaledSums[$0] }
    }
}
