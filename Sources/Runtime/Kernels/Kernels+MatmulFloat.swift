/// Matmul inner loops for element-wise weight types (F32, F16, BF16): 16 elements per step.
extension Kernels {
    @inline(never)
    static func matmulF32(_ shape: MatmulShape, _ tile: MatmulTile) {
        matmulElementwise(shape, tile, load8: BlockDecode.f32x8, load1: BlockDecode.f32)
    }

    @inline(never)
    static func matmulF16(_ shape: MatmulShape, _ tile: MatmulTile) {
        matmulElementwise(shape, tile, load8: BlockDecode.f16x8, load1: BlockDecode.f16)
    }

    @inline(never)
    static func matmulBF16(_ shape: MatmulShape, _ tile: MatmulTile) {
        matmulElementwise(shape, tile, load8: BlockDecode.bf16x8, load1: BlockDecode.bf16)
    }

    /// The shared loop nest; the decoders are inlined into each caller (no indirect calls).
    /// Rows go two at a time against four tokens at a time: 8 accumulators, and each step of 8
    /// elements loads 2 weight and 4 activation registers for 8 FMAs (the 1 x 4 form loads 5
    /// for 4). Three rows would need 19 of the 16 ymm registers: measured 20% slower, spilling.
    /// Leftover rows and tokens take the one-row forms.
    @inline(__always)
    static func matmulElementwise(_ shape: MatmulShape, _ tile: MatmulTile,
                                  load8: (UnsafeRawPointer, Int) -> SIMD8<Float>,
                                  load1: (UnsafeRawPointer, Int) -> Float) {
        let n = shape.inDim
        var o = tile.rows.lowerBound
        let quads = tile.tokens.lowerBound + (tile.tokens.count & ~3)
        if n % 8 == 0 && quads > tile.tokens.lowerBound {
            while o &+ 2 <= tile.rows.upperBound {
                var b = tile.tokens.lowerBound
                while b < quads {
                    rows2Tokens4(shape, row: o, token: b, load8: load8)
                    b &+= 4
                }
                if quads < tile.tokens.upperBound {
                    rowsOneAtATime(shape, rows: o..<(o &+ 2), tokens: quads..<tile.tokens.upperBound, load8: load8, load1: load1)
                }
                o &+= 2
            }
        }
        rowsOneAtATime(shape, rows: o..<tile.rows.upperBound, tokens: tile.tokens, load8: load8, load1: load1)
    }

    /// Rows `row ..< row + 2` against tokens `token ..< token + 4`; `inDim` is a multiple of 8.
    @inline(__always)
    static func rows2Tokens4(_ shape: MatmulShape, row o: Int, token b: Int,
                             load8: (UnsafeRawPointer, Int) -> SIMD8<Float>) {
        let n = shape.inDim
        let w0 = shape.row(o), w1 = shape.row(o &+ 1)
        let x0 = shape.token(b), x1 = shape.token(b &+ 1), x2 = shape.token(b &+ 2), x3 = shape.token(b &+ 3)
        var s00 = SIMD8<Float>(), s01 = SIMD8<Float>(), s02 = SIMD8<Float>(), s03 = SIMD8<Float>()
        var s10 = SIMD8<Float>(), s11 = SIMD8<Float>(), s12 = SIMD8<Float>(), s13 = SIMD8<Float>()
        var i = 0
        while i < n {
            let a = load8(w0, i), c = load8(w1, i)
            let y0 = x0.load8(at: i), y1 = x1.load8(at: i), y2 = x2.load8(at: i), y3 = x3.load8(at: i)
            s00.addProduct(a, y0); s01.addProduct(a, y1); s02.addProduct(a, y2); s03.addProduct(a, y3)
            s10.addProduct(c, y0); s11.addProduct(c, y1); s12.addProduct(c, y2); s13.addProduct(c, y3)
            i &+= 8
        }
        shape.store(sum(s00), token: b, row: o); shape.store(sum(s01), token: b &+ 1, row: o)
        shape.store(sum(s02), token: b &+ 2, row: o); shape.store(sum(s03), token: b &+ 3, row: o)
        shape.store(sum(s10), token: b, row: o &+ 1); shape.store(sum(s11), token: b &+ 1, row: o &+ 1)
        shape.store(sum(s12), token: b &+ 2, row: o &+ 1); shape.store(sum(s13), token: b &+ 3, row: o &+ 1)
    }

