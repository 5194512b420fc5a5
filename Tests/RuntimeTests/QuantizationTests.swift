import TestSupport
import Testing
@testable import StrataRuntime

/// Dequantization of hand-built blocks against values worked out from the GGUF layouts, and
/// quantize -> dequantize round trips against the error each format allows.
@Suite struct QuantizationTests {
    // MARK: Hand-built blocks

    @Test func q8_0BlockDequantizesToScaleTimesQuants() {
        // Two blocks: d = 0.5 (f16 0x3800) with qs = i - 16; d = -0.25 (0xB400) with extremes.
        var bytes = [UInt8](repeating: 0, count: 68)
        bytes[0] = 0x00; bytes[1] = 0x38
        for i in 0..<32 { bytes[2 + i] = UInt8(bitPattern: Int8(i - 16)) }
        bytes[34] = 0x00; bytes[35] = 0xB4
        let second: [Int8] = [-128, 127, -1, 0, 1] + (0..<27).map { Int8($0 * 3 - 40) }
        for i in 0..<32 { bytes[36 + i] = UInt8(bitPattern: second[i]) }

        var expected = (0..<32).map { Float($0 - 16) * 0.5 }
        expected += second.map { Float($0) * -0.25 }
        #expect(dequantize(bytes, .q8_0, count: 64) == expected)
    }

    @Test func q4_0BlockDequantizesLowNibblesThenHighNibbles() {
        // d = 0.25 (f16 0x3400); byte j holds element j (low nibble j) and j + 16 (high nibble 15 - j).
        var bytes = [UInt8](repeating: 0, count: 18)
        bytes[0] = 0x00; bytes[1] = 0x34
        for j in 0..<16 { bytes[2 + j] = UInt8(j) | UInt8(15 - j) << 4 }
        let low = (0..<16).map { Float($0 - 8) * 0.25 }
        let high = (0..<16).map { Float(15 - $0 - 8) * 0.25 }
        #expect(dequantize(bytes, .q4_0, count: 32) == low + high)
    }

