import Memory

/// Owns scratch for 8-bit quantized activations (`Q8Rows`) of one format, sized once at start-up
/// for the largest matmul input of a step; every view handed out shares the same bytes.
public struct Q8Buffer: ~Copyable {
    public let format: ActivationFormat
    /// [elements]
    private let quants: AlignedBuffer<Int8>
    /// [elements / blockElements]
    private let scales: AlignedBuffer<Float>
    /// q8: [elements / 32]; q8K: empty
    private let negatedSums: AlignedBuffer<Int32>
    /// q8: [elements / 32]; q8K: empty
    private let scaledSums: AlignedBuffer<Float>
    /// q8K: [elements / 16]; q8: empty
    private let groupSums: AlignedBuffer<Int16>
    /// q8K: [elements / 16] the same sums negated, in Int32; q8: empty
    private let negatedGroupSums: AlignedBuffer<Int32>
    /// q8K: [elements / 16] the same sums as floats; q8: empty
    private let floatGroupSums: AlignedBuffer<Float>

    /// Room for `elements` quantized values in `format` (rounded up to whole blocks).
    public init(elements: Int, format: ActivationFormat = .q8) {
        precondition(elements >= 0, "Q8Buffer: negative size \(elements)")
        precondition(format != .floats, "Q8Buffer: floats are not a quantized format")
        self.format = format
        let blockElements = format.blockElements
        let blocks = (elements + blockElements - 1) / blockElements
        quants = AlignedBuffer(count: blocks * blockElements)
        scales = AlignedBuffer(count: blocks)
        let perBlock = format == .q8 ? blocks : 0
        negatedSums = AlignedBuffer(count: perBlock)
        scaledSums = AlignedBuffer(count: perBlock)
        let groups = format == .q8K ? blocks * blockElements / 16 : 0
        groupSums = AlignedBuffer(count: groups)
        negatedGroupSums = AlignedBuffer(count: groups)
        floatGroupSums = AlignedBuffer(count: groups)
    }

    /// Quantized elements this buffer holds.
    public var capacity: Int { quants.count }

    /// The quantized elements' storage (what every view's `quants` points into).
    public var quantElements: UnsafeMutableBufferPointer<Int8> { UnsafeMutableBufferPointer(start: quants.pointer, count: quants.count) }

    /// Bytes of scratch held.
    public var bytes: Int {
        quants.count + scales.count * 4 + negatedSums.count * 4 + scaledSums.count * 4 + groupSums.count * 2
            + negatedGroupSums.count * 4 + floatGroupSums.count * 4
    }

    /// A view of `rows` rows of `columns` (a whole number of blocks) over this buffer's bytes;
    /// valid while the buffer lives, and overwritten by the next view's writer.
    public func rows(_ rows: Int, columns: Int) -> Q8Rows {
        precondition(columns >= 0 && columns % format.blockElements == 0,
                     "Q8Buffer: \(columns) columns is not a whole number of \(format) blocks")
        precondition(rows >= 0 && rows * columns <= capacity, "Q8Buffer: \(rows) x \(columns) does not fit in \(capacity)")
        return Q8Rows(format: format, quants: quants.pointer, scales: scales.pointer, negatedSums: negatedSums.pointer,
                      scaledSums: scaledSums.pointer, groupSums: groupSums.pointer, negatedGroupSums: negatedGroupSums.pointer,
                      floatGroupSums: floatGroupSums.pointer, rows: rows, columns: columns)
    }
}
