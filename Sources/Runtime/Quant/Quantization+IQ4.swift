/// IQ4_NL and IQ4_XS: 4-bit indices into a fixed non-linear table of 16 signed values.
/// IQ4_NL has Q4_0's layout (an f16 `d`, then 16 bytes: element `j` in the low nibble of byte
/// `j`, element `j + 16` in its high nibble); IQ4_XS has 256-element blocks of eight 32-element
/// sub-blocks, each with a 6-bit scale (`ls - 32`; low 4 bits in `scales_l`, high 2 in
/// `scales_h`) and Q4_0's nibble layout in its 16 bytes.
extension Quantization {
    /// ggml's `kvalues_iq4nl`.
    public static let iq4Values: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    static func dequantizeIQ4_NL(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        iq4Values.withUnsafeBufferPointer { table in
            for b in 0..<(count / 32) {
                let block = src + b &* DType.iq4_nl.blockBytes
                let d = BlockDecode.f16(block, 0)
                let out = dst + b &* 32
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 2 &+ j, as: UInt8.self)
                    out[j] = d * Float(table[Int(byte & 0x0F)])
                    out[j &+ 16] = d * Float(table[Int(byte >> 4)])
                }
            }
        }
    }

    static func dequantizeIQ4_XS(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
        iq4Values.withUnsafeBufferPointer { table in
            for b in 0..<(count / 256) {
                let block = src + b &* DType.iq4_xs.blockBytes
                let d = BlockDecode.f16(block, 0)
                let scalesHigh = block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
                for s in 0..<8 {
                    let low = block.load(fromByteOffset: 4 &+ s / 2, as: UInt8.self) >> UInt8(4 * (s & 1)) & 0x0F
                    let high = UInt8(truncatingIfNeeded: scalesHigh >> UInt16(2 * s)) & 0x03
                    let dl = d * Float(Int(low | high << 4) &- 32)
                    let qs = block + (8 &+ 16 &* s)
                    let out = dst + (b &* 256 &+ 32 &* s)
                    for j in 0..<16 {
                        let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                        out[j] = dl * Float(table[Int(byte & 0x0F)])
                        out[j &+ 16] = dl * Float(table[Int(byte >> 4)])
                    }
                }
            }
        }
    }
}
