import TestSupport
import Foundation
import Testing
@testable import StrataRuntime

@Suite struct RopeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let style: RopeStyle
        let headDim, ropeDims: Int
        var testDescription: String { "\(style) \(ropeDims)/\(headDim)" }
    }

    static let cases = [
        Case(style: .normal, headDim: 8, ropeDims: 8), Case(style: .neox, headDim: 8, ropeDims: 8),
        Case(style: .normal, headDim: 64, ropeDims: 64), Case(style: .neox, headDim: 64, ropeDims: 64),
        Case(style: .normal, headDim: 64, ropeDims: 32), Case(style: .neox, headDim: 64, ropeDims: 32),
        Case(style: .normal, headDim: 10, ropeDims: 6), Case(style: .neox, headDim: 10, ropeDims: 6),
    ]

    /// Reference: pairs per style, angle `position * base^(-2i/ropeDims)` in Double. The kernel's
    /// angle is a Float, as in ggml, built by `i` float multiplications: its error is about
    /// `(i + 1)` half-ulps of the angle, which the tolerance allows (at position 4095 that is ~1e-4).
    @Test(arguments: cases)
    func rotatesPairsByPositionTimesFrequency(c: Case) {
        let heads = 3, base: Float = 10000
        let rope = Rope(headDim: c.headDim, ropeDims: c.ropeDims, base: base, style: c.style)
        var random = TestRandom(seed: 160)
        for position in [0, 1, 7, 1000, 4095] {
            let x = random.floats(heads * c.headDim)
            var y = x
            rope.apply(&y, heads: heads, position: position)
            for h in 0..<heads {
                let row = h * c.headDim
                var expected = x[row..<(row + c.headDim)].map(Double.init)
                var tolerance = [Double](repeating: 2e-6, count: c.headDim)
                for i in 0..<(c.ropeDims / 2) {
                    let (a, b) = c.style == .normal ? (2 * i, 2 * i + 1) : (i, i + c.ropeDims / 2)
                    let angle = Double(position) * pow(Double(base), -2 * Double(i) / Double(c.ropeDims))
                    let (x0, x1) = (expected[a], expected[b])
                    expected[a] = x0 * cos(angle) - x1 * sin(angle)
                    expected[b] = x0 * sin(angle) + x1 * cos(angle)
                    let angleError = angle * Double(i + 2) * 0x1p-24
                    tolerance[a] += angleError * (abs(x0) + abs(x1))
                    tolerance[b] += angleError * (abs(x0) + abs(x1))
                }
                for d in 0..<c.headDim {
                    let got = y[row + d]
                    if d >= c.ropeDims { #expect(got == x[row + d]) }  // untouched, bit for bit
                    #expect(isClose(got, expected[d], absolute: tolerance[d], relative: 0))
                }
            }
        }
    }

    /// llama.cpp's CPU rope (`rope_yarn` with default scaling): `theta = Float(position)`, then
    /// `theta *= powf(base, -2 / ropeDims)` per pair, rotated with `cosf`/`sinf`. Replaying that
    /// float recurrence, the kernel must agree to within trig rounding at every position.
    @Test(arguments: cases)
    func matchesGgmlFloatAngles(c: Case) {
        let base: Float = 10000
        let rope = Rope(headDim: c.headDim, ropeDims: c.ropeDims, base: base, style: c.style)
        var random = TestRandom(seed: 161)
        for position in [3, 100, 4095, 32767] {
            let x = random.floats(c.headDim)
            var y = x
            rope.apply(&y, heads: 1, position: position)
            let thetaScale = powf(base, -2 / Float(c.ropeDims))
            var theta = Float(position)
            for i in 0..<(c.ropeDims / 2) {
                let (a, b) = c.style == .normal ? (2 * i, 2 * i + 1) : (i, i + c.ropeDims / 2)
                let angle = Double(theta)
                let (x0, x1) = (Double(x[a]), Double(x[b]))
                #expect(isClose(y[a], x0 * cos(angle) - x1 * sin(angle), absolute: 1e-6, relative: 0))
                #expect(isClose(y[b], x0 * sin(angle) + x1 * cos(angle), absolute: 1e-6, relative: 0))
                theta *= thetaScale
            }
        }
    }

    @Test func positionZeroIsIdentityAndOneRadianIsOneRadian() {
        let rope = Rope(headDim: 2, ropeDims: 2, base: 10000, style: .normal)
        var x: [Float] = [1, 0]
        rope.apply(&x, heads: 1, position: 0)
        #expect(x == [1, 0])
        rope.apply(&x, heads: 1, position: 1)
        #expect(x == [cosf(1), sinf(1)])
    }

    /// The frequencies follow ggml's recurrence: theta_0 = 1, theta_{i+1} = theta_i * base^(-2/ropeDims).
    @Test func inverseFrequenciesMatchThePowerLaw() {
        let rope = Rope(headDim: 128, ropeDims: 128, base: 500_000, style: .neox)
        #expect(rope.inverseFrequencies.count == 64)
        for (i, theta) in rope.inverseFrequencies.enumerated() {
            #expect(isClose(theta, pow(500_000, -2 * Double(i) / 128), absolute: 0, relative: 1e-5))
        }
    }

    /// `frequencyFactors` divide each pair's angle and `frequencyScale` multiplies it, as in ggml.
    @Test func frequencyFactorsAndScale() {
        let factors: [Float] = [1, 2, 4, 8]
        let rope = Rope(headDim: 8, ropeDims: 8, base: 100, style: .normal, frequencyScale: 0.5, frequencyFactors: factors)
        var x = [Float](repeating: 0, count: 8)
        for i in 0..<4 { x[2 * i] = 1 }
        rope.apply(&x, heads: 1, position: 10)
        for i in 0..<4 {
            let angle = 10 * pow(100, -2 * Double(i) / 8) / Double(factors[i]) * 0.5
            #expect(isClose(x[2 * i], cos(angle), absolute: 1e-6, relative: 0))
            #expect(isClose(x[2 * i + 1], sin(angle), absolute: 1e-6, relative: 0))
        }
    }
}
