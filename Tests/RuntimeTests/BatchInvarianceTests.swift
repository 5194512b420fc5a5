import TestSupport
import Testing
@testable import StrataRuntime

/// `batchInvariant` matmuls: every token of a batch gets bit for bit what it gets alone, for every
/// weight type, on every path a batch could otherwise take (tiles, panels, token blocks).
@Suite struct BatchInvarianceTests {
    let pool = ThreadPool(threads: 2)

    @Test(arguments: QuantizedWeights.blockTypes)
    func quantizedTokensEqualTheirSingleTokenResult(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        for (rows, columns, tokens) in [(37, 512, 40), (64, 2048, 9), (16, 256, 5)] {
            let weights = QuantizedWeights(dtype: dtype, rows: rows, columns: columns, random: &random)
            let x = random.floats(tokens * columns, in: -3...3)
            let q = TestQ8(x, rows: tokens, columns: columns, format: dtype.activationFormat)
            let alone = (0..<tokens).map {
                TestQ8(Array(x[$0 * columns..<($0 + 1) * columns]), rows: 1, columns: columns, format: dtype.activationFormat)
            }
            var batched = [Float](repeating: .nan, count: rows * tokens)
            var single = [Float](repeating: .nan, count: rows * tokens)
            var scratch = [Float](repeating: 0, count: pool.threadCount * Kernels.packedQuantMatmulScratch(inDim: columns))
            scratch.withUnsafeMutableBufferPointer { scratch in
                let panels = MatmulScratch(base: scratch.baseAddress!, floatsPerThread: scratch.count / pool.threadCount,
                                           threads: pool.threadCount)
                weights.withTensor { w in
                    Kernels.matmul(out: &batched, x: q.rows, weight: w, pool: pool, scratch: panels, batchInvariant: true)
                    for t in 0..<tokens {
                        single.withUnsafeMutableBufferPointer {
                            Kernels.matmul(out: $0.baseAddress! + t * rows, x: alone[t].rows, weight: w, pool: pool, scratch: panels)
                        }
                    }
                }
            }
            #expect(batched == single, "\(dtype) rows \(rows) columns \(columns) tokens \(tokens) seed \(seed)")
        }
    }

    @Test(arguments: [DType.f32, .f16, .bf16])
    func floatTokensEqualTheirSingleTokenResult(dtype: DType) {
        let seed = TestRandom.freshSeed()
        var random = TestRandom(seed: seed)
        let rows = 40, columns = 256, tokens = 33
        let values = random.floats(rows * columns, in: -1...1)
        var bytes = [UInt8](repeating: 0, count: dtype.rowBytes(columns)! * rows)
        bytes.withUnsafeMutableBytes { Quantization.quantize(values, count: values.count, to: dtype, into: $0.baseAddress!) }
        let x = random.floats(tokens * columns, in: -3...3)
        var batched = [Float](repeating: .nan, count: rows * tokens)
        var single = [Float](repeating: .nan, count: rows * tokens)
        var scratch = [Float](repeating: 0, count: pool.threadCount * Kernels.packedMatmulScratch(inDim: columns))
        scratch.withUnsafeMutableBufferPointer { scratch in
            let panels = MatmulScratch(base: scratch.baseAddress!, floatsPerThread: scratch.count / pool.threadCount, threads: pool.threadCount)
            bytes.withUnsafeBytes { raw in
                let w = Tensor(data: raw.baseAddress!, dtype: dtype, columns: columns, rows: rows)
                Kernels.matmul(out: &batched, x: x, batch: tokens, weight: w, pool: pool, scratch: panels, batchInvariant: true)
                x.withUnsafeBufferPointer { x in
                    single.withUnsafeMutableBufferPointer { out in
                        for t in 0..<tokens {
                            Kernels.matmul(out: out.baseAddress! + t * rows, x: x.baseAddress! + t * columns, batch: 1, weight: w,
                                           pool: pool, scratch: panels)
                        }
                    }
                }
            }
        }
        #expect(batched == single, "\(dtype) seed \(seed)")
    }
}
