/// Decoders of KV cache rows (`KVPageLayout`) into F32 registers, one conforming enum per way a
/// head's slice can sit in a row. `pagedAttention` is written once over this protocol and
/// specialized per decoder (the methods are `@inline(__always)`: no witness calls remain).
///
/// Every method decodes elements of one row at `row`, counted from the row's storage block that
/// holds the slice's first element; every value is exactly the stored one (F16, and Q8_0's
/// `d * q`, are exact in F32), so attention over a cache matches attention over its rows
/// converted to F32 bit for bit.
protocol KVRowDecoding {
    /// Elements and bytes of a storage block of the row's type (1 and 4 for F32).
    static var blockElements: Int { get }
    static var blockBytes: Int { get }
    /// Elements `i ..< i + 32`, in order.
    static func x32(_ row: UnsafeRawPointer, _ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
    /// Elements `i ..< i + 8`.
    static func x8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>
    /// Element `i`.
    static func x1(_ row: UnsafeRawPointer, _ i: Int) -> Float
}

/// F32 rows: plain loads.
enum F32Rows: KVRowDecoding {
    static var blockElements: Int { DType.f32.blockElements }
    static var blockBytes: Int { DType.f32.blockBytes }

    @inline(__always)
    static func x32(_ row: UnsafeRawPointer, _ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (BlockDecode.f32x8(row, i), BlockDecode.f32x8(row, i &+ 8), BlockDecode.f32x8(row, i &+ 16), BlockDecode.f32x8(row, i &+ 24))
    }

    @inline(__always)
    static func x8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> { BlockDecode.f32x8(row, i) }

    @inline(__always)
    static func x1(_ row: UnsafeRawPointer, _ i: Int) -> Float { BlockDecode.f32(row, i) }
}

/// F16 rows: `vcvtph2ps` per 8 elements (with F16C).
enum F16Rows: KVRowDecoding {
    static var blockElements: Int { DType.f16.blockElements }
    static var blockBytes: Int { DType.f16.blockBytes }

    @inline(__always)
    static func x32(_ row: UnsafeRawPointer, _ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (BlockDecode.f16x8(row, i), BlockDecode.f16x8(row, i &+ 8), BlockDecode.f16x8(row, i &+ 16), BlockDecode.f16x8(row, i &+ 24))
    }

    @inline(__always)
    static func x8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> { BlockDecode.f16x8(row, i) }

    @inline(__always)
    static func x1(_ row: UnsafeRawPointer, _ i: Int) -> Float { BlockDecode.f16(row, i) }
}

/// Q8_0 rows read from block boundaries (`headDim % 32 == 0`): 32 elements are one block,
/// decoded with one scale.
enum Q8_0BlockRows: KVRowDecoding {
    static var blockElements: Int { DType.q8_0.blockElements }
    static var blockBytes: Int { DType.q8_0.blockBytes }

    @inline(__always)
    static func x32(_ row: UnsafeRawPointer, _ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        BlockDecode.q8_0(row + (i &>> 5) &* blockBytes)
    }

    @inline(__always)
    static func x8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> { BlockDecode.q8_0x8InBlock(row, i) }

    @inline(__always)
    static func x1(_ row: UnsafeRawPointer, _ i: Int) -> Float { BlockDecode.q8_0(row, i) }
}

/// Q8_0 rows read from multiples of 8 (`headDim % 8 == 0`, e.g. 8 in stories260K, where one
/// block spans four heads): every run of 8 lies inside one block.
enum Q8_0RunRows: KVRowDecoding {
    static var blockElements: Int { DType.q8_0.blockElements }
    static var blockBytes: Int { DType.q8_0.blockBytes }

    @inline(__always)
    static func x32(_ row: UnsafeRawPointer, _ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (BlockDecode.q8_0x8InBlock(row, i), BlockDecode.q8_0x8InBlock(row, i &+ 8),
         BlockDecode.q8_0x8InBlock(row, i &+ 16), BlockDecode.q8_0x8InBlock(row, i &+ 24))
    }

    @inline(__always)
    static func x8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> { BlockDecode.q8_0x8InBlock(row, i) }

    @inline(__always)
    static func x1(_ row: UnsafeRawPointer, _ i: Int) -> Float { BlockDecode.q8_0(row, i) }
}

/// Q8_0 rows read from any element (any other `headDim`): a run of 8 may cross into the next block.
enum Q8_0UnalignedRows: KVRowDecoding {
    static var blockElements: Int { DType.q8_0.blockElements }
    static var blockBytes: Int { DType.q8_0.blockBytes }

    @inline(__always)
    static func x32(_ row: UnsafeRawPointer, _ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (BlockDecode.q8_0x8(row, i), BlockDecode.q8_0x8(row, i &+ 8), BlockDecode.q8_0x8(row, i &+ 16), BlockDecode.q8_0x8(row, i &+ 24))
    }

    @inline(__always)
    static func x8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> { BlockDecode.q8_0x8(row, i) }

    @inline(__always)
    static func x1(_ row: UnsafeRawPointer, _ i: Int) -> Float { BlockDecode.q8_0(row, i) }
}
