/// A view of activation rows quantized to 8 bits per 32-element block, the input of matmuls
/// against Q8_0 and Q4_0 weights (integer dot products, as llama.cpp does).
///
/// Element `i` of a row is `scales[block] * quants[i]`, `quants` in -127...127; `negatedSums`
/// holds minus each block's quant sum (Q4_0's offset of 8 folds into it). Rows are contiguous:
/// `columns` quants and `columns / 32` scales and sums apart. The bytes belong to a `Q8Buffer`.
public struct Q8Rows {
    /// [rows, columns]
    public let quants: UnsafeMutablePointer<Int8>
    /// [rows, columns / 32]
    public let scales: UnsafeMutablePointer<Float>
    /// [rows, columns / 32]
    public let negatedSums: UnsafeMutablePointer<Int32>
    public let rows: Int
    /// A whole number of 32-element blocks.
    public let columns: Int

    /// Blocks per row.
    public var blocks: Int { columns / 32 }

    /// Dequantized element `i` of row `r` (for tests and reports, not hot loops).
    public func value(row r: Int, column i: Int) -> Float {
        scales[r &* blocks &+ i / 32] * Float(quants[r &* columns &+ i])
    }
}
