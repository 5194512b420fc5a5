import TestSupport
import Testing
@testable import StrataRuntime

/// Matmul against every block-quantized weight type on 8-bit activations (`IntegerDot`, every
/// instruction set this processor has) against float64 references on fresh random inputs:
/// exactly the quantized operands' product up to float rounding (with Q8_1's f16-rounded sums for
/// Q4_1 and Q5_1, as llama.cpp), and the float activations' product within the activation
/// quantization's error.
@Suite struct IntegerMatmulTests {
    /// Each test owns its pools: tests run concurrently and a pool takes one dispatch at a time.
    let pools = [ThreadPool(threads: 1), ThreadPool(threads: 3)]

    /// Rows and tokens 1...9 cross every edge of the 4 x 4 (AVX-512) and 2 x 4 (AVX2) register
    /// tiles; 1...5 blocks cover the paired- and four-block loops of single-token rows and
    /// their tails.
    @Test(arguments: QuantizedWeights.blockTypes)
    func everyTileShapeOnEveryInstructionSet(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        for dot in IntegerDot.available {
            for blocks in 1...(dtype.blockElements == 32 ? 5 : 2) {
                for rows in 1...9 {
                    for tokens in [1, 2, 3, 4, 5, 8, 9] {
                        check(dtype: dtype, rows: rows, columns: blocks * dtype.blockElements, tokens: tokens, dot: dot, pool: pools[0],
                              random: &random, seed: seed)
                    }
                }
            }
        }
    }

    /// Batches that take the panel path (with scratch): whole 8-row panels and a leftover row
    /// tile, token tiles of 8 (AVX-512) or 4 (AVX2) and their remainders, on every instruction set.
    @Test(arguments: QuantizedWeights.blockTypes)
    func panelsOnEveryInstructionSet(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let n = dtype.blockElements
        for dot in IntegerDot.available {
            for (rows, columns, tokens) in [(8, n, 16), (13, 3 * n, 17), (24, 2 * n, 23), (37, 2048, 40), (9, 512, 4), (16, 256, 7)] {
                for pool in pools {
                    check(dtype: dtype, rows: rows, columns: columns, tokens: tokens, dot: dot, pool: pool, random: &random,
                          seed: seed, panels: true)
                }
            }
        }
    }

    /// Shapes that cross the cache tiling (row tiles, token blocks of a few hundred) on both pools.
    @Test(arguments: QuantizedWeights.blockTypes)
    func tiledShapes(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        for pool in pools {
            check(dtype: dtype, rows: 37, columns: 2048, tokens: 70, dot: .best, pool: pool, random: &random, seed: seed)
            check(dtype: dtype, rows: 5, columns: 4096, tokens: 300, dot: .best, pool: pool, random: &random, seed: seed)
            check(dtype: dtype, rows: 300, columns: 256, tokens: 9, dot: .best, pool: pool, random: &random, seed: seed)
        }
    }

    /// The float-input entry point quantizes on the fly and gives the same numbers.
    @Test(arguments: QuantizedWeights.blockTypes)
    func floatInputTakesTheIntegerPath(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 19, columns = 512, tokens = 6
        let weights = QuantizedWeights(dtype: dtype, rows: rows, columns: columns, random: &random)
        let x = random.floats(tokens * columns, in: -3...3)
        let q = TestQ8(x, rows: tokens, columns: columns, format: dtype.activationFormat)
        var viaQ8 = [Float](repeating: .nan, count: rows * tokens)
        var viaFloats = [Float](repeating: .nan, count: rows * tokens)
        weights.withTensor { w in
            Kernels.matmul(out: &viaQ8, x: q.rows, weight: w, pool: pools[1])
            Kernels.matmul(out: &viaFloats, x: x, batch: tokens, weight: w, pool: pools[1])
        }
        #expect(viaQ8 == viaFloats, "seed \(seed)")
    }

    @Test func noTokensOrNoRowsWritesNothing() {
        var random = TestRandom(seed: 1)
        let weights = QuantizedWeights(dtype: .q8_0, rows: 4, columns: 32, random: &random)
        let q = TestQ8(random.floats(64), rows: 2, columns: 32)
        var out = [Float](repeating: 42, count: 8)
        let empty = q.buffer.rows(0, columns: 32)
        weights.withTensor { w in
            Kernels.matmul(out: &out, x: empty, weight: w, pool: pools[1])
            weights.bytes.withUnsafeBytes { raw in
                Kernels.matmul(out: &out, x: q.rows, weight: Tensor(data: raw.baseAddress!, dtype: .q8_0, columns: 32, rows: 0),
                               pool: pools[1])
            }
        }
        #expect(out.allSatisfy { $0 == 42 })
    }

