/// Matmul inner loops for block-quantized weights (Q8_0, Q4_0): each 32-element block is
/// decoded (scale applied) into four registers and FMA'd against the float activations.
extension Kernels {
    @inline(never)
    static func matmulQ8_0(_ shape: MatmulShape, _ tile: MatmulTile) {
        matmulBlocks(shape, tile, blockBytes: 34, decode: BlockDecode.q8_0)
    }

    @inline(never)
    static func matmulQ4_0(_ shape: MatmulShape, _ tile: MatmulTile) {
        matmulBlocks(shape, tile, blockBytes: 18, decode: BlockDecode.q4_0)
    }

    /// The shared loop nest; the decoder is inlined into each caller (no indirect calls).
    @inline(__always)
    static func matmulBlocks(_ shape: MatmulShape, _ tile: MatmulTile, blockBytes: Int,
                             decode: (UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)) {
        let blocks = shape.inDim / 32
        for o in tile.rows {
            let w = shape.row(o)
            var b = tile.tokens.lowerBound
            // Four tokens per pass, two accumulators each: a decoded block feeds 16 FMAs.
            while b &+ 4 <= tile.tokens.upperBound {
                let x0 = shape.token(b), x1 = shape.token(b &+ 1), x2 = shape.token(b &+ 2), x3 = shape.token(b &+ 3)
                var s00 = SIMD8<Float>(), s01 = SIMD8<Float>(), s10 = SIMD8<Float>(), s11 = SIMD8<Float>()
                var s20 = SIMD8<Float>(), s21 = SIMD8<Float>(), s30 = SIMD8<Float>(), s31 = SIMD8<Float>()
                var k = 0
                while k < blocks {
                    let (w0, w1, w2, w3) = decode(w + k &* blockBytes)
                    let i = k &* 32
                    s00.addProduct(w0, x0.load8(at: i)); s01.addProduct(w1, x0.load8(at: i &+ 8))
                    s10.addProduct(w0, x1.load8(at: i)); s11.addProduct(w1, x1.load8(at: i &+ 8))
                    s20.addProduct(w0, x2.load8(at: i)); s21.addProduct(w1, x2.load8(at: i &+ 8))
                    s30.addProduct(w0, x3.load8(at: i)); s31.addProduct(w1, x3.load8(at: i &+ 8))
                    s00.addProduct(w2, x0.load8(at: i &+ 16)); s01.addProduct(w3, x0.load8(at: i &+ 24))
                    s10.addProduct(w2, x1.load8(at: i &+ 16)); s11.addProduct(w3, x1.load8(at: i &+ 24))
                    s20.addProduct(w2, x2.load8(at: i &+ 16)); s21.addProduct(w3, x2.load8(at: i &+ 24))
                    s30.addProduct(w2, x3.load8(at: i &+ 16)); s31.addProduct(w3, x3.load8(at: i &+ 24))
                    k &+= 1
                }
                shape.store(sum(s00 + s01), token: b, row: o)
                shape.store(sum(s10 + s11), token: b &+ 1, row: o)
                shape.store(sum(s20 + s21), token: b &+ 2, row: o)
                shape.store(sum(s30 + s31), token: b &+ 3, row: o)
                b &+= 4
            }
            // Remaining tokens one at a time; one accumulator per register of the block.
            while b < tile.tokens.upperBound {
                let x0 = shape.token(b)
                var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
                var k = 0
                while k < blocks {
                    let (w0, w1, w2, w3) = decode(w + k &* blockBytes)
                    let i = k &* 32
                    s0.addProduct(w0, x0.load8(at: i))
                    s1.addProduct(w1, x0.load8(at: i &+ 8))
                    s2.addProduct(w2, x0.load8(at: i &+ 16))
                    s3.addProduct(w3, x0.load8(at: i &+ 24))
                    k &+= 1
                }
                shape.store(sum((s0 + s1) + (s2 + s3)), token: b, row: o)
                b &+= 1
            }
        }
    }
}
