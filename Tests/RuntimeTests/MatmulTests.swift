import TestSupport
import Testing
@testable import StrataRuntime

/// `Kernels.matmul` for every dtype against a Double reference over the dequantized weight, on
/// fresh random inputs each run
/// (the decoders themselves are checked against hand-built blocks in `QuantizationTests`).
/// Block-quantized weights multiply 8-bit activations: their reference is over the quantized
/// activations (`IntegerMatmulTests` covers that path and its error against float inputs).
@Suite struct MatmulTests {
    /// Each test owns its pools: tests run concurrently and a pool takes one dispatch at a time.
    let pools = [ThreadPool(threads: 1), ThreadPool(threads: 3)]

    /// Column counts: every width for the float types (tails of 1...15 after 8/16-wide steps),
    /// whole blocks for the quantized ones.
    static func widths(_ dtype: DType) -> [Int] {
        dtype.blockElements == 1 ? [1, 7, 8, 15, 16, 17, 33, 100] : [1, 2, 3, 5].map { $0 * dtype.blockElements }
    }

    static let weightTypes = DType.allCases.filter(\.isWeightType)

    @Test(arguments: weightTypes)
    func smallShapesEveryBatchFrom1To7(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        for inDim in Self.widths(dtype) {
            for outDim in [1, 3, 17, 70] {
                for batch in 1...7 {
                    check(dtype: dtype, inDim: inDim, outDim: outDim, batch: batch, random: &random, seed: seed)
                }
            }
        }
    }

    /// Batches the packed path takes (with scratch): whole panels of 16 rows and a leftover,
    /// full 6-token tiles and leftover tokens.
    @Test(arguments: [DType.f32, .f16, .bf16])
    func packedPanels(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        for (inDim, outDim, batch) in [(8, 16, 12), (33, 17, 13), (64, 70, 24), (100, 48, 29), (2048, 33, 16)] {
            check(dtype: dtype, inDim: inDim, outDim: outDim, batch: batch, random: &random, seed: seed)
        }
    }

    /// Shapes that cross the cache tiling: several row tiles per chunk, several token blocks,
    /// long rows, and odd widths.
    @Test(arguments: weightTypes)
    func tiledShapes(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        check(dtype: dtype, inDim: 2048, outDim: 21, batch: 37, random: &random, seed: seed)
        check(dtype: dtype, inDim: 512, outDim: 150, batch: 9, random: &random, seed: seed)
        check(dtype: dtype, inDim: 4096, outDim: 5, batch: 6, random: &random, seed: seed)
        if !dtype.isBlockQuantized {
            check(dtype: dtype, inDim: 2001, outDim: 7, batch: 6, random: &random, seed: seed)  // odd tail after long SIMD runs
        }
    }

    @Test func zeroBatchOrRowsWritesNothing() {
        var weight = [Float](repeating: 1, count: 32 * 4)
        var out = [Float](repeating: 42, count: 8)
        let x = [Float](repeating: 1, count: 64)
        weight.withUnsafeMutableBytes { raw in
            let none = Tensor(data: raw.baseAddress!, dtype: .f32, columns: 32, rows: 0)
            let some = Tensor(data: raw.baseAddress!, dtype: .f32, columns: 32, rows: 4)
            Kernels.matmul(out: &out, x: x, batch: 2, weight: none, pool: pools[1])
            Kernels.matmul(out: &out, x: x, batch: 0, weight: some, pool: pools[1])
        }
        #expect(out.allSatisfy { $0 == 42 })
    }

    private func check(dtype: DType, inDim: Int, outDim: Int, batch: Int, random: inout TestRandom, seed: UInt64) {
        var bytes: [UInt8]
        var w = [Float](repeating: 0, count: inDim * outDim)
        var blocks: QuantizedWeights?
        if dtype.isBlockQuantized {
            let weights = QuantizedWeights(dtype: dtype, rows: outDim, columns: inDim, random: &random)
            (bytes, w, blocks) = (weights.bytes, weights.values, weights)
        } else {
            let values = random.floats(inDim * outDim)
            bytes = [UInt8](repeating: 0, count: dtype.rowBytes(inDim)! * outDim)
            bytes.withUnsafeMutableBytes { Quantization.quantize(values, count: values.count, to: dtype, into: $0.baseAddress!) }
            bytes.withUnsafeBytes { Quantization.dequantize($0.baseAddress!, dtype: dtype, count: values.count, into: &w) }
        }
        let x = random.floats(inDim * batch, in: -2...2)
        let q8 = dtype.isBlockQuantized ? TestQ8(x, rows: batch, columns: inDim, format: dtype.activationFormat) : nil
        let reference = q8?.values ?? x

        for pool in pools {
            // Without scratch (dot-product tiles), and with it (packed panels for large batches).
            for packed in [false, true] {
                var out = [Float](repeating: .nan, count: outDim * batch)
                var panels = [Float](repeating: .nan, count: pool.threadCount * Kernels.packedMatmulScratch(inDim: inDim))
                bytes.withUnsafeBytes { raw in
                    let weight = Tensor(data: raw.baseAddress!, dtype: dtype, columns: inDim, rows: outDim)
                    panels.withUnsafeMutableBufferPointer { panels in
                        let scratch = MatmulScratch(base: panels.baseAddress!, floatsPerThread: panels.count / pool.threadCount,
                                                    threads: pool.threadCount)
                        Kernels.matmul(out: &out, x: x, batch: batch, weight: weight, pool: pool, scratch: packed ? scratch : nil)
                    }
                }
                var failures = 0
                for b in 0..<batch {
                    for o in 0..<outDim {
                        var want = blocks.map { q8!.minimumCorrection($0, row: o, token: b) } ?? 0, magnitude = abs(want)
                        for i in 0..<inDim {
                            let product = Double(w[o * inDim + i]) * Double(reference[b * inDim + i])
                            want += product
                            magnitude += abs(product)
                        }
                        // Offset types carry `q + offset` in their integer lanes before it cancels.
                        if [.q4_0, .q5_0, .q3_K, .q6_K].contains(dtype) { magnitude *= 4 }
                        if !isClose(out[b * outDim + o], want, absolute: 1e-6, relative: 1e-5, scale: magnitude) { failures += 1 }
                    }
                }
                #expect(failures == 0, "\(dtype) inDim \(inDim) outDim \(outDim) batch \(batch) threads \(pool.threadCount) packed \(packed) seed \(seed)")
            }
        }
    }
}
