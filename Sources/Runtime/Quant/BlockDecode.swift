/// Decoders from GGUF storage to `SIMD8<Float>` registers, shared by `Quantization.dequantize`
/// and the matmul kernels (so the tests of one check the other).
///
/// Every function is `@inline(__always)`: it is meant to dissolve into the caller's loop.
/// With F16C the half conversions lower to `vcvtph2ps`; integer widening to `vpmov[sz]x…`
/// then `vcvtdq2ps`. Conversions are spelled lane by lane on purpose: the stdlib's generic
/// `SIMD8<Float>.init(_: SIMD8<Other>)` is not always inlined into a large loop, and then costs a
/// call per register; eight scalar conversions always fold into one vector instruction.
enum BlockDecode {
    // MARK: Widening

    @inline(__always)
    static func widen(_ v: SIMD8<Int8>) -> SIMD8<Float> {
        SIMD8(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
    }

    @inline(__always)
    static func widen(_ v: SIMD8<UInt8>) -> SIMD8<Float> {
        SIMD8(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
    }

    @inline(__always)
    static func widen(_ v: SIMD8<Float16>) -> SIMD8<Float> {
        SIMD8(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
    }

    /// BF16 bits to F32: zero-extend each lane and shift into the upper half.
    @inline(__always)
    static func widenBF16(_ v: SIMD8<UInt16>) -> SIMD8<Float> {
        let wide = SIMD8<UInt32>(UInt32(v[0]), UInt32(v[1]), UInt32(v[2]), UInt32(v[3]),
                                 UInt32(v[4]), UInt32(v[5]), UInt32(v[6]), UInt32(v[7]))
        return unsafeBitCast(wide &<< 16, to: SIMD8<Float>.self)
    }

    // MARK: Plain floats

    /// 8 F32 values at `p + 4 * i` (unaligned).
    @inline(__always)
    static func f32x8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        p.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func f32(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        p.loadUnaligned(fromByteOffset: i &* 4, as: Float.self)
    }

    /// 8 IEEE half values at `p + 2 * i`, widened to F32.
    @inline(__always)
    static func f16x8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        widen(p.loadUnaligned(fromByteOffset: i &* 2, as: SIMD8<Float16>.self))
    }

    @inline(__always)
    static func f16(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)))
    }

    /// 8 BF16 values at `p + 2 * i`: each is the upper half of an F32 bit pattern.
    @inline(__always)
    static func bf16x8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        widenBF16(p.loadUnaligned(fromByteOffset: i &* 2, as: SIMD8<UInt16>.self))
    }

    @inline(__always)
    static func bf16(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)) &<< 16)
    }

    // MARK: Quantized blocks (32 elements each)

    /// One Q8_0 block (`d: f16`, `qs: [32] Int8`) at `block`, as `d * qs[0..<32]` in four registers.
    @inline(__always)
    static func q8_0(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let d = SIMD8<Float>(repeating: f16(block, 0))
        let q0 = widen(block.loadUnaligned(fromByteOffset: 2, as: SIMD8<Int8>.self))
        let q1 = widen(block.loadUnaligned(fromByteOffset: 10, as: SIMD8<Int8>.self))
        let q2 = widen(block.loadUnaligned(fromByteOffset: 18, as: SIMD8<Int8>.self))
        let q3 = widen(block.loadUnaligned(fromByteOffset: 26, as: SIMD8<Int8>.self))
        return (q0 * d, q1 * d, q2 * d, q3 * d)
    }

    /// One Q4_0 block (`d: f16`, `qs: [16] UInt8`) at `block`: element `j` is `(qs[j] & 0xF) - 8`,
    /// element `j + 16` is `(qs[j] >> 4) - 8`, both times `d`. Returned in element order.
    @inline(__always)
    static func q4_0(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let scale = f16(block, 0)
        let d = SIMD8<Float>(repeating: scale)
        let offset = SIMD8<Float>(repeating: -8 * scale)
        let lowBytes = block.loadUnaligned(fromByteOffset: 2, as: SIMD8<UInt8>.self)
        let highBytes = block.loadUnaligned(fromByteOffset: 10, as: SIMD8<UInt8>.self)
        let mask = SIMD8<UInt8>(repeating: 0x0F)
        // (q - 8) * d == q * d + (-8 * d) exactly (both round the same exact value once): one FMA.
        let n0 = widen(lowBytes & mask)
        let n1 = widen(highBytes & mask)
        let n2 = widen(lowBytes &>> 4)
        let n3 = widen(highBytes &>> 4)
        return (offset.addingProduct(n0, d), offset.addingProduct(n1, d),
                offset.addingProduct(n2, d), offset.addingProduct(n3, d))
    }
}
