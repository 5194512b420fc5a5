/// A view of activation rows quantized to 8 bits per block, the input of matmuls against
/// block-quantized weights (integer dot products, as llama.cpp does). Two formats
/// (`ActivationFormat`), each as llama.cpp computes it on x86, so dot products match its own:
///
/// - `.q8` (Q8_0 and Q8_1 in one), 32-element blocks: element `i` is `scales[block] * quants[i]`
///   with the scale rounded to f16; `negatedSums` holds minus each block's quant sum (Q4_0's and
///   Q5_0's offsets fold into it), `scaledSums` the f16-rounded scale times that sum (Q8_1's `s`,
///   multiplied by the minimum of Q4_1 and Q5_1).
/// - `.q8K` (Q8_K), 256-element blocks: an F32 scale per block and `groupSums`, the quant sum of
///   every 16 elements (for the K-quants' minimums and offsets), also negated in Int32 and as
///   floats, the forms the batch kernels broadcast.
///
/// Rows are contiguous: `columns` quants apart. The bytes belong to a `Q8Buffer`.
public struct Q8Rows {
    public let format: ActivationFormat
    /// [rows, columns]
    public let quants: UnsafeMutablePointer<Int8>
    /// [rows, blocks]
    public let scales: UnsafeMutablePointer<Float>
    /// q8: [rows, blocks]
    public let negatedSums: UnsafeMutablePointer<Int32>
    /// q8: [rows, blocks]
    public let scaledSums: UnsafeMutablePointer<Float>
    /// q8K: [rows, columns / 16]
    public let groupSums: UnsafeMutablePointer<Int16>
    /// q8K: [rows, columns / 16] `-groupSums`
    public let negatedGroupSums: UnsafeMutablePointer<Int32>
    /// q8K: [rows, columns / 16] `groupSums` as floats
    public let floatGroupSums: UnsafeMutablePointer<Float>
    public let rows: Int
    /// A whole number of blocks.
    public let columns: Int

    /// Elements per block (32 or 256).
    public var blockElements: Int { format.blockElements }

    /// Blocks per row.
    public var blocks: Int { columns / format.blockElements }

    /// Dequantized element `i` of row `r` (for tests and reports, not hot loops).
    public func value(row r: Int, column i: Int) -> Float {
        scales[r &* blocks &+ i / blockElements] * Float(quants[r &* columns &+ i])
    }
}
