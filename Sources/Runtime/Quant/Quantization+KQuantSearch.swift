/// The scale searches behind ggml's reference K-quant and IQ4 quantizers (`ggml-quants.c`:
/// `nearest_int`, `make_qx_quants`, `make_q3_quants`, `make_qkx2_quants`, `best_index_int8`),
/// without an importance matrix.
///
/// Every float operation is spelled in ggml's order and precision (F32 throughout, products
/// grouped left to right, sums accumulated element by element, nothing fused into an FMA: the
/// `libggml-base` that `llama-quantize` runs is built for baseline x86-64, so GCC has no FMA to
/// contract into), so the quants and scales come out bit for bit as llama.cpp's.
///
/// The two searches that dominate quantization time (`make_qkx2_quants`, `make_qx_quants`) run
/// on eight groups at once, one per SIMD lane (`Quantization+KQuantLanes.swift`): each lane does
/// exactly the scalar sequence of operations for its group, and ggml's branches become per-lane
/// selects, so the results are the same bits, eight times faster.
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

    /// `best_index_int8`: the index of the entry of the ascending `values` nearest `x` (the
    /// upper one on a tie), by bisection. The IQ4 quantizers use `IQ4Table`, the same answer
    /// without branches, eight at a time; the tests hold the two equal.
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
