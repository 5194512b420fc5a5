import TestSupport
@testable import StrataRuntime

/// Random block-quantized weight bytes and their exact dequantized values, for matmul references.
struct QuantizedWeights {
    let dtype: DType
    let rows: Int
    let columns: Int
    var bytes: [UInt8]
    /// [rows, columns] the values the bytes stand for.
    var values: [Float]

    /// Every block-quantized weight type.
    static let blockTypes = DType.allCases.filter { $0.isBlockQuantized && $0.isWeightType }

    /// Q8_0 and Q4_0 quantize random values like llama.cpp; with `extremes`, every block also
    /// gets quants at the ends of the format's range (Q8_0 -128 and 127, Q4_0 nibbles 0 and 15),
    /// which the quantizer itself never writes for -128. Every other type gets random bytes with
    /// f16 scales for an RMS of 0.02 (`RandomBlocks`): every bit pattern of the quants is a valid block.
    init(dtype: DType, rows: Int, columns: Int, extremes: Bool = false, random: inout TestRandom) {
        self.dtype = dtype
        self.rows = rows
        self.columns = columns
        bytes = [UInt8](repeating: 0, count: dtype.rowBytes(columns)! * rows)
        if dtype == .q8_0 || dtype == .q4_0 {
            let source = random.floats(rows * columns)
            bytes.withUnsafeMutableBytes { Quantization.quantize(source, count: source.count, to: dtype, into: $0.baseAddress!) }
            if extremes {
                for b in 0..<(rows * columns / 32) {
                    let start = b * dtype.blockBytes + 2
                    if dtype == .q8_0 {
                        bytes[start] = UInt8(bitPattern: -128)
                        bytes[start + 31] = 127
                    } else {
                        bytes[start] = 0xF0  // element 0 -> nibble 0, element 16 -> nibble 15
                    }
                }
            }
        } else {
            bytes = RandomBlocks.bytes(dtype, count: rows * columns / dtype.blockElements, random: &random)
        }
        var values = [Float](repeating: 0, count: rows * columns)
        bytes.withUnsafeBytes { Quantization.dequantize($0.baseAddress!, dtype: dtype, count: values.count, into: &values) }
        self.values = values
    }

    /// The f16 minimum `m` of block `k` of row `r` (Q4_1 and Q5_1), 0 for other types.
    func minimum(row r: Int, block k: Int) -> Double {
        guard dtype == .q4_1 || dtype == .q5_1 else { return 0 }
        let at = (r * columns / 32 + k) * dtype.blockBytes + 2
        return Double(Float16(bitPattern: UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8))
    }

    func withTensor<R>(_ body: (Tensor) -> R) -> R {
        bytes.withUnsafeBytes { body(Tensor(data: $0.baseAddress!, dtype: dtype, columns: columns, rows: rows)) }
    }
}

/// Owned quantized activations for tests, filled by `Kernels.quantizeRows`. `rows` views this
/// object's buffer: keep the object alive while using it (`withExtendedLifetime` where it is not
/// used later).
final class TestQ8 {
    let buffer: Q8Buffer
    let rows: Q8Rows

    init(_ x: [Float], rows: Int, columns: Int, format: ActivationFormat = .q8) {
        buffer = Q8Buffer(elements: rows * columns, format: format)
        self.rows = buffer.rows(rows, columns: columns)
        Kernels.quantizeRows(x, rows: rows, columns: columns, into: self.rows)
    }

    /// The values the quants stand for, [rows, columns].
    var values: [Float] {
        (0..<(rows.rows * rows.columns)).map { rows.value(row: $0 / rows.columns, column: $0 % rows.columns) }
    }

    /// What weights with a minimum (Q4_1, Q5_1) add beyond `values`: llama.cpp multiplies their
    /// minimum by Q8_1's f16-rounded `s` rather than the exact scaled sum. 0 for other types.
    func minimumCorrection(_ weights: QuantizedWeights, row r: Int, token t: Int) -> Double {
        guard weights.dtype == .q4_1 || weights.dtype == .q5_1 else { return 0 }
        var total = 0.0
        for k in 0..<rows.blocks {
            let exactSum = -Double(rows.negatedSums[t * rows.blocks + k]) * Double(rows.scales[t * rows.blocks + k])
            total += weights.minimum(row: r, block: k) * (Double(rows.scaledSums[t * rows.blocks + k]) - exactSum)
        }
        return total
    }
}
