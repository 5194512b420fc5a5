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

    /// The f16 scale `d` at the start of a Q8_0 or Q4_0 block.
    @inline(__always)
    static func scale(_ block: UnsafeRawPointer) -> Float {
        f16(block, 0)
    }

    /// The 32 quants of a Q8_0 block (`d: f16`, `qs: [32] Int8`) at `block`, unscaled, as floats
    /// in element order. The value of element `i` is `scale(block) * q_i`.
    @inline(__always)
    static func q8_0Quants(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (widen(block.loadUnaligned(fromByteOffset: 2, as: SIMD8<Int8>.self)),
         widen(block.loadUnaligned(fromByteOffset: 10, as: SIMD8<Int8>.self)),
         widen(block.loadUnaligned(fromByteOffset: 18, as: SIMD8<Int8>.self)),
         widen(block.loadUnaligned(fromByteOffset: 26, as: SIMD8<Int8>.self)))
    }

    /// The 32 quants of a Q4_0 block (`d: f16`, `qs: [16] UInt8`) at `block`, unscaled and
    /// centred (`nibble - 8`, in -8...7), as floats in element order: element `j` is the low
    /// nibble of `qs[j]`, element `j + 16` its high nibble. The value is `scale(block) * q`.
    @inline(__always)
    static func q4_0Quants(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let low = block.loadUnaligned(fromByteOffset: 2, as: SIMD8<UInt8>.self)
        let high = block.loadUnaligned(fromByteOffset: 10, as: SIMD8<UInt8>.self)
        let mask = SIMD8<UInt8>(repeating: 0x0F)
        return (widenCentred(low & mask), widenCentred(high & mask),
                widenCentred(low &>> 4), widenCentred(high &>> 4))
    }

    /// Nibbles (0...15) to floats `n - 8`, centred in Int32. (Centring in bytes, or in float,
    /// let LLVM fold it back into byte arithmetic that it then partly scalarized: 3x slower.)
    @inline(__always)
    static func widenCentred(_ v: SIMD8<UInt8>) -> SIMD8<Float> {
        let n = SIMD8<Int32>(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]),
                             Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7])) &- 8
        return SIMD8(Float(n[0]), Float(n[1]), Float(n[2]), Float(n[3]), Float(n[4]), Float(n[5]), Float(n[6]), Float(n[7]))
    }

    /// 8 Q8_0 values `d * q` from element `i` of a row of Q8_0 blocks at `p`, for `i % 32 <= 24`
    /// (the 8 lie in one block). Each product is exact in F32.
    @inline(__always)
    static func q8_0x8InBlock(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        let block = p + (i &>> 5) &* DType.q8_0.blockBytes
        return widen(block.loadUnaligned(fromByteOffset: 2 &+ (i & 31), as: SIMD8<Int8>.self)) * SIMD8(repeating: scale(block))
    }

    /// 8 Q8_0 values `d * q` from any element `i` of a row of Q8_0 blocks at `p`: a run that
    /// crosses into the next block is decoded lane by lane.
    @inline(__always)
    static func q8_0x8(_ p: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        guard i & 31 > 24 else { return q8_0x8InBlock(p, i) }
        return SIMD8(q8_0(p, i), q8_0(p, i &+ 1), q8_0(p, i &+ 2), q8_0(p, i &+ 3),
                     q8_0(p, i &+ 4), q8_0(p, i &+ 5), q8_0(p, i &+ 6), q8_0(p, i &+ 7))
    }

    /// Element `i` (`d * q`) of a row of Q8_0 blocks at `p`.
    @inline(__always)
    static func q8_0(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        let block = p + (i &>> 5) &* DType.q8_0.blockBytes
        return Float(block.load(fromByteOffset: 2 &+ (i & 31), as: Int8.self)) * scale(block)
    }

    /// One Q8_0 block as `d * q` in four registers.
    @inline(__always)
    static func q8_0(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let d = SIMD8<Float>(repeating: scale(block))
        let (q0, q1, q2, q3) = q8_0Quants(block)
        return (q0 * d, q1 * d, q2 * d, q3 * d)
    }

    /// One Q4_0 block as `d * (nibble - 8)` in four registers, in element order.
    @inline(__always)
    static func q4_0(_ block: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let d = SIMD8<Float>(repeating: scale(block))
        let (q0, q1, q2, q3) = q4_0Quants(block)
        return (q0 * d, q1 * d, q2 * d, q3 * d)
    }
}
