import Foundation
import Testing
@testable import StrataRuntime
import TestSupport

/// Each CUDA kernel, run on the host through `HostKernels`, against Strata's CPU kernels or a
/// double-precision reference: a wrong index, a missing barrier or a bad reduction fails here.
@Suite(.serialized) struct CUDAKernelHostTests {
    typealias Ptr = UnsafeMutablePointer<Float>
    typealias CPtr = UnsafePointer<Float>

    static func kernels() throws -> HostKernels {
        try HostKernels.shared.get()
    }

    /// Reproducible values in [-1, 1].
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var random = TestRandom(seed: seed)
        return random.floats(count)
    }

    static func expectClose(_ a: [Float], _ b: [Float], tolerance: Float, _ what: String) {
        #expect(a.count == b.count, "\(what)")
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): worst error \(worst)")
    }

    static func quantized(_ values: [Float], _ dtype: DType) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: dtype.rowBytes(values.count)!)
        values.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBytes { Quantization.quantize(src.baseAddress!, count: values.count, to: dtype, into: $0.baseAddress!) }
        }
        return bytes
    }

    static func dequantized(_ bytes: [UInt8], _ dtype: DType, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { Quantization.dequantize(src.baseAddress!, dtype: dtype, count: count, into: $0.baseAddress!) }
        }
        return out
    }

    @Test func embeddingsLookUpTheirRows() throws {
        let k = try Self.kernels()
        let columns = 96, rows = 7
        let table = Self.values(rows * columns, seed: 1)
        let tokens: [Int32] = [3, 0, 6, 3]
        let expected = tokens.flatMap { Array(table[(Int($0) * columns)..<(Int($0) * columns + columns)]) }
        var out = [Float](repeating: .nan, count: tokens.count * columns)

        let f32: @convention(c) (UInt32, UInt32, UInt32, Ptr, CPtr, UnsafePointer<Int32>, Int32) -> Void = k.function("embed_f32")
        f32(UInt32(tokens.count), 1, 64, &out, table, tokens, Int32(columns))
        #expect(out == expected)

        let half = Self.quantized(table, .f16)
        let f16: @convention(c) (UInt32, UInt32, UInt32, Ptr, UnsafeRawPointer, UnsafePointer<Int32>, Int32) -> Void = k.function("embed_f16")
        f16(UInt32(tokens.count), 1, 64, &out, half, tokens, Int32(columns))
        let halfTable = Self.dequantized(half, .f16, count: table.count)
        #expect(out == tokens.flatMap { Array(halfTable[(Int($0) * columns)..<(Int($0) * columns + columns)]) })

        let q8 = Self.quantized(table, .q8_0)
        let embedQ8: @convention(c) (UInt32, UInt32, UInt32, Ptr, UnsafeRawPointer, UnsafePointer<Int32>, Int32) -> Void = k.function("embed_q8_0")
        embedQ8(UInt32(tokens.count), 1, 64, &out, q8, tokens, Int32(columns))
        let q8Table = Self.dequantized(q8, .q8_0, count: table.count)
        #expect(out == tokens.flatMap { Array(q8Table[(Int($0) * columns)..<(Int($0) * columns + columns)]) })
    }

    @Test func rmsNormReducesOverTheBlock() throws {
        let k = try Self.kernels()
        let rmsNorm: @convention(c) (UInt32, UInt32, UInt32, Ptr, CPtr, CPtr, Int32, Float) -> Void = k.function("rms_norm")
        for (dim, block) in [(200, 64), (64, 128), (1000, 256)] {
            let rows = 3
            let x = Self.values(rows * dim, seed: UInt64(dim)), weight = Self.values(dim, seed: 99)
            var out = [Float](repeating: .nan, count: rows * dim)
            rmsNorm(UInt32(rows), 1, UInt32(block), &out, x, weight, Int32(dim), 1e-5)
            var expected = [Float]()
            for r in 0..<rows {
                let row = x[(r * dim)..<(r * dim + dim)]
                let mean = row.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(dim)
                let scale = 1 / (mean + 1e-5).squareRoot()
                expected += row.enumerated().map { Float(Double($1) * scale * Double(weight[$0])) }
            }
            Self.expectClose(out, expected, tolerance: 1e-5, "rms_norm dim \(dim) block \(block)")
        }
    }

    @Test func elementwiseKernels() throws {
        let k = try Self.kernels()
        let count = 1000, rows = 10, columns = 100
        let x = Self.values(count, seed: 5), y = Self.values(count, seed: 6)
        typealias Binary = @convention(c) (UInt32, UInt32, UInt32, Ptr, CPtr, Int32) -> Void
        let blocks = UInt32((count + 127) / 128)

        var out = y
        (k.function("add") as Binary)(blocks, 1, 128, &out, x, Int32(count))
        #expect(out == zip(y, x).map { $0 + $1 })

        out = y
        let bias = Array(x.prefix(columns))
        let addBias: @convention(c) (UInt32, UInt32, UInt32, Ptr, CPtr, Int32, Int32) -> Void = k.function("add_bias")
        addBias(blocks, 1, 128, &out, bias, Int32(rows), Int32(columns))
        #expect(out == y.enumerated().map { $1 + bias[$0 % columns] })

        typealias Unary = @convention(c) (UInt32, UInt32, UInt32, Ptr, Float, Int32) -> Void
        out = x
        (k.function("scale") as Unary)(blocks, 1, 128, &out, 0.5, Int32(count))
        #expect(out == x.map { $0 * 0.5 })
        out = x.map { $0 * 40 }
        (k.function("softcap") as Unary)(blocks, 1, 128, &out, 30, Int32(count))
        Self.expectClose(out, x.map { 30 * tanhf($0 * 40 / 30) }, tolerance: 1e-6, "softcap")

        typealias Gated = @convention(c) (UInt32, UInt32, UInt32, Ptr, CPtr, CPtr, Int32) -> Void
        for (name, activation) in [("gated_silu", GatedActivation.silu), ("gated_gelu", .gelu)] {
            var gate = x.map { $0 * 4 }
            let scaled = gate
            (k.function(name) as Gated)(blocks, 1, 128, &gate, scaled, y, Int32(count))
            let expected = zip(x, y).map { g4, u -> Float in
                let g = Double(g4 * 4)
                let act: Double
                if activation == .silu {
                    act = g / (1 + exp(-g))
                } else {
                    let inner: Double = 0.7978845608028654 * (g + 0.044715 * g * g * g)
                    act = 0.5 * g * (1 + tanh(inner))
                }
                return Float(act * Double(u))
            }
            Self.expectClose(gate, expected, tolerance: 1e-5, name)
        }
    }

    /// RoPE equals the CPU kernel (`Rope.apply`) in both pairings, with frequency factors,
    /// linear scaling and an attention factor, on heads spaced by a row stride.
    @Test(arguments: [RopeStyle.normal, .neox])
    func ropeMatchesTheCPUKernel(_ style: RopeStyle) throws {
        let k = try Self.kernels()
        let ropeKernel: @convention(c) (UInt32, UInt32, UInt32, Ptr, Int32, Int32, Int32, Int32, UnsafePointer<Int32>, CPtr,
                                        CPtr?, Float, Float, Int32) -> Void = k.function("rope")
        let headDim = 32, ropeDims = 24, heads = 3, stride = 128, tokens = 4
        let factors = (0..<(ropeDims / 2)).map { 1 + Float($0) / 4 }
        let rope = Rope(headDim: headDim, ropeDims: ropeDims, base: 10000, style: style, frequencyScale: 0.5,
                        frequencyFactors: factors, attentionFactor: 1.1)
        let positions: [Int32] = [0, 1, 17, 3000]
        let x = Self.values(tokens * stride, seed: 11)
        var out = x
        ropeKernel(UInt32(tokens), 1, 64, &out, Int32(stride), Int32(heads), Int32(headDim), Int32(ropeDims), positions,
                   rope.inverseFrequencies, factors, 0.5, 1.1, style == .neox ? 1 : 0)
        var expected = x
        expected.withUnsafeMutableBufferPointer { buffer in
            for t in 0..<tokens { rope.apply(buffer.baseAddress! + t * stride, heads: heads, position: Int(positions[t])) }
        }
        Self.expectClose(out, expected, tolerance: 2e-4, "rope \(style)")
        #expect(out[(heads * headDim)..<stride] == x[(heads * headDim)..<stride], "past the heads nothing moves")
    }

    @Test func softmaxRows() throws {
        let k = try Self.kernels()
        let softmax: @convention(c) (UInt32, UInt32, UInt32, Ptr, Int32) -> Void = k.function("softmax_rows")
        let rows = 3, columns = 333
        var x = Self.values(rows * columns, seed: 21).map { $0 * 20 }
        let input = x
        softmax(UInt32(rows), 1, 128, &x, Int32(columns))
        var expected = [Float]()
        for r in 0..<rows {
            let row = input[(r * columns)..<(r * columns + columns)].map(Double.init)
            let m = row.max()!
            let e = row.map { exp($0 - m) }
            let sum = e.reduce(0, +)
            expected += e.map { Float($0 / sum) }
        }
        Self.expectClose(x, expected, tolerance: 1e-6, "softmax")
    }

    /// The GEMVs against a double-precision product with the dequantized weights: rows not a
    /// multiple of the rows per block, several tokens (grid y).
    @Test(arguments: CUDABackend.weightTypes)
    func gemvMatchesTheDequantizedProduct(_ dtype: DType) throws {
        let k = try Self.kernels()
        let rows = 37, columns = 512, tokens = 3
        let weights = Self.values(rows * columns, seed: 31)
        let x = Self.values(tokens * columns, seed: 32)
        let bytes = Self.quantized(weights, dtype)
        let exact = Self.dequantized(bytes, dtype, count: weights.count)
        var expected = [Float]()
        for t in 0..<tokens {
            for r in 0..<rows {
                var sum = 0.0
                for c in 0..<columns { sum += Double(exact[r * columns + c]) * Double(x[t * columns + c]) }
                expected.append(Float(sum))
            }
        }
        let name = dtype == .f32 ? "gemv_f32" : "gemv_\(dtype)"
        let gemv: @convention(c) (UInt32, UInt32, UInt32, Ptr, UnsafeRawPointer, CPtr, Int32, Int32) -> Void = k.function(name)
        var out = [Float](repeating: .nan, count: tokens * rows)
        let warpsPerBlock = 4
        gemv(UInt32((rows + warpsPerBlock - 1) / warpsPerBlock), UInt32(tokens), UInt32(32 * warpsPerBlock), &out, bytes, x,
             Int32(rows), Int32(columns))
        Self.expectClose(out, expected, tolerance: 1e-5, name)
    }

    /// Weight rows decoded to F16 for cuBLAS equal the CPU's decoding rounded to F16; `to_half`
    /// rounds activations the same way; `copy_floats` copies.
    @Test(arguments: CUDABackend.weightTypes.filter { $0 != .f32 })
    func weightsDecodeToHalves(_ dtype: DType) throws {
        let k = try Self.kernels()
        let rows = 5, columns = 512
        let bytes = Self.quantized(Self.values(rows * columns, seed: 41).map { $0 * 3 }, dtype)
        let exact = Self.dequantized(bytes, dtype, count: rows * columns)
        let decode: @convention(c) (UInt32, UInt32, UInt32, UnsafeMutablePointer<UInt16>, UnsafeRawPointer, Int32) -> Void =
            k.function("dequantize_f16_\(dtype)")
        var halves = [UInt16](repeating: 0xffff, count: rows * columns)
        decode(UInt32(rows), 1, 128, &halves, bytes, Int32(columns))
        #expect(halves == exact.map { Float16($0).bitPattern }, "\(dtype)")

        let toHalf: @convention(c) (UInt32, UInt32, UInt32, UnsafeMutablePointer<UInt16>, CPtr, Int32) -> Void = k.function("to_half")
        let x = Self.values(1000, seed: 42).map { $0 * 100 }
        var converted = [UInt16](repeating: 0, count: x.count)
        toHalf(4, 1, 256, &converted, x, Int32(x.count))
        #expect(converted == x.map { Float16($0).bitPattern })
        let copy: @convention(c) (UInt32, UInt32, UInt32, Ptr, CPtr, Int32) -> Void = k.function("copy_floats")
        var copied = [Float](repeating: 0, count: x.count)
        copy(4, 1, 256, &copied, x, Int32(x.count))
        #expect(copied == x)
    }
}
