/// Q4_1, Q5_0 and Q5_1: 32-element blocks of 4- or 5-bit quants. Byte `j` of `qs` holds element
/// `j` in its low nibble and element `j + 16` in its high nibble; Q5's fifth bits are bit `j` of
/// the little-endian `qh` word. Q5_0 centres at 16 (`d * (q - 16)`), the `_1` types add their
/// f16 minimum (`d * q + m`). Values are computed as gguf-py's `quants.py` computes them, so
/// they match its dequantization bit for bit.
extension Quantization {
    static func dequantizeQ4_1(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 32) {
            let block = src + b &* DType.q4_1.blockBytes
            let d = BlockDecode.f16(block, 0), m = BlockDecode.f16(block, 1)
            let out = dst + b &* 32
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: 4 &+ j, as: UInt8.self)
                out[j] = d * Float(byte & 0x0F) + m
                out[j &+ 16] = d * Float(byte >> 4) + m
            }
        }
    }

    static func dequantizeQ5_0(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 32) {
            let block = src + b &* DType.q5_0.blockBytes
            let d = BlockDecode.f16(block, 0)
            let out = dst + b &* 32
            for j in 0..<16 {
                let (low, high) = fiveBits(block, qh: 2, qs: 6, j)
                out[j] = d * Float(Int32(low) &- 16)
                out[j &+ 16] = d * Float(Int32(high) &- 16)
            }
        }
    }

    static func dequantizeQ5_1(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / 32) {
            let block = src + b &* DType.q5_1.blockBytes
            let d = BlockDecode.f16(block, 0), m = BlockDecode.f16(block, 1)
            let out = dst + b &* 32
            for j in 0..<16 {
                let (low, high) = fiveBits(block, qh: 4, qs: 8, j)
                out[j] = d * Float(low) + m
                out[j &+ 16] = d * Float(high) + m
            }
        }
    }

    /// The 5-bit quants of elements `j` and `j + 16` of a Q5 block whose `qh` word and `qs`
    /// bytes start at those offsets.
    @inline(__always)
    private static func fiveBits(_ block: UnsafeRawPointer, qh: Int, qs: Int, _ j: Int) -> (UInt32, UInt32) {
        let bits = block.loadUnaligned(fromByteOffset: qh, as: UInt32.self)
        let byte = UInt32(block.load(fromByteOffset: qs &+ j, as: UInt8.self))
        return ((byte & 0x0F) | ((bits >> UInt32(j)) & 1) << 4, (byte >> 4) | ((bits >> UInt32(j &+ 16)) & 1) << 4)
    }
}

/// ggml's reference quantizers for the same types (`quantize_row_q4_1_ref` and its siblings):
/// the `_1` types spread `[min, max]` over the quant range (`d = (max - min) / (2^bits - 1)`,
/// `q = trunc((x - min) / d + 0.5)`); Q5_0 maps the value of largest magnitude to -16
/// (`d = max / -16`, `q = trunc(x / d + 16.5)`, clamped to 31).
extension Quantization {
    static func quantizeQ4_1(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for b in 0..<(count / 32) {
            let x = src + b &* 32
            let block = dst + b &* DType.q4_1.blockBytes
            let (_, inverse, low) = minMaxScale(x, levels: 15, into: block)
            for j in 0..<16 {
                let q0 = min(15, UInt8((x[j] - low) * inverse + 0.5))
                let q1 = min(15, UInt8((x[j &+ 16] - low) * inverse + 0.5))
                block.storeBytes(of: q0 | q1 << 4, toByteOffset: 4 &+ j, as: UInt8.self)
            }
        }
    }

    static func quantizeQ5_1(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for b in 0..<(count / 32) {
            let x = src + b &* 32
            let block = dst + b &* DType.q5_1.blockBytes
            let (_, inverse, low) = minMaxScale(x, levels: 31, into: block)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let q0 = min(31, UInt8((x[j] - low) * inverse + 0.5))
                let q1 = min(31, UInt8((x[j &+ 16] - low) * inverse + 0.5))
                block.storeBytes(of: (q0 & 0x0F) | (q1 & 0x0F) << 4, toByteOffset: 8 &+ j, as: UInt8.self)
                qh |= UInt32(q0 >> 4) << UInt32(j) | UInt32(q1 >> 4) << UInt32(j &+ 16)
            }
            block.storeBytes(of: qh, toByteOffset: 4, as: UInt32.self)
        }
    }

    static func quantizeQ5_0(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for b in 0..<(count / 32) {
            let x = src + b &* 32
            let block = dst + b &* DType.q5_0.blockBytes
            let d = signedMaximum(x, count: 32) / -16
            let inverse: Float = d != 0 ? 1 / d : 0
            block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let q0 = UInt8(min(31, Int8(x[j] * inverse + 16.5)))
                let q1 = UInt8(min(31, Int8(x[j &+ 16] * inverse + 16.5)))
                block.storeBytes(of: (q0 & 0x0F) | (q1 & 0x0F) << 4, toByteOffset: 6 &+ j, as: UInt8.self)
                qh |= UInt32(q0 >> 4) << UInt32(j) | UInt32(q1 >> 4) << UInt32(j &+ 16)
            }
            block.storeBytes(of: qh, toByteOffset: 2, as: UInt32.self)
        }
    }

    /// The `_1` types' header: finds the block's range, stores `d` and `m` as f16 at `block`,
    /// returns `d`, `1 / d` (0 for a constant block) and the minimum.
    private static func minMaxScale(_ x: UnsafePointer<Float>, levels: Float, into block: UnsafeMutableRawPointer)
        -> (d: Float, inverse: Float, min: Float) {
        var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
        for j in 0..<32 {
            if x[j] < low { low = x[j] }
            if x[j] > high { high = x[j] }
        }
        let d = (high - low) / levels
        block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
        block.storeBytes(of: Float16(low).bitPattern, toByteOffset: 2, as: UInt16.self)
        return (d, d != 0 ? 1 / d : 0, low)
    }
}
