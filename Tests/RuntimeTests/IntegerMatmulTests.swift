import TestSupport
import Testing
@testable import StrataRuntime

/// Matmul against Q8_0 / Q4_0 weights on 8-bit activations (`IntegerDot`, every instruction set
/// this processor has) against float64 references on fresh random inputs: exactly the
/// quantized operands' product up to float rounding, and the float activations' product within
/// the activation quantization's error.
@Suite struct IntegerMatmulTests {
    /// Each test owns its pools: tests run concurrently and a pool takes one dispatch at a time.
    let pools = [ThreadPool(threads: 1), ThreadPool(threads: 3)]

    /// Rows and tokens 1...9 cross every edge of the 4 x 4 (AVX-512) and 2 x 4 (AVX2) register
    /// tiles; 1...3 blocks cover the paired-block loop of single-token tiles and its odd tail.
    @Test(arguments: [DType.q8_0, .q4_0])
    func everyTileShapeOnEveryInstructionSet(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        for dot in IntegerDot.available {
            for blocks in 1...3 {
                for rows in 1...9 {
                    for tokens in [1, 2, 3, 4, 5, 8, 9] {
                        check(dtype: dtype, rows: rows, columns: blocks * 32, tokens: tokens, dot: dot, pool: pools[0],
                              random: &random, seed: seed)
                    }
                }
            }
        }
    }

    /// Batches that take the panel path (with scratch): whole 8-row panels and a leftover row
    /// tile, token tiles of 8 (AVX-512) or 4 (AVX2) and their remainders, on every instruction set.
    @Test(arguments: [DType.q8_0, .q4_0])
    func panelsOnEveryInstructionSet(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        for dot in IntegerDot.available {
            for (rows, columns, tokens) in [(8, 32, 16), (13, 96, 17), (24, 64, 23), (37, 2048, 40)] {
                for pool in pools {
                    check(dtype: dtype, rows: rows, columns: columns, tokens: tokens, dot: dot, pool: pool, random: &random,
                          seed: seed, panels: true)
                }
            }
        }
    }

    /// Shapes that cross the cache tiling (row tiles, token blocks of a few hundred) on both pools.
    @Test(arguments: [DType.q8_0, .q4_0])
    func tiledShapes(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        for pool in pools {
            check(dtype: dtype, rows: 37, columns: 2048, tokens: 70, dot: .best, pool: pool, random: &random, seed: seed)
            check(dtype: dtype, rows: 5, columns: 4096, tokens: 300, dot: .best, pool: pool, random: &random, seed: seed)
            check(dtype: dtype, rows: 300, columns: 64, tokens: 9, dot: .best, pool: pool, random: &random, seed: seed)
        }
    }

    /// The float-input entry point quantizes on the fly and gives the same numbers.
    @Test(arguments: [DType.q8_0, .q4_0])
    func floatInputTakesTheIntegerPath(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 19, columns = 96, tokens = 6
        let weights = QuantizedWeights(dtype: dtype, rows: rows, columns: columns, random: &random)
        let x = random.floats(tokens * columns, in: -3...3)
        let q = TestQ8(x, rows: tokens, columns: columns)
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
        let q = TestQ8(x, rows: tokens, columns: columns)
        let xq = q.values
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
                    // Rounding to the nearest quant is off by at most half a step.
                    bound += abs(w) * Double(q.rows.scales[t * columns / 32 + i / 32]) / 2
                }
                if dtype == .q4_0 { magnitude = max(magnitude, q4LaneMagnitude(weights, row: r, q: q, token: t)) }
                let got = Double(out[t * rows + r])
                if !(abs(got - exact) <= 1e-6 + 1e-5 * magnitude) { exactFailures += 1 }
                if !(abs(got - float) <= bound * 1.0001 + 1e-5 * magnitude + 1e-6) { boundFailures += 1 }
            }
        }
        #expect(exactFailures == 0, "\(dtype) \(dot) rows \(rows) columns \(columns) tokens \(tokens) threads \(pool.threadCount) panels \(panels) seed \(seed)")
        #expect(boundFailures == 0, "\(dtype) \(dot) rows \(rows) columns \(columns) tokens \(tokens) seed \(seed): beyond quantization error")
    }
}