    /// Q4_0 runs nibbles `n` unsigned and folds the offset into the accumulator: its int32 lanes
    /// carry `sum n q - sum q` before they cancel, and float rounding is relative to those sizes
    /// (still some 1e-7 of them, far below the activations' quantization error).
    private func q4LaneMagnitude(_ weights: QuantizedWeights, row r: Int, q: TestQ8, token t: Int) -> Double {
        let blocks = weights.columns / 32
        var total = 0.0
        for k in 0..<blocks {
            let block = (r * blocks + k) * 18
            let d = Double(Float16(bitPattern: UInt16(weights.bytes[block]) | UInt16(weights.bytes[block + 1]) << 8))
            var unsigned = 0.0, sum = 0.0
            for j in 0..<32 {
                let byte = weights.bytes[block + 2 + j % 16]
                let nibble = Double(j < 16 ? byte & 0x0F : byte >> 4)
                let quant = Double(q.rows.quants[t * weights.columns + k * 32 + j])
                unsigned += abs(nibble * quant)
                sum += quant
            }
            total += abs(d) * Double(q.rows.scales[t * blocks + k]) * (unsigned + 8 * abs(sum))
        }
        return total
    }

    private func check(dtype: DType, rows: Int, columns: Int, tokens: Int, dot: IntegerDot, pool: ThreadPool,
                       random: inout TestRandom, seed: UInt64, panels: Bool = false) {
        let weights = QuantizedWeights(dtype: dtype, rows: rows, columns: columns, extremes: true, random: &random)
        var x = random.floats(tokens * columns, in: -3...3)
        // A zero block (scale 0) and a block dominated by one outlier.
        for i in 0..<min(32, x.count) { x[i] = 0 }
        if x.count >= 64 { x[40] = 500 }
        let q = TestQ8(x, rows: tokens, columns: columns, format: dtype.activationFormat)
        let xq = q.values
        let n = dtype.blockElements
        var out = [Float](repeating: .nan, count: rows * tokens)
        var scratch = [Float](repeating: .nan, count: pool.threadCount * Kernels.packedQuantMatmulScratch(inDim: columns))
        scratch.withUnsafeMutableBufferPointer { scratch in
            let panelScratch = MatmulScratch(base: scratch.baseAddress!, floatsPerThread: scratch.count / pool.threadCount,
                                             threads: pool.threadCount)
            weights.withTensor {
                Kernels.matmul(out: &out, x: q.rows, weight: $0, pool: pool, dot: dot, scratch: panels ? panelScratch : nil)
            }
        }

        var exactFailures = 0, boundFailures = 0
        for t in 0..<tokens {
            for r in 0..<rows {
                var exact = 0.0, magnitude = 0.0, float = 0.0, bound = 0.0
                for i in 0..<columns {
                    let w = Double(weights.values[r * columns + i])
                    exact += w * Double(xq[t * columns + i])
                    magnitude += abs(w * Double(xq[t * columns + i]))
                    float += w * Double(x[t * columns + i])
                    // Rounding to the nearest quant is off by at most half a step, plus (32-element
                    // blocks) the scale's rounding to f16: 127 * 2^-11 steps.
                    bound += abs(w) * abs(Double(q.rows.scales[t * columns / n + i / n])) * 0.57
                }
                let correction = q.minimumCorrection(weights, row: r, token: t)
                exact += correction
                float += correction
                bound += abs(correction)
                if dtype == .q4_0 { magnitude = max(magnitude, q4LaneMagnitude(weights, row: r, q: q, token: t)) }
                // Offset types carry `q + offset` in their lanes before the offset cancels.
                if dtype == .q5_0 || dtype == .q3_K || dtype == .q6_K { magnitude *= 4 }
                let got = Double(out[t * rows + r])
                if !(abs(got - exact) <= 1e-6 + 1e-5 * magnitude) { exactFailures += 1 }
                if !(abs(got - float) <= bound * 1.0001 + 1e-5 * magnitude + 1e-6) { boundFailures += 1 }
            }
        }
        #expect(exactFailures == 0, "\(dtype) \(dot) rows \(rows) columns \(columns) tokens \(tokens) threads \(pool.threadCount) panels \(panels) seed \(seed)")
        #expect(boundFailures == 0, "\(dtype) \(dot) rows \(rows) columns \(columns) tokens \(tokens) seed \(seed): beyond quantization error")
    }
}
