import Memory

/// Owns scratch for 8-bit quantized activations (`Q8Rows`), sized once at start-up for the
/// largest matmul input of a step; every view handed out shares the same bytes.
public struct Q8Buffer: ~Copyable {
    /// [elements]
    private let quants: AlignedBuffer<Int8>
    /// [elements / 32]
    private let scales: AlignedBuffer<Float>
    /// [elements / 32]
    private let negatedSums: AlignedBuffer<Int32>

    /// Room for `elements` quantized values (rounded up to whole blocks).
    public init(elements: Int) {
        precondition(elements >= 0, "Q8Buffer: negative size \(elements)")
        let blocks = (elements + 31) / 32
        quants = AlignedBuffer(count: blocks * 32)
        scales = AlignedBuffer(count: blocks)
        negatedSums = AlignedBuffer(count: blocks)
    }

    /// Quantized elements this buffer holds.
    public var capacity: Int { quants.count }

    /// Bytes of scratch held.
    public var bytes: Int { quants.count + scales.count * 4 + negatedSums.count * 4 }

    /// A view of `rows` rows of `columns` (a multiple of 32) over this buffer's bytes; valid while
    /// the buffer lives, and overwritten by the next view's writer.
    public func rows(_ rows: Int, columns: Int) -> Q8Rows {
        precondition(columns >= 0 && columns % 32 == 0, "Q8Buffer: \(columns) columns is not a whole number of blocks")
        precondition(rows >= 0 && rows * columns <= capacity, "Q8Buffer: \(rows) x \(columns) does not fit in \(capacity)")
        return Q8Rows(quants: quants.pointer, scales: scales.pointer, negatedSums: negatedSums.pointer,
                      rows: rows, columns: columns)
    }
}
