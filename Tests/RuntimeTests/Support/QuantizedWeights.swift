import TestSupport
@testable import StrataRuntime

/// Random Q8_0 / Q4_0 weight bytes and their exact dequantized values, for matmul references.
struct QuantizedWeights {
    let dtype: DType
    let rows: Int
    let columns: Int
    var bytes: [UInt8]
    /// [rows, columns] the values the bytes stand for.
    var values: [Float]

    /// Quantizes random values like llama.cpp; with `extremes`, every block also gets quants at
    /// the ends of the format's range (Q8_0 -128 and 127, Q4_0 nibbles 0 and 15), which the
    /// quantizer itself never writes for -128.
    init(dtype: DType, rows: Int, columns: Int, extremes: Bool = false, random: inout TestRandom) {
        self.dtype = dtype
        self.rows = rows
        self.columns = columns
        let source = random.floats(rows * columns)
        bytes = [UInt8](repeating: 0, count: dtype.rowBytes(columns)! * rows)
        bytes.withUnsafeMutableBytes { Quantization.quantize(source, count: source.count, to: dtype, into: $0.baseAddress!) }
        if extremes {
            let blocks = rows * columns / 32
            for b in 0..<blocks {
                let start = b * dtype.blockBytes + 2
                if dtype == .q8_0 {
                    bytes[start] = UInt8(bitPattern: -128)
                    bytes[start + 31] = 127
                } else {
                    bytes[start] = 0xF0  // element 0 -> nibble 0, element 16 -> nibble 15
                }
            }
        }
        var values = [Float](repeating: 0, count: rows * columns)
        bytes.withUnsafeBytes { Quantization.dequantize($0.baseAddress!, dtype: dtype, count: values.count, into: &values) }
        self.values = values
    }

    func withTensor<R>(_ body: (Tensor) -> R) -> R {
        bytes.withUnsafeBytes { body(Tensor(data: $0.baseAddress!, dtype: dtype, columns: columns, rows: rows)) }
    }
}

/// Owned Q8 activations for tests, filled by `Kernels.quantizeRows`. `rows` views this object's
/// buffer: keep the object alive while using it (`withExtendedLifetime` where it is not used later).
final class TestQ8 {
    let buffer: Q8Buffer
    let rows: Q8Rows

    init(_ x: [Float], rows: Int, columns: Int) {
        buffer = Q8Buffer(elements: rows * columns)
        self.rows = buffer.rows(rows, columns: columns)
        Kernels.quantizeRows(x, rows: rows, columns: columns, into: self.rows)
    }

    /// The values the quants stand for, [rows, columns].
    var values: [Float] {
        (0..<(rows.rows * rows.columns)).map { rows.value(row: $0 / rows.columns, column: $0 % rows.columns) }
    }
}
