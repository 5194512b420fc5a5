import StrataRuntime

/// The Q8_0 x Q8 integer matmul written in Swift, as fast as we could write it, for comparison
/// with the C kernel (`IntegerDot`). LLVM lowers the widened int8 products to 32-bit multiplies
/// (`vpmovsxbd` + `vpmulld`) and never to `vpmaddubsw` or `vpdpbusd`, whatever the spelling.
enum SwiftIntegerDot {
    static func matmulQ8_0(out: UnsafeMutablePointer<Float>, x: Q8Rows, weight: Tensor) {
        let blocks = x.blocks
        for t in 0..<x.rows {
            let xq = UnsafeRawPointer(x.quants + t * x.columns)
            let xd = x.scales + t * blocks
            for r in 0..<weight.rows {
                let w = weight.row(r)
                var acc = SIMD8<Float>()
                for k in 0..<blocks {
                    let block = w + k &* 34
                    var dot = SIMD8<Int32>()
                    for part in 0..<4 {
                        let a = widen(block.loadUnaligned(fromByteOffset: 2 &+ part &* 8, as: SIMD8<Int8>.self))
                        let b = widen(xq.loadUnaligned(fromByteOffset: k &* 32 &+ part &* 8, as: SIMD8<Int8>.self))
                        dot &+= a &* b
                    }
                    let d = Float(Float16(bitPattern: block.loadUnaligned(as: UInt16.self))) * xd[k]
                    acc.addProduct(SIMD8(repeating: d), float(dot))
                }
                out[t * weight.rows + r] = acc.sum()
            }
        }
    }

    @inline(__always)
    static func widen(_ v: SIMD8<Int8>) -> SIMD8<Int32> {
        SIMD8(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
    }

    @inline(__always)
    static func float(_ v: SIMD8<Int32>) -> SIMD8<Float> {
        SIMD8(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
    }
}
