import TestSupport
import Testing
@testable import StrataRuntime

/// The K-quant, IQ4 and Q8_K quantizers against llama.cpp's own output (fixtures made by
/// `llama-quantize --pure`, and ggml's `quantize_row_q8_K_ref`; see
/// Fixtures/Quantization/README.md), our decoders against gguf-py's on those bytes, and the
/// round-trip error each format leaves.
@Suite struct KQuantizationTests {
    // MARK: Against llama.cpp

    @Test(arguments: QuantizationFixtures.types)
    func edgeRowsQuantizeToLlamaCppBytes(type: DType) throws {
        let x = try QuantizationFixtures.edgeInput()
        let expected = try QuantizationFixtures.edgeBytes(type)
        #expect(expected.count == type.rowBytes(x.count))
        let ours = quantize(x, type)
        // Report the first differing block and row, not 1000 bytes.
        if let i = ours.indices.first(where: { ours[$0] != expected[$0] }) {
            let block = i / type.blockBytes
            Issue.record("\(type): byte \(i) (block \(block), row \(block * type.blockElements / QuantizationFixtures.columns)) is \(ours[i]), llama.cpp wrote \(expected[i])")
        }
    }

    @Test(arguments: QuantizationFixtures.types)
    func formulaRowsQuantizeToLlamaCppDigest(type: DType) throws {
        let digests = try QuantizationFixtures.randomDigests()
        let expected = try #require(digests[type.description])
        let ours = QuantizationFixtures.fnv1a64(quantize(QuantizationFixtures.randomInput(), type))
        #expect(ours == expected, "FNV-1a 64 of our \(type) bytes for the 256 x 256 formula rows")
    }

    /// The formula must be rebuilt exactly for the digests to mean anything: spot values.
    @Test func formulaRowsAreTheGeneratorsRows() {
        let x = QuantizationFixtures.randomInput(rows: 8)
        #expect(x.count == 8 * 256)
        #expect(x.allSatisfy { $0.isFinite })
        // Row 0 adds 40000 and zeroes three in four; row 1 is a plain Irwin-Hall sum times 2^-28.
        #expect(x[0..<256].filter { $0 == 0 }.count > 150)
        #expect(x[256..<512].allSatisfy { abs($0) <= 131_072 * 0x1p-28 })
    }

