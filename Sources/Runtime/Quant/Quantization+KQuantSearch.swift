/// The scale searches behind ggml's reference K-quant and IQ4 quantizers (`ggml-quants.c`:
/// `nearest_int`, `make_qx_quants`, `make_q3_quants`, `make_qkx2_quants`, `best_index_int8`),
/// without an importance matrix.
///
/// Every float operation is spelled in ggml's order and precision (F32 throughout, products
/// grouped left to right, sums accumulated element by element, nothing fused into an FMA: the
/// `libggml-base` that `llama-quantize` runs is built for baseline x86-64, so GCC has no FMA to
/// contract into), so the quants and scales come out bit for bit as llama.cpp's.
extension Quantization {
    /// ggml's `GROUP_MAX_EPS`: a group whose largest magnitude is below this is all zero.
    static let groupMaxEpsilon: Float = 1e-15

    /// ggml's `nearest_int`: rounds to nearest, ties to even, by adding 1.5 * 2^23 and reading
    /// the low mantissa bits. Exact for |value| < 2^22; outside that range (which ggml only
    /// asserts against in debug builds) it returns the same wrapped value ggml does.
    @inline(__always)
    static func nearestInt(_ value: Float) -> Int32 {
        let shifted = value + 12_582_912
        return Int32(bitPattern: shifted.bitPattern & 0x007F_FFFF) &- 0x0040_0000
    }

    /// `make_qx_quants` with `rmse_type = 1` and no importance weights (Q6_K): symmetric quants
    /// in `-nmax..<nmax`, stored in `L` as `q + nmax`, with the scale chosen among 19 candidates
    /// (`-(nmax + 0.1 is) / max`) to minimize the x²-weighted squared error. `aux` holds `n`
    /// scratch bytes. Returns the scale (0 for an all-zero group).
    static func makeQXQuants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>,
                             _ L: UnsafeMutablePointer<Int8>, aux: UnsafeMutablePointer<Int8>) -> Float {
        var max: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; max = x[i] }
        }
        if amax < groupMaxEpsilon {
            L.update(repeating: 0, count: n)
            return 0
        }
        let fmax = Float(nmax)
        @inline(__always)
        func sums(_ iscale: Float, _ out: UnsafeMutablePointer<Int8>) -> (sumlx: Float, suml2: Float) {
            var sumlx: Float = 0, suml2: Float = 0
            for i in 0..<n {
                let l = Swift.max(-nmax, Swift.min(nmax &- 1, nearestInt(iscale * x[i])))
                out[i] = Int8(truncatingIfNeeded: l &+ nmax)
                let w = x[i] * x[i]
                let fl = Float(l)
                sumlx += w * x[i] * fl
                suml2 += w * fl * fl
            }
            return (sumlx, suml2)
        }
        let first = sums(Float(-nmax) / max, L)
        var scale: Float = first.suml2 != 0 ? first.sumlx / first.suml2 : 0
        var best = scale * first.sumlx
        for step in -9...9 where step != 0 {
            let (sumlx, suml2) = sums(-(fmax + 0.1 * Float(step)) / max, aux)
            if suml2 > 0 && sumlx * sumlx > best * suml2 {
                L.update(from: aux, count: n)
                scale = sumlx / suml2
                best = scale * sumlx
            }
        }
        return scale
    }

    /// `make_q3_quants` with `do_rmse` (Q3_K): symmetric quants in `-nmax..<nmax` from
    /// `-nmax / max`, then up to five passes that move single quants while the x²-weighted fit
    /// improves. `L` gets `q + nmax`, or all zeros for an all-zero group. Returns the scale.
    static func makeQ3Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
        var max: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; max = x[i] }
        }
        if amax < groupMaxEpsilon {
            L.update(repeating: 0, count: n)
            return 0
        }
        let iscale = Float(-nmax) / max
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = Swift.max(-nmax, Swift.min(nmax &- 1, nearestInt(iscale * x[i])))
            L[i] = Int8(truncatingIfNeeded: l)
            let w = x[i] * x[i]
            sumlx += w * x[i] * Float(l)
            suml2 += w * Float(l) * Float(l)
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = x[i] * x[i]
                let li = Float(L[i])
                var slx = sumlx - w * x[i] * li
                if slx > 0 {
                    var sl2 = suml2 - w * li * li
                    let newL = Swift.max(-nmax, Swift.min(nmax &- 1, nearestInt(x[i] * sl2 / slx)))
                    if newL != Int32(L[i]) {
                        let fl = Float(newL)
                        slx += w * x[i] * fl
                        sl2 += w * fl * fl
                        if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                            L[i] = Int8(truncatingIfNeeded: newL)
                            sumlx = slx
                            suml2 = sl2
                            changed &+= 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { L[i] &+= Int8(truncatingIfNeeded: nmax) }
        return suml2 > 0 ? sumlx / suml2 : 0
    }

    /// `make_qkx2_quants` (Q2_K, Q4_K, Q5_K): asymmetric quants `0...nmax` with `x ≈ scale q - min`.
    /// Starts from the range `[min(0, min x), max x]`, then tries `nstep + 1` scales
    /// `(rmin + rdelta is + nmax) / (max - min)`, refitting scale and minimum by weighted least
    /// squares and keeping the one with the least weighted error (absolute if `useMAD`, else
    /// squared). `aux` holds `n` scratch bytes. Returns `(scale, -min)`.
    static func makeQKX2Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                               _ L: UnsafeMutablePointer<UInt8>, aux: UnsafeMutablePointer<UInt8>,
                               rmin: Float, rdelta: Float, nstep: Int, useMAD: Bool) -> (scale: Float, negatedMin: Float) {
        var min = x[0], max = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < min { min = x[i] }
            if x[i] > max { max = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if min > 0 { min = 0 }
        if max == min {
            L.update(repeating: 0, count: n)
            return (0, -min)
        }
        let fmax = Float(nmax)
        var iscale = fmax / (max - min)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = Swift.max(0, Swift.min(nmax, nearestInt(iscale * (x[i] - min))))
            L[i] = UInt8(truncatingIfNeeded: l)
            var diff = scale * Float(l) + min - x[i]
            diff = useMAD ? abs(diff) : diff * diff
            bestError += weights[i] * diff
        }
        if nstep < 1 { return (scale, -min) }
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + fmax) / (max - min)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = Swift.max(0, Swift.min(nmax, nearestInt(iscale * (x[i] - min))))
                aux[i] = UInt8(truncatingIfNeeded: l)
                let w = weights[i]
                let fl = Float(l)
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            if D > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var error: Float = 0
                for i in 0..<n {
                    var diff = thisScale * Float(aux[i]) + thisMin - x[i]
                    diff = useMAD ? abs(diff) : diff * diff
                    error += weights[i] * diff
                }
                if error < bestError {
                    L.update(from: aux, count: n)
                    bestError = error
                    scale = thisScale
                    min = thisMin
                }
            }
        }
        return (scale, -min)
    }

    /// `best_index_int8`: the index of the entry of the ascending `values` nearest `x` (the
    /// upper one on a tie), by bisection.
    @inline(__always)
    static func bestIndex(_ values: UnsafePointer<Int8>, _ count: Int, _ x: Float) -> Int {
        if x <= Float(values[0]) { return 0 }
        if x >= Float(values[count &- 1]) { return count &- 1 }
        var low = 0, high = count &- 1
        while high &- low > 1 {
            let mid = (low &+ high) / 2
            if x < Float(values[mid]) { high = mid } else { low = mid }
        }
        return x - Float(values[high &- 1]) < Float(values[high]) - x ? high &- 1 : high
    }
}
