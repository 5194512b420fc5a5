/// The K-quants: 256-element super-blocks whose sub-blocks (16 or 32 elements) carry small
/// integer scales (and, for Q2_K/Q4_K/Q5_K, minimums) relative to the block's f16 `d`/`dmin`.
/// Layouts from ggml's `ggml-common.h`; values computed in the order gguf-py's `quants.py`
/// computes them (`(d * sc) * q - dmin * m`), so they match its dequantization bit for bit.
///
/// Quants are stored in 32-byte chunks: a chunk of `qs` holds 2 (4-bit) or 4 (2-bit) runs of
/// 32 consecutive elements, one per bit position, and the high-bit arrays (`qh`, `hmask`)
/// hold one run per bit.
extension Quantization {
    /// Q4_K / Q5_K's 6-bit scale and minimum of sub-block `j` (0..<8) from the 12 packed bytes
    /// at `scales` (ggml's `get_scale_min_k4`).
    @inline(__always)
    static func kScaleMin(_ scales: UnsafeRawPointer, _ j: Int) -> (scale: UInt8, min: UInt8) {
        func byte(_ i: Int) -> UInt8 { scales.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (byte(j) & 63, byte(j &+ 4) & 63) }
        return ((byte(j &+ 4) & 0x0F) | (byte(j &- 4) >> 6) << 4, (byte(j &+ 4) >> 4) | (byte(j) >> 6) << 4)
    }

    /// Q3_K's signed 6-bit scale of sub-block `j` (0..<16) from its 12 packed bytes: the low 4
    /// bits are nibble `j / 8` of byte `j % 8`, the high 2 bits are bits `2 (j / 4)` of byte
    /// `8 + j % 4`.
    @inline(__always)
    static func q3KScale(_ scales: UnsafeRawPointer, _ j: Int) -> Int {
        let low = scales.load(fromByteOffset: j & 7, as: UInt8.self) >> UInt8(4 * (j >> 3)) & 0x0F
        let high = scales.load(fromByteOffset: 8 &+ (j & 3), as: UInt8.self) >> UInt8(2 * (j >> 2)) & 0x03
        return Int(low | high << 4) &- 32
    }

    /// Q2_K (84 bytes): `scales: [16]` (low nibble scale, high nibble min, per 16 elements),
    /// `qs: [64]` (2 chunks of 4 two-bit runs), `d`, `dmin`.
    static func dequantizeQ2_K(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 256) {
            let block = src + b &* DType.q2_K.blockBytes
            let d = BlockDecode.f16(block + 80, 0), dmin = BlockDecode.f16(block + 80, 1)
            let out = dst + b &* 256
            for e in 0..<256 {
                let sc = block.load(fromByteOffset: e >> 4, as: UInt8.self)
                let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                let q = block.load(fromByteOffset: 16 &+ 32 &* (e >> 7) &+ (e & 31), as: UInt8.self) >> UInt8(2 * ((e >> 5) & 3)) & 3
                out[e] = dl * Float(q) - ml
            }
        }
    }

    /// Q3_K (110 bytes): `hmask: [32]` (8 one-bit runs; a clear bit subtracts 4), `qs: [64]`
    /// (2 chunks of 4 two-bit runs), `scales: [12]` (16 signed 6-bit scales), `d`.
    static func dequantizeQ3_K(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 256) {
            let block = src + b &* DType.q3_K.blockBytes
            let d = BlockDecode.f16(block + 108, 0)
            let out = dst + b &* 256
            for e in 0..<256 {
                let dl = d * Float(q3KScale(block + 96, e >> 4))
                let low = block.load(fromByteOffset: 32 &+ 32 &* (e >> 7) &+ (e & 31), as: UInt8.self) >> UInt8(2 * ((e >> 5) & 3)) & 3
                let high = block.load(fromByteOffset: e & 31, as: UInt8.self) >> UInt8(e >> 5) & 1
                out[e] = dl * Float(Int(low) &- (high == 0 ? 4 : 0))
            }
        }
    }

    /// Q4_K (144 bytes): `d`, `dmin`, `scales: [12]` (8 six-bit scales and minimums, per 32
    /// elements), `qs: [128]` (4 chunks of 2 nibble runs).
    static func dequantizeQ4_K(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        dequantizeK4(src, count: count, into: dst, fifthBits: false)
    }

    /// Q5_K (176 bytes): Q4_K's `d`, `dmin` and `scales`, then `qh: [32]` (8 one-bit runs: the
    /// fifth bits) and `qs: [128]`.
    static func dequantizeQ5_K(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        dequantizeK4(src, count: count, into: dst, fifthBits: true)
    }

    /// Q4_K, or Q5_K with its `qh` runs adding a fifth bit.
    @inline(__always)
    private static func dequantizeK4(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>, fifthBits: Bool) {
        let dtype: DType = fifthBits ? .q5_K : .q4_K
        for b in 0..<(count / 256) {
            let block = src + b &* dtype.blockBytes
            let d = BlockDecode.f16(block, 0), dmin = BlockDecode.f16(block, 1)
            for s in 0..<8 {
                let (sc, m) = kScaleMin(block + 4, s)
                let dl = d * Float(sc), ml = dmin * Float(m)
                let qs = block + ((fifthBits ? 48 : 16) &+ 32 &* (s >> 1))
                let shift = UInt8(4 * (s & 1))
                let out = dst + (b &* 256 &+ 32 &* s)
                for l in 0..<32 {
                    var q = qs.load(fromByteOffset: l, as: UInt8.self) >> shift & 0x0F
                    if fifthBits { q |= (block.load(fromByteOffset: 16 &+ l, as: UInt8.self) >> UInt8(s) & 1) << 4 }
                    out[l] = dl * Float(q) - ml
                }
            }
        }
    }

    /// Q6_K (210 bytes): `ql: [128]` (per 128 elements, 64 bytes: two nibble runs each),
    /// `qh: [64]` (per 128 elements, 32 bytes of four 2-bit runs), `scales: [16]` Int8 (per 16
    /// elements), `d`. Values are `(d * sc) * (q - 32)`.
    static func dequantizeQ6_K(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 256) {
            let block = src + b &* DType.q6_K.blockBytes
            let d = BlockDecode.f16(block + 208, 0)
            let out = dst + b &* 256
            for e in 0..<256 {
                let half = e >> 7, run = (e >> 5) & 3, l = e & 31
                let low = block.load(fromByteOffset: 64 &* half &+ 32 &* (run & 1) &+ l, as: UInt8.self) >> UInt8(4 * (run >> 1)) & 0x0F
                let high = block.load(fromByteOffset: 128 &+ 32 &* half &+ l, as: UInt8.self) >> UInt8(2 * run) & 3
                let sc = block.load(fromByteOffset: 192 &+ (e >> 4), as: Int8.self)
                out[e] = d * Float(sc) * Float(Int(low | high << 4) &- 32)
            }
        }
    }

    /// Q8_K (292 bytes): `d: f32`, `qs: [256]` Int8, `bsums: [16]` Int16 (not needed to decode).
    static func dequantizeQ8_K(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 256) {
            let block = src + b &* DType.q8_K.blockBytes
            let d = block.loadUnaligned(as: Float.self)
            let out = dst + b &* 256
            for e in 0..<256 { out[e] = d * Float(block.load(fromByteOffset: 4 &+ e, as: Int8.self)) }
        }
    }
}