    @Test(arguments: QuantizationFixtures.types)
    func llamaCppBlocksDequantizeLikeGGUFPy(type: DType) throws {
        let bytes = try QuantizationFixtures.edgeBytes(type)
        let expected = try QuantizationFixtures.edgeDequantized(type)
        let ours = dequantize(bytes, type, count: expected.count)
        let mismatches = zip(ours, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(type): \(mismatches) values differ from gguf-py's")
    }

    // MARK: Edge cases spelled out

    @Test(arguments: QuantizationFixtures.types)
    func zeroBlocksRoundTripToZero(type: DType) {
        let x = [Float](repeating: 0, count: 512)
        #expect(dequantize(quantize(x, type), type, count: 512).allSatisfy { $0 == 0 })
    }

    @Test func nearestIntRoundsHalfToEvenLikeGGML() {
        #expect(Quantization.nearestInt(0.5) == 0)
        #expect(Quantization.nearestInt(1.5) == 2)
        #expect(Quantization.nearestInt(2.5) == 2)
        #expect(Quantization.nearestInt(-0.5) == 0)
        #expect(Quantization.nearestInt(-1.5) == -2)
        #expect(Quantization.nearestInt(0.49999997) == 0)
        #expect(Quantization.nearestInt(-31.6) == -32)
        #expect(Quantization.nearestInt(4_194_303) == 4_194_303)
    }

    @Test func bestIndexPicksTheNearestTableEntryAndTheUpperOneOnATie() {
        Quantization.iq4Values.withUnsafeBufferPointer { table in
            let values = table.baseAddress!
            #expect(Quantization.bestIndex(values, 16, -1000) == 0)
            #expect(Quantization.bestIndex(values, 16, 1000) == 15)
            #expect(Quantization.bestIndex(values, 16, 0) == 8)       // between -10 and 1: 1 is nearer
            #expect(Quantization.bestIndex(values, 16, -4.5) == 8)    // the midpoint of -10 and 1
            #expect(Quantization.bestIndex(values, 16, -4.6) == 7)
            for i in 0..<16 { #expect(Quantization.bestIndex(values, 16, Float(values[i])) == i) }
        }
    }

    /// The IQ4 quantizers' branch-free table lookup against ggml's bisection, on values around
    /// every midpoint (a few ulps either side), the table values, random values and the extremes.
    @Test func iq4TableAgreesWithGGMLsBisection() {
        let table = IQ4Table.shared
        var probes: [Float] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, 1e-30, -1e-30]
        let values = Quantization.iq4Values.map(Float.init)
        for v in values { probes += [v, v.nextUp, v.nextDown] }
        for k in 0..<15 {
            var m = (values[k] + values[k + 1]) / 2
            for _ in 0..<8 { m = m.nextDown }
            for _ in 0..<17 { probes.append(m); m = m.nextUp }
        }
        var random = TestRandom(seed: 7)
        probes += random.floats(20_000, in: -140...140)
        probes += random.floats(2_000, in: -1...1)
        while probes.count % 8 != 0 { probes.append(0) }
        Quantization.iq4Values.withUnsafeBufferPointer { t in
            for start in stride(from: 0, to: probes.count, by: 8) {
                let x = SIMD8<Float>(probes[start..<(start + 8)])
                let index = table.index(x), value = table.value(x)
                for j in 0..<8 {
                    let expected = Quantization.bestIndex(t.baseAddress!, 16, x[j])
                    #expect(Int(index[j]) == expected, "x = \(x[j])")
                    #expect(value[j] == Float(t[expected]), "x = \(x[j])")
                }
            }
            // NaN: ggml's bisection ends on the last entry.
            let nan = SIMD8<Float>(repeating: .nan)
            #expect(table.index(nan) == SIMD8(repeating: 15))
            #expect(Quantization.bestIndex(t.baseAddress!, 16, .nan) == 15)
        }
    }

    /// IQ4_NL quantizes eight blocks at a time; a row whose block count is not a multiple of
    /// eight (a 288-wide row: 9 blocks) must come out as its blocks would one by one.
    @Test func iq4_NLRowsOfAnyBlockCountQuantizeLikeSingleBlocks() {
        let x = QuantizationFixtures.randomInput(rows: 16)
        let whole = quantize(Array(x[0..<(288 * 9)]), .iq4_nl)
        var pieces: [UInt8] = []
        for b in 0..<(288 * 9 / 32) { pieces += quantize(Array(x[(b * 32)..<(b * 32 + 32)]), .iq4_nl) }
        #expect(whole == pieces)
    }

    // MARK: Round trip

    /// RMS error over RMS value, on the formula rows that are dense, without outliers and large
    /// enough for f16 super-block scales (around 2^-7 and up; below ~1e-3 the scales go subnormal
    /// or flush to zero, a limit of the formats that llama.cpp's bytes share). Rounding to a grid of
    /// step `s` leaves an RMS error near `s / sqrt(12)`; `s` is a group's expected range over its
    /// levels - 1: for these near-normal rows about 4 sigma / 15 for Q4_K's 32-element groups
    /// (0.077), 4 / 31 for Q5_K (0.037), 3.8 / 63 for Q6_K's 16-element symmetric groups (0.017),
    /// 3.8 / 7 for Q3_K (0.16), 3.5 / 3 for Q2_K (0.34, less after its search), 2 x 2.9 / 254 for
    /// Q8_K's 256 (0.0066). The bounds are those with about 30% margin; the search-based
    /// quantizers land a little under them.
    @Test(arguments: [(DType.q2_K, Float(0.40)), (.q3_K, 0.21), (.q4_K, 0.10), (.q5_K, 0.052), (.q6_K, 0.026),
                      (.iq4_nl, 0.105), (.iq4_xs, 0.105), (.q8_K, 0.0095)])
    func roundTripErrorIsWhatTheBitsAllow(type: DType, bound: Float) {
        let rows = 64, columns = QuantizationFixtures.columns
        let x = QuantizationFixtures.randomInput(rows: rows)
        let y = dequantize(quantize(x, type), type, count: x.count)
        var worst: Float = 0
        for r in 0..<rows where r % 3 != 0 && r % 8 >= 2 && r % 7 != 0 {
            let range = (r * columns)..<((r + 1) * columns)
            var signal = 0.0, noise = 0.0
            for i in range {
                signal += Double(x[i] * x[i])
                noise += Double((x[i] - y[i]) * (x[i] - y[i]))
            }
            worst = max(worst, Float((noise / signal).squareRoot()))
        }
        #expect(worst <= bound, "\(type): worst RMS error / RMS value \(worst)")
    }

    /// Q8_K rounds `x / d` to the nearest integer with `d = max / -127`: every element, outliers
    /// and tiny rows included, is within half a step (`max |x| / 254`) of its value.
    @Test func q8_KRoundTripIsWithinHalfAStep() {
        let x = QuantizationFixtures.randomInput(rows: 64)
        let y = dequantize(quantize(x, .q8_K), .q8_K, count: x.count)
        for b in 0..<(x.count / 256) {
            let range = (b * 256)..<((b + 1) * 256)
            let amax = x[range].map(abs).max()!
            for i in range { #expect(abs(x[i] - y[i]) <= amax / 254 * 1.0001) }
        }
    }

    /// Every element of the formula rows, sparse and outlier rows included, decodes to within the
    /// largest magnitude of its super-block (a sanity bound: garbage scales would break it). Not
    /// the two tiniest row scales (|x| < 2^-10): there the f16 `d` of Q4_K/Q5_K flushes to zero
    /// while `dmin` does not, so values sit at `-dmin m`, as in llama.cpp's identical bytes.
    @Test(arguments: QuantizationFixtures.types)
    func noElementMovesFartherThanItsBlocksLargestValue(type: DType) {
        let x = QuantizationFixtures.randomInput(rows: 64)
        let y = dequantize(quantize(x, type), type, count: x.count)
        for b in 0..<(x.count / 256) where b % 8 >= 2 {
            let range = (b * 256)..<((b + 1) * 256)
            let amax = x[range].map(abs).max()!
            let bad = range.filter { abs(x[$0] - y[$0]) > amax * 1.0001 }.count
            #expect(bad == 0, "\(type): super-block \(b)")
        }
    }

    // MARK: Helpers

    private func quantize(_ x: [Float], _ dtype: DType) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xAA, count: dtype.rowBytes(x.count)!)
        x.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBytes { dst in
                Quantization.quantize(src.baseAddress!, count: x.count, to: dtype, into: dst.baseAddress!)
            }
        }
        return bytes
    }

    private func dequantize(_ bytes: [UInt8], _ dtype: DType, count: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                Quantization.dequantize(src.baseAddress!, dtype: dtype, count: count, into: dst.baseAddress!)
            }
        }
        return out
    }
}
