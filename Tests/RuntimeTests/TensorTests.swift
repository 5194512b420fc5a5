import TestSupport
import Testing
@testable import StrataRuntime

@Suite struct TensorTests {
    @Test(arguments: DType.allCases)
    func rowsAreRowBytesApartAndDequantize(dtype: DType) {
        var random = TestRandom(seed: 10)
        let columns = 512, rows = 5
        let rowBytes = dtype.rowBytes(columns)!
        var bytes = [UInt8](repeating: 0, count: rowBytes * rows)
        if Quantization.canQuantize(to: dtype) {
            let x = random.floats(columns * rows)
            bytes.withUnsafeMutableBytes { dst in
                x.withUnsafeBufferPointer { src in
                    Quantization.quantize(src.baseAddress!, count: x.count, to: dtype, into: dst.baseAddress!)
                }
            }
        } else {
            bytes = RandomBlocks.bytes(dtype, count: columns * rows / dtype.blockElements, random: &random)
        }
        bytes.withUnsafeBytes { raw in
            let tensor = Tensor(data: raw.baseAddress!, dtype: dtype, columns: columns, rows: rows)
            #expect(tensor.rowBytes == rowBytes)
            var whole = [Float](repeating: 0, count: columns * rows)
            Quantization.dequantize(raw.baseAddress!, dtype: dtype, count: columns * rows, into: &whole)
            for r in 0..<rows {
                #expect(tensor.row(r) == raw.baseAddress! + r * rowBytes)
                var row = [Float](repeating: .nan, count: columns)
                tensor.dequantizeRow(r, into: &row)
                #expect(row == Array(whole[(r * columns)..<((r + 1) * columns)]))
            }
        }
    }
}
