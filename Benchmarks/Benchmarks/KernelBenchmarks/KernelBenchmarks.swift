import Benchmark
import Memory
import StrataRuntime

// One benchmark per kernel at the shapes that matter: a decode step (one token) and a prefill
// block (64 tokens) through tinyllama-sized projections (2048 x 2048), attention over 1024
// cached positions, and the activation kernels. Every benchmark also counts mallocs: the
// kernels allocate nothing, so any count above zero is a regression. One thread, so figures
// are per core; `THREADS=2` in the environment measures the pool too.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 10_000)

    let threads = Int(Environment.value("THREADS") ?? "") ?? 1
    let pool = ThreadPool(threads: threads)
    let dim = 2048
    // Per-thread panel scratch, as the runner holds it: prefill batches pack panels of weights.
    let panelFloats = max(Kernels.packedMatmulScratch(inDim: dim), Kernels.packedQuantMatmulScratch(inDim: dim))
    let scratch = MatmulScratch(base: UnsafeMutablePointer<Float>.allocate(capacity: threads * panelFloats),
                                floatsPerThread: panelFloats, threads: threads)

    for dtype in DType.allCases where dtype.isWeightType {
        let weight = Fixture.weight(dtype, rows: dim, columns: dim)
        for tokens in [1, 64] {
            let x = Fixture.floats(tokens * dim)
            let out = UnsafeMutablePointer<Float>.allocate(capacity: tokens * dim)
            if dtype.blockElements == 1 {
                Benchmark("matmul \(dtype) \(tokens)x\(dim)x\(dim)") { benchmark in
                    for _ in benchmark.scaledIterations {
                        Kernels.matmul(out: out, x: x, batch: tokens, weight: weight.tensor, pool: pool)
                    }
                    blackHole(out[0])
                }
                if tokens >= Kernels.packedMatmulMinimumBatch {
                    Benchmark("matmul \(dtype) \(tokens)x\(dim)x\(dim) packed panels") { benchmark in
                        for _ in benchmark.scaledIterations {
                            Kernels.matmul(out: out, x: x, batch: tokens, weight: weight.tensor, pool: pool, scratch: scratch)
                        }
                        blackHole(out[0])
                    }
                }
            } else {
                let q8 = Q8Buffer(elements: tokens * dim, format: dtype.activationFormat)
                let rows = q8.rows(tokens, columns: dim)
                Kernels.quantizeRows(x, rows: tokens, columns: dim, into: rows)
                for dot in IntegerDot.available {
                    Benchmark("matmul \(dtype) \(tokens)x\(dim)x\(dim) C \(dot)") { benchmark in
                        for _ in benchmark.scaledIterations {
                            Kernels.matmul(out: out, x: rows, weight: weight.tensor, pool: pool, dot: dot)
                        }
                        blackHole(out[0])
                    }
                    if tokens >= Kernels.packedQuantMatmulMinimumBatch(dtype) {
                        Benchmark("matmul \(dtype) \(tokens)x\(dim)x\(dim) C \(dot) panels") { benchmark in
                            for _ in benchmark.scaledIterations {
                                Kernels.matmul(out: out, x: rows, weight: weight.tensor, pool: pool, dot: dot, scratch: scratch)
                            }
                            blackHole(out[0])
                        }
                    }
                }
                if dtype == .q8_0 {
                    // The same product written in Swift: the case for the C inner loop.
                    Benchmark("matmul \(dtype) \(tokens)x\(dim)x\(dim) Swift int8") { benchmark in
                        for _ in benchmark.scaledIterations {
                            SwiftIntegerDot.matmulQ8_0(out: out, x: rows, weight: weight.tensor)
                        }
                        blackHole(out[0])
                    }
                }
            }
        }
    }

    let tokens = 64
    let x = Fixture.floats(tokens * dim), up = Fixture.floats(tokens * dim), norm = Fixture.floats(dim)
    let q8 = Q8Buffer(elements: tokens * dim)
    let rows = q8.rows(tokens, columns: dim)
    Benchmark("quantizeRows \(tokens)x\(dim)") { benchmark in
        for _ in benchmark.scaledIterations { Kernels.quantizeRows(x, rows: tokens, columns: dim, into: rows) }
    }
    Benchmark("rmsNormQuantized \(tokens)x\(dim)") { benchmark in
        for _ in benchmark.scaledIterations {
            Kernels.rmsNormQuantized(x: x, weight: norm, dim: dim, rows: tokens, eps: 1e-5, into: rows)
        }
    }
    Benchmark("swigluQuantized \(tokens)x\(dim)") { benchmark in
        for _ in benchmark.scaledIterations {
            Kernels.swigluQuantized(gate: x, up: up, rows: tokens, columns: dim, into: rows)
        }
    }
    let normed = UnsafeMutablePointer<Float>.allocate(capacity: tokens * dim)
    Benchmark("rmsNorm \(tokens)x\(dim)") { benchmark in
        for _ in benchmark.scaledIterations {
            Kernels.rmsNorm(out: normed, x: x, weight: norm, dim: dim, rows: tokens, eps: 1e-5)
        }
    }

    // Attention: GQA 32 query heads over 4 kv heads of 64 (tinyllama), F16 and Q8_0 KV.
    for kvType in [DType.f16, .q8_0] {
        let attention = Fixture.Attention(kvType: kvType, positions: 1024)
        for queryTokens in [1, 8] {
            Benchmark("pagedAttention \(kvType) \(queryTokens) token(s) x 1024 positions, 32/4 heads x 64") { benchmark in
                for _ in benchmark.scaledIterations { attention.run(tokens: queryTokens) }
                blackHole(attention.out[0])
            }
        }
    }

    Benchmark("ThreadPool empty dispatch, 64 chunks") { benchmark in
        var context = 0
        for _ in benchmark.scaledIterations {
            withUnsafeMutablePointer(to: &context) { context in
                pool.parallelFor(64, context: UnsafeRawPointer(context)) { _, _, _ in }
            }
        }
    }
}