    /// One row at a time: four tokens per pass, then the rest one by one.
    @inline(__always)
    static func rowsOneAtATime(_ shape: MatmulShape, rows: Range<Int>, tokens: Range<Int>,
                           load8: (UnsafeRawPointer, Int) -> SIMD8<Float>,
                           load1: (UnsafeRawPointer, Int) -> Float) {
        let n = shape.inDim
        let tile = MatmulTile(rows: rows, tokens: tokens)
        for o in tile.rows {
            let w = shape.row(o)
            var b = tile.tokens.lowerBound
            // Four tokens per pass: each weight register feeds four FMAs.
            while b &+ 4 <= tile.tokens.upperBound {
                let x0 = shape.token(b), x1 = shape.token(b &+ 1), x2 = shape.token(b &+ 2), x3 = shape.token(b &+ 3)
                var s00 = SIMD8<Float>(), s01 = SIMD8<Float>(), s10 = SIMD8<Float>(), s11 = SIMD8<Float>()
                var s20 = SIMD8<Float>(), s21 = SIMD8<Float>(), s30 = SIMD8<Float>(), s31 = SIMD8<Float>()
                var i = 0
                while i &+ 16 <= n {
                    let w0 = load8(w, i), w1 = load8(w, i &+ 8)
                    s00.addProduct(w0, x0.load8(at: i)); s01.addProduct(w1, x0.load8(at: i &+ 8))
                    s10.addProduct(w0, x1.load8(at: i)); s11.addProduct(w1, x1.load8(at: i &+ 8))
                    s20.addProduct(w0, x2.load8(at: i)); s21.addProduct(w1, x2.load8(at: i &+ 8))
                    s30.addProduct(w0, x3.load8(at: i)); s31.addProduct(w1, x3.load8(at: i &+ 8))
                    i &+= 16
                }
                if i &+ 8 <= n {
                    let w0 = load8(w, i)
                    s00.addProduct(w0, x0.load8(at: i)); s10.addProduct(w0, x1.load8(at: i))
                    s20.addProduct(w0, x2.load8(at: i)); s30.addProduct(w0, x3.load8(at: i))
                    i &+= 8
                }
                var r0 = sum(s00 + s01), r1 = sum(s10 + s11), r2 = sum(s20 + s21), r3 = sum(s30 + s31)
                while i < n {
                    let wi = load1(w, i)
                    r0 = r0.addingProduct(wi, x0[i]); r1 = r1.addingProduct(wi, x1[i])
                    r2 = r2.addingProduct(wi, x2[i]); r3 = r3.addingProduct(wi, x3[i])
                    i &+= 1
                }
                shape.store(r0, token: b, row: o)
                shape.store(r1, token: b &+ 1, row: o)
                shape.store(r2, token: b &+ 2, row: o)
                shape.store(r3, token: b &+ 3, row: o)
                b &+= 4
            }
            // Remaining tokens one at a time (the row is in L1 by now); four accumulators.
            while b < tile.tokens.upperBound {
                let x0 = shape.token(b)
                var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
                var i = 0
                while i &+ 32 <= n {
                    s0.addProduct(load8(w, i), x0.load8(at: i))
                    s1.addProduct(load8(w, i &+ 8), x0.load8(at: i &+ 8))
                    s2.addProduct(load8(w, i &+ 16), x0.load8(at: i &+ 16))
                    s3.addProduct(load8(w, i &+ 24), x0.load8(at: i &+ 24))
                    i &+= 32
                }
                while i &+ 8 <= n {
                    s0.addProduct(load8(w, i), x0.load8(at: i))
                    i &+= 8
                }
                var r0 = sum((s0 + s1) + (s2 + s3))
                while i < n {
                    r0 = r0.addingProduct(load1(w, i), x0[i])
                    i &+= 1
                }
                shape.store(r0, token: b, row: o)
                b &+= 1
            }
        }
    }
}
