import TestSupport
import Foundation
import Testing
@testable import StrataRuntime

/// Elementwise activations and softmax against Double formulas, across the SIMD body and tails.
@Suite struct ActivationTests {
    static let counts = [1, 7, 8, 9, 100]

    static func inputs(_ count: Int, seed: UInt64) -> [Float] {
        var random = TestRandom(seed: seed)
        // Include the extremes and zero so the clamps in the vector exp are exercised.
        let fixed: [Float] = [0, -0.0, 1e-4, -1e-4, 20, -20, 95, -95, 3, -3]
        return Array((fixed + random.floats(count, in: -12...12)).prefix(Swift.max(count, 1)))
    }

    func check(_ count: Int, seed: UInt64, kernel: (UnsafeMutablePointer<Float>, Int) -> Void, reference: (Double) -> Double) {
        let x = Self.inputs(count, seed: seed)
        var y = x
        y.withUnsafeMutableBufferPointer { kernel($0.baseAddress!, count) }
        for i in 0..<count {
            #expect(isClose(y[i], reference(Double(x[i])), absolute: 1e-6, relative: 2e-6), "x = \(x[i])")
        }
    }

    @Test(arguments: counts)
    func silu(count: Int) {
        check(count, seed: 100, kernel: { Kernels.silu($0, count: $1) }, reference: { $0 / (1 + Foundation.exp(-$0)) })
    }

    @Test(arguments: counts)
    func swiglu(count: Int) {
        let up = Self.inputs(count, seed: 111).map { $0 / 4 }
        var gate = Self.inputs(count, seed: 110)
        let want = zip(gate, up).map { g, u in Double(g) / (1 + Foundation.exp(-Double(g))) * Double(u) }
        Kernels.swiglu(gate: &gate, up: up, count: count)
        for i in 0..<count { #expect(isClose(gate[i], want[i], absolute: 1e-6, relative: 2e-6)) }
    }

    @Test(arguments: counts)
    func geluTanh(count: Int) {
        check(count, seed: 120, kernel: { Kernels.gelu($0, count: $1) }, reference: { x in
            0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        })
    }

    @Test(arguments: counts)
    func geluErf(count: Int) {
        check(count, seed: 130, kernel: { Kernels.geluErf($0, count: $1) }, reference: { x in
            0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        })
    }

    @Test(arguments: [1, 7, 8, 9, 100, 1000])
    func softmaxMatchesDouble(count: Int) {
        var random = TestRandom(seed: 140 + UInt64(count))
        var x = random.floats(count, in: -20...20)
        if count > 3 { x[1] = -.infinity; x[2] = -1000 }  // masked and vanishing entries
        let largest = Double(x.max()!)
        let exps = x.map { Foundation.exp(Double($0) - largest) }
        let total = exps.reduce(0, +)
        Kernels.softmax(&x, count: count)
        for i in 0..<count { #expect(isClose(x[i], exps[i] / total, absolute: 1e-7, relative: 2e-6)) }
        #expect(isClose(x.reduce(0, +), 1, relative: 1e-5))
    }

    @Test func softmaxOfEqualValuesIsUniformAndOfLargeValuesIsFinite() {
        var equal = [Float](repeating: 3, count: 13)
        Kernels.softmax(&equal, count: 13)
        #expect(equal.allSatisfy { isClose($0, 1.0 / 13, relative: 1e-6) })
        var large: [Float] = [1e30, 1e30 - 1e24, -1e30, 0, 5, 6, 7, 8, 9]
        Kernels.softmax(&large, count: large.count)
        #expect(large.allSatisfy { $0.isFinite })
        #expect(isClose(large[0] + large[1], 1, relative: 1e-6))
    }

    /// The vector exp itself, over the whole useful range.
    @Test func vectorExpIsWithinTwoUlps() {
        var worst = 0.0
        var x: Float = -87
        while x < 88.5 {
            let lanes = SIMD8<Float>(x, x + 0.0137, x + 0.031, x + 0.05, x + 0.071, x + 0.093, x + 0.11, x + 0.13)
            let got = Kernels.exp(lanes)
            for i in 0..<8 {
                let want = Foundation.exp(Double(lanes[i]))
                worst = Swift.max(worst, abs(Double(got[i]) - want) / want)
            }
            x += 0.15
        }
        #expect(worst < 2.5e-7)
        #expect(Kernels.exp(SIMD8<Float>(repeating: -.infinity)) == .zero)
        #expect(Kernels.exp(SIMD8<Float>(repeating: -105)) == .zero)
        // Gradual underflow: e^-100 = 3.72e-44 is a subnormal, within a subnormal step or two.
        #expect(abs(Double(Kernels.exp(SIMD8<Float>(repeating: -100))[0]) - Foundation.exp(-100)) < 3e-45)
        let huge = Kernels.exp(SIMD8<Float>(repeating: 1000))[0]
        #expect(huge.isFinite && huge > 3.3e38)
    }
}
