import Foundation
import Memory
import TestSupport
import Testing
@testable import StrataRuntime

/// Every block type against llama.cpp's own C functions (`DotReference/`, made by
/// `make_dot_reference.py` through ctypes from a llama.cpp build): dequantization bit for bit,
/// activation quantization (Q8_0 / Q8_1 / Q8_K blocks) bit for bit, and dot products within
/// float rounding, on random blocks and on blocks taken from files llama.cpp wrote.
@Suite struct DotReferenceTests {
    struct Case: Decodable, CustomStringConvertible {
        let type: String
        let source: String
        let `where`: String
        let rows: Int
        let weights: String
        let dequantized_xxh64: String
        let activation_type: String
        let activations_xxh64: [String]
        let dots: [UInt32]
        var description: String { "\(type) \(source)" }
    }

    struct Reference: Decodable {
        let columns: Int
        let tokens: Int
        let cases: [Case]
    }

    static let reference: Reference = {
        let path = Fixtures.repositoryRoot + "/Tests/RuntimeTests/DotReference/dot_reference.json"
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }()

    /// The activations the script made: integers turned into floats by the same float32 operations.
    static func activations(tokens: Int, columns: Int) -> [Float] {
        var x = [Float](repeating: 0, count: tokens * columns)
        for t in 0..<tokens {
            for i in 0..<columns {
                let h = (i * 2_654_435_761 + t * 40503 + 17) % 2001
                x[t * columns + i] = Float(h - 1000) / Float(1000) * Float(t + 1)
            }
        }
        x[columns + 40] = 25
        for i in 256..<288 { x[2 * columns + i] = 0 }
        return x
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func digest<T>(_ values: [T]) -> String {
        values.withUnsafeBytes { String(format: "%016llx", XXHash64.hash($0)) }
    }

    @Test func everyTypeHasRandomAndFileCases() {
        let types = Set(DType.allCases.filter { $0.isBlockQuantized && $0.isWeightType }.map(\.description))
        for source in ["random", "file"] {
            #expect(Set(Self.reference.cases.filter { $0.source == source }.map(\.type)) == types, "\(source)")
        }
    }

    @Test(arguments: reference.cases)
    func dequantizationIsBitExact(_ c: Case) {
        let dtype = DType(name: c.type)!
        let weights = Self.bytes(c.weights)
        var values = [Float](repeating: .nan, count: c.rows * Self.reference.columns)
        weights.withUnsafeBytes { Quantization.dequantize($0.baseAddress!, dtype: dtype, count: values.count, into: &values) }
        #expect(Self.digest(values) == c.dequantized_xxh64, "\(c): \(c.where); ours begins \(values.prefix(8))")
    }

    /// Our activation rows serialized as llama.cpp's blocks.
    static func llamaBlocks(_ q: Q8Rows, row t: Int, format: String) -> [UInt8] {
        var out: [UInt8] = []
        func append<T>(_ value: T) { withUnsafeBytes(of: value) { out += $0 } }
        let n = q.blockElements
        for k in 0..<q.blocks {
            let b = t * q.blocks + k
            switch format {
            case "q8_K": append(q.scales[b])
            case "q8_1": append(Float16(q.scales[b]).bitPattern); append(Float16(q.scaledSums[b]).bitPattern)
            default: append(Float16(q.scales[b]).bitPattern)
            }
            for i in 0..<n { append(q.quants[t * q.columns + k * n + i]) }
            if format == "q8_K" { for g in 0..<16 { append(q.groupSums[(t * q.blocks + k) * 16 + g]) } }
        }
        return out
    }

    @Test(arguments: reference.cases)
    func activationQuantizationIsBitExact(_ c: Case) {
        let dtype = DType(name: c.type)!
        let (tokens, columns) = (Self.reference.tokens, Self.reference.columns)
        let q = TestQ8(Self.activations(tokens: tokens, columns: columns), rows: tokens, columns: columns, format: dtype.activationFormat)
        for t in 0..<tokens {
            #expect(Self.digest(Self.llamaBlocks(q.rows, row: t, format: c.activation_type)) == c.activations_xxh64[t], "\(c) token \(t)")
        }
    }

    /// Dot products within float rounding of llama.cpp's `vec_dot`, on every instruction set:
    /// one token at a time (decode rows) and the tokens twice over as a batch (panels: rows are
    /// repeated to fill an 8-row panel).
    @Test(arguments: reference.cases)
    func dotProductsMatchWithinRounding(_ c: Case) {
        let dtype = DType(name: c.type)!
        let (tokens, columns, rows) = (Self.reference.tokens, Self.reference.columns, c.rows)
        let weights = Self.bytes(c.weights)
        let repeated = weights + weights  // 2 * rows rows
        var w = [Float](repeating: 0, count: rows * columns)
        weights.withUnsafeBytes { Quantization.dequantize($0.baseAddress!, dtype: dtype, count: w.count, into: &w) }
        let x = Self.activations(tokens: tokens, columns: columns)
        let batch = x + x
        let q = TestQ8(batch, rows: 2 * tokens, columns: columns, format: dtype.activationFormat)
        let xq = q.values
        let pool = ThreadPool(threads: 2)
        var scratch = [Float](repeating: 0, count: pool.threadCount * Kernels.packedQuantMatmulScratch(inDim: columns))
        for dot in IntegerDot.available {
            for panels in [false, true] {
                var out = [Float](repeating: .nan, count: 2 * tokens * 2 * rows)
                scratch.withUnsafeMutableBufferPointer { s in
                    let view = MatmulScratch(base: s.baseAddress!, floatsPerThread: s.count / pool.threadCount, threads: pool.threadCount)
                    repeated.withUnsafeBytes { raw in
                        let tensor = Tensor(data: raw.baseAddress!, dtype: dtype, columns: columns, rows: 2 * rows)
                        if panels {
                            Kernels.matmul(out: &out, x: q.rows, weight: tensor, pool: pool, dot: dot, scratch: view)
                        } else {
                            for t in 0..<(2 * tokens) {
                                let one = Q8Rows(format: q.rows.format, quants: q.rows.quants + t * columns,
                                                 scales: q.rows.scales + t * q.rows.blocks,
                                                 negatedSums: q.rows.negatedSums + (q.rows.format == .q8 ? t * q.rows.blocks : 0),
                                                 scaledSums: q.rows.scaledSums + (q.rows.format == .q8 ? t * q.rows.blocks : 0),
                                                 groupSums: q.rows.groupSums + (q.rows.format == .q8K ? t * columns / 16 : 0),
                                                 negatedGroupSums: q.rows.negatedGroupSums + (q.rows.format == .q8K ? t * columns / 16 : 0),
                                                 floatGroupSums: q.rows.floatGroupSums + (q.rows.format == .q8K ? t * columns / 16 : 0),
                                                 rows: 1, columns: columns)
                                out.withUnsafeMutableBufferPointer {
                                    Kernels.matmul(out: $0.baseAddress! + t * 2 * rows, x: one, weight: tensor, pool: pool, dot: dot)
                                }
                            }
                        }
                    }
                }
                var failures: [String] = []
                for t in 0..<(2 * tokens) {
                    for r in 0..<(2 * rows) {
                        let want = Float(bitPattern: c.dots[(t % tokens) * rows + r % rows])
                        var magnitude: Float = 0
                        for i in 0..<columns { magnitude += abs(w[(r % rows) * columns + i] * xq[t * columns + i]) }
                        let got = out[t * 2 * rows + r]
                        if !(abs(got - want) <= 2e-6 * magnitude + 1e-7) { failures.append("token \(t) row \(r): \(got) vs \(want)") }
                    }
                }
                #expect(failures.isEmpty, "\(c) \(dot) panels \(panels): \(failures.prefix(4))")
            }
        }
    }
}
