/// ggml's reference Q8_K quantizer (`quantize_row_q8_K_ref`), the activation format of the
/// K-quant dot products: per 256 values `d = max / -127` stored as F32 (the value of largest
/// magnitude maps to -127), `q = min(127, round(x / d))`, and the sixteen 16-element quant sums.
/// An all-zero block is all zero bytes (ggml leaves its sums unwritten).
extension Quantization {
    static func quantizeQ8_K(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        for b in 0..<(count / 256) {
            let x = src + b &* 256
            let block = dst + b &* DType.q8_K.blockBytes
            var max: Float = 0, amax: Float = 0
            for j in 0..<256 {
                let ax = abs(x[j])
                if ax > amax { amax = ax; max = x[j] }
            }
            if amax == 0 {
                block.initializeMemory(as: UInt8.self, repeating: 0, count: DType.q8_K.blockBytes)
                continue
            }
            let iscale = -127 / max
            let qs = (block + 4).assumingMemoryBound(to: Int8.self)
            for j in 0..<256 {
                qs[j] = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * x[j])))
            }
            for g in 0..<16 {
                var sum: Int32 = 0
                for i in 0..<16 { sum &+= Int32(qs[16 &* g &+ i]) }
                block.storeBytes(of: Int16(truncatingIfNeeded: sum), toByteOffset: 260 &+ 2 &* g, as: Int16.self)
            }
            block.storeBytes(of: 1 / iscale, as: Float.self)
        }
    }
}
