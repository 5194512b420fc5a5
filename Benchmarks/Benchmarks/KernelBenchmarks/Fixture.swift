#if canImport(Glibc)
import Glibc
#endif
import Memory
import StrataRuntime

/// Inputs for the kernel benchmarks, made once (values do not change speed, only shapes do).
enum Fixture {
    /// Uniform floats in -1...1 from a fixed-seed generator.
    static func floats(_ count: Int, seed: UInt64 = 1) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        var state = seed
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            p[i] = Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max)
        }
        return p
    }

    /// A weight of `dtype`, quantized the way the converter does.
    final class Weight: @unchecked Sendable {
        let bytes: UnsafeMutableRawPointer
        let tensor: Tensor

        init(_ dtype: DType, rows: Int, columns: Int) {
            let values = Fixture.floats(rows * columns, seed: 7)
            defer { values.deallocate() }
            bytes = .allocate(byteCount: dtype.rowBytes(columns)! * rows, alignment: 64)
            Quantization.quantize(values, count: rows * columns, to: dtype, into: bytes)
            tensor = Tensor(data: bytes, dtype: dtype, columns: columns, rows: rows)
        }
    }

    static func weight(_ dtype: DType, rows: Int, columns: Int) -> Weight { Weight(dtype, rows: rows, columns: columns) }

    /// One layer's paged KV for `positions` tokens and the queries of a prefill run.
    final class Attention: @unchecked Sendable {
        static let heads = 32, kvHeads = 4, headDim = 64, blockTokens = 16
        let layout: KVPageLayout
        let positions: Int
        let table: UnsafeMutablePointer<UnsafeMutableRawPointer>
        let queries: UnsafeMutablePointer<Float>
        let out: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutablePointer<Float>

        init(kvType: DType, positions: Int) {
            layout = KVPageLayout(layers: 1, blockTokens: Self.blockTokens, kvDim: Self.kvHeads * Self.headDim, dtype: kvType)
            self.positions = positions
            let pages = (positions + Self.blockTokens - 1) / Self.blockTokens
            table = .allocate(capacity: pages)
            for p in 0..<pages { table[p] = .allocate(byteCount: layout.pageBytes, alignment: 64) }
            let kv = Fixture.floats(2 * layout.kvDim, seed: 3)
            for t in 0..<positions {
                Kernels.storeKV(key: kv, value: kv + layout.kvDim, page: table[t / Self.blockTokens], layer: 0,
                                slot: t % Self.blockTokens, layout: layout)
            }
            let qDim = Self.heads * Self.headDim
            queries = Fixture.floats(8 * qDim, seed: 5)
            out = .allocate(capacity: 8 * qDim)
            scratch = .allocate(capacity: Kernels.pagedAttentionScratch(queries: 64, blockTokens: Self.blockTokens, headDim: Self.headDim))
        }

        /// The last `tokens` positions attend, every kv head in turn.
        func run(tokens: Int) {
            let qDim = Self.heads * Self.headDim
            for g in 0..<Self.kvHeads {
                Kernels.pagedAttention(out: out, outStride: qDim, queries: queries, queryStride: qDim, tokens: tokens,
                                       firstPosition: positions - tokens, pages: table, layout: layout, layer: 0, kvHead: g,
                                       headCount: Self.heads, kvHeads: Self.kvHeads, headDim: Self.headDim,
                                       scale: 0.125, scratch: scratch)
            }
        }
    }
}

/// The process environment.
enum Environment {
    static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