    @Test func f16DequantizesIEEEHalfBitPatterns() {
        let bits: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x3555, 0x0400, 0x3800, 0xFBFF, 0x4248]
        let expected: [Float] = [1, -2, 65504, 0x1p-24, -0.0, .infinity, 0.333251953125, 0x1p-14, 0.5, -65504, 3.140625]
        let got = dequantize(bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, .f16, count: bits.count)
        #expect(got == expected)
        #expect(got[4].sign == .minus)
    }

    @Test func bf16DequantizesUpperHalfOfF32() {
        let bits: [UInt16] = [0x3F80, 0xC040, 0x4049, 0x7F80, 0x0001, 0x8000, 0x3E80, 0x4780, 0xBF00]
        let expected: [Float] = [1, -3, 3.140625, .infinity, Float(bitPattern: 0x0001_0000), -0.0, 0.25, 65536, -0.5]
        #expect(dequantize(bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, .bf16, count: bits.count) == expected)
    }

    // MARK: Conversions

    @Test func bf16RoundsToNearestEvenAndKeepsNaN() {
        #expect(Quantization.bfloat16Bits(1) == 0x3F80)
        #expect(Quantization.bfloat16Bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie -> even
        #expect(Quantization.bfloat16Bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie -> even
        #expect(Quantization.bfloat16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)  // above tie
        #expect(Quantization.bfloat16Bits(Float(bitPattern: 0x3F80_7FFF)) == 0x3F80)  // below tie
        #expect(Quantization.bfloat16Bits(-.infinity) == 0xFF80)
        let nan = Quantization.bfloat16Bits(Float(bitPattern: 0x7F80_0001))  // signalling NaN, payload low
        #expect(Float(bitPattern: UInt32(nan) << 16).isNaN)
    }

    @Test func f16AndBF16RoundTripWithinHalfAnUlp() {
        var random = TestRandom(seed: 1)
        let x = random.floats(1000, in: -100...100)
        let f16 = roundTrip(x, .f16)
        let bf16 = roundTrip(x, .bf16)
        for i in x.indices {
            #expect(abs(f16[i] - x[i]) <= Float(Float16(x[i]).ulp) / 2)
            #expect(f16[i] == Float(Float16(x[i])))
            // BF16 keeps 8 significant bits: half an ulp is 2^-8 relative to the binade.
            #expect(abs(bf16[i] - x[i]) <= Float(sign: .plus, exponent: x[i].exponent - 8, significand: 1))
        }
    }

    /// The worked llama.cpp example: x = 0...31 gives d = 31/127 and q = round(127 j / 31).
    @Test func q8_0QuantizesLikeTheReference() {
        let x = (0..<32).map { Float($0) }
        let block = quantize(x, .q8_0)
        #expect(UInt16(block[0]) | UInt16(block[1]) << 8 == Float16(Float(31) / 127).bitPattern)
        for j in 0..<32 {
            #expect(Int8(bitPattern: block[2 + j]) == Int8((127 * Double(j) / 31).rounded()))
        }
    }

    /// x = j - 16: the largest magnitude is -16, so d = -16 / -8 = 2 and q = min(15, trunc(x / 2 + 8.5)).
    @Test func q4_0QuantizesLikeTheReference() {
        let x = (0..<32).map { Float($0 - 16) }
        let block = quantize(x, .q4_0)
        #expect(UInt16(block[0]) | UInt16(block[1]) << 8 == Float16(2).bitPattern)
        for j in 0..<16 {
            let low = min(15, Int((Double(x[j]) / 2 + 8.5).rounded(.towardZero)))
            let high = min(15, Int((Double(x[j + 16]) / 2 + 8.5).rounded(.towardZero)))
            #expect(block[2 + j] == UInt8(low) | UInt8(high) << 4)
        }
        #expect(block[2] & 0x0F == 0)  // the signed max maps to exactly -8 d
    }

    // MARK: Round-trip error bounds

    /// Per element `|x - d16 q| <= |x - d q| + |q| |d - d16| <= d/2 + 127 |d - d16|`, where `d` is
    /// the exact scale and `d16` the stored f16 one. Rounding is uniform, so RMS ~ d / sqrt(12).
    @Test(arguments: [Float(1), 1e-3, 300])
    func q8_0RoundTripStaysWithinHalfAStep(magnitude: Float) {
        var random = TestRandom(seed: 2)
        let x = random.floats(32 * 64, in: -magnitude...magnitude)
        let y = roundTrip(x, .q8_0)
        var squaredSteps = 0.0
        for b in 0..<64 {
            let block = x[(b * 32)..<(b * 32 + 32)]
            let amax = block.map(abs).max()!
            let d = amax / 127
            let d16 = Float(Float16(d))
            for i in block.indices {
                let error = abs(y[i] - x[i])
                #expect(error <= d / 2 + 127 * abs(d - d16) + amax * 1e-6)
                squaredSteps += Double(error / d) * Double(error / d)
            }
        }
        #expect((squaredSteps / Double(x.count)).squareRoot() <= 0.32)
    }

    /// With `d = max / -8` and `v = x / d` in [-8, 8], `q = min(15, floor(v + 8.5))`:
    /// for v < 7.5 that is round-to-nearest (error <= |d|/2); for v in [7.5, 8] it clamps to 15,
    /// i.e. the value 7 d, an error of (v - 7)|d| <= |d|. The f16 scale adds <= 8 |d - d16|.
    @Test(arguments: [Float(1), 1e-3, 300])
    func q4_0RoundTripStaysWithinTheDerivedBound(magnitude: Float) {
        var random = TestRandom(seed: 3)
        let x = random.floats(32 * 64, in: -magnitude...magnitude)
        let y = roundTrip(x, .q4_0)
        var squaredSteps = 0.0
        for b in 0..<64 {
            let block = x[(b * 32)..<(b * 32 + 32)]
            let signedMax = block.max { abs($0) < abs($1) }!
            let d = signedMax / -8
            let step = abs(d)
            let scaleError = 8 * abs(d - Float(Float16(d)))
            for i in block.indices {
                let error = abs(y[i] - x[i])
                let v = x[i] / d
                let bound = (v < 7.5 ? step / 2 : step) + scaleError + step * 1e-5
                #expect(error <= bound)
                squaredSteps += Double(error / step) * Double(error / step)
            }
        }
        #expect((squaredSteps / Double(x.count)).squareRoot() <= 0.35)
    }

    @Test func zeroBlocksQuantizeToZero() {
        let x = [Float](repeating: 0, count: 64)
        #expect(roundTrip(x, .q8_0) == x)
        #expect(roundTrip(x, .q4_0) == x)
    }

    @Test(arguments: DType.allCases.filter { Quantization.canQuantize(to: $0) })
    func f32IsACopyAndEveryTypeFillsItsRowBytes(dtype: DType) {
        var random = TestRandom(seed: 4)
        let x = random.floats(256)
        let bytes = quantize(x, dtype)
        #expect(bytes.count == dtype.rowBytes(256)!)
        if dtype == .f32 { #expect(roundTrip(x, dtype) == x) }
    }

    // MARK: Helpers

    private func dequantize(_ bytes: [UInt8], _ dtype: DType, count: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                Quantization.dequantize(src.baseAddress!, dtype: dtype, count: count, into: dst.baseAddress!)
            }
        }
        return out
    }

    private func quantize(_ x: [Float], _ dtype: DType) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xAA, count: dtype.rowBytes(x.count)!)
        x.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBytes { dst in
                Quantization.quantize(src.baseAddress!, count: x.count, to: dtype, into: dst.baseAddress!)
            }
        }
        return bytes
    }

    private func roundTrip(_ x: [Float], _ dtype: DType) -> [Float] {
        dequantize(quantize(x, dtype), dtype, count: x.count)
    }
}
