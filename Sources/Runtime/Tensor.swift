/// A non-owning view of a 2-D (or 1-D) weight: `rows` rows of `columns` elements each,
/// row-major, ggml order (ne0 = columns is the fastest).
///
/// The bytes belong to someone else (an mmap'd model file, a pool buffer); the view must not
/// outlive them.
public struct Tensor: @unchecked Sendable {
    /// `rows * rowBytes` bytes of `dtype` data.
    public let data: UnsafeRawPointer
    public let dtype: DType
    /// Elements per row (ggml's ne0); a whole number of `dtype` blocks.
    public let columns: Int
    /// Number of rows (the product of ggml's other dims).
    public let rows: Int

    public init(data: UnsafeRawPointer, dtype: DType, columns: Int, rows: Int) {
        precondition(rows >= 0, "Tensor: negative row count \(rows)")
        precondition(dtype.rowBytes(columns) != nil,
                     "Tensor: \(columns) columns is not a whole number of \(dtype) blocks")
        self.data = data
        self.dtype = dtype
        self.columns = columns
        self.rows = rows
    }

    /// Bytes of one row.
    public var rowBytes: Int {
        columns / dtype.blockElements &* dtype.blockBytes
    }

    /// The first byte of row `i`.
    public func row(_ i: Int) -> UnsafeRawPointer {
        precondition(i >= 0 && i < rows, "Tensor.row: \(i) out of 0..<\(rows)")
        return data + i &* rowBytes
    }

    /// Rows `range` as a tensor of their own (a fused matrix's parts: Phi-3's QKV, gate/up).
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "Tensor.rows: \(range) out of 0..<\(rows)")
        return Tensor(data: data + range.lowerBound &* rowBytes, dtype: dtype, columns: columns, rows: range.count)
    }

    /// Dequantizes row `i` into `dst` (`columns` floats). Used for embedding lookup.
    public func dequantizeRow(_ i: Int, into dst: UnsafeMutablePointer<Float>) {
        Quantization.dequantize(row(i), dtype: dtype, count: columns, into: dst)
    }
}
