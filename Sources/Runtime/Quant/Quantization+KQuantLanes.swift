/// ggml's `make_qkx2_quants` and `make_qx_quants` (rmse_type 1, no importance weights) on eight
/// groups at once: lane `j` of every vector belongs to group `j`, and element `i` of the groups is
/// vector `i` of the inputs (`x[i][j]` is element `i` of group `j`).
///
/// Each lane performs the scalar algorithm's F32 operations in its order (sums accumulated
/// element by element, products left to right, no FMA); where ggml branches on a group's values
/// (`D > 0`, "this error is smaller", "this fit is better") the lanes compute both sides and
/// select. The results are bit for bit the scalar ones; the eight dependency chains of a search's
/// running sums then advance in one register instead of one after another.
extension Quantization {
    typealias Lanes = SIMD8<Float>
    typealias LaneInts = SIMD8<Int32>

    /// `nearest_int` in every lane.
    @inline(__always)
    static func nearestInt(_ value: Lanes) -> LaneInts {
        let shifted = unsafeBitCast(value + 12_582_912, to: LaneInts.self)
        return (shifted & 0x007F_FFFF) &- 0x0040_0000
    }

    /// Int32 lanes to Float, lane by lane (the generic conversion is not always inlined).
    @inline(__always)
    static func float(_ v: LaneInts) -> Lanes {
        Lanes(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
    }

    /// `|v|` in every lane (the sign bit cleared, as `fabsf`).
    @inline(__always)
    static func magnitude(_ v: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Lanes.self)
    }

    /// `make_qkx2_quants` for eight groups of `n` (Q2_K, Q4_K, Q5_K): asymmetric quants `0...nmax`
    /// with `x ≈ scale q - min`. Starts from the range `[min(0, min x), max x]`, then tries
    /// `nstep + 1` scales `(rmin + rdelta is + nmax) / (max - min)`, refitting scale and minimum by
    /// weighted least squares and keeping the one with the least weighted error (absolute if
    /// `useMAD`, else squared). `L` gets the quants, `aux` is `n` vectors of scratch.
    /// Returns per lane `(scale, -min)`; a constant group gets quants 0 and scale 0.
    static func makeQKX2Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Lanes>, _ weights: UnsafePointer<Lanes>,
                               _ L: UnsafeMutablePointer<LaneInts>, aux: UnsafeMutablePointer<LaneInts>,
                               rmin: Float, rdelta: Float, nstep: Int, useMAD: Bool) -> (scale: Lanes, negatedMin: Lanes) {
        var min = x[0], max = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            let xi = x[i]
            min.replace(with: xi, where: xi .< min)
            max.replace(with: xi, where: xi .> max)
            let w = weights[i]
            sumW += w
            sumX += w * xi
        }
        min.replace(with: 0, where: min .> 0)
        let flat = max .== min
        let top = LaneInts(repeating: nmax)
        let fmax = Float(nmax)
        @inline(__always)
        func error(_ scale: Lanes, _ offset: Lanes, _ q: UnsafePointer<LaneInts>) -> Lanes {
            var total = Lanes()
            for i in 0..<n {
                var diff = scale * float(q[i]) + offset - x[i]
                diff = useMAD ? magnitude(diff) : diff * diff
                total += weights[i] * diff
            }
            return total
        }
        var iscale = Lanes(repeating: fmax) / (max - min)
        var scale = 1 / iscale
        for i in 0..<n {
            L[i] = nearestInt(iscale * (x[i] - min)).clamped(lowerBound: .zero, upperBound: top)
        }
        var bestError = error(scale, min, L)
        for step in 0...nstep {
            iscale = Lanes(repeating: rmin + rdelta * Float(step) + fmax) / (max - min)
            var sumL = Lanes(), sumL2 = Lanes(), sumXL = Lanes()
            for i in 0..<n {
                let l = nearestInt(iscale * (x[i] - min)).clamped(lowerBound: .zero, upperBound: top)
                aux[i] = l
                let w = weights[i], fl = float(l)
                sumL += w * fl
                sumL2 += w * fl * fl
                sumXL += w * fl * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            let positive = thisMin .> 0
            thisMin.replace(with: 0, where: positive)
            thisScale.replace(with: sumXL / sumL2, where: positive)
            let current = error(thisScale, thisMin, aux)
            let better = (D .> 0) .& (current .< bestError) .& .!flat
            if any(better) {
                for i in 0..<n { L[i].replace(with: aux[i], where: better) }
                bestError.replace(with: current, where: better)
                scale.replace(with: thisScale, where: better)
                min.replace(with: thisMin, where: better)
            }
        }
        if any(flat) {
            for i in 0..<n { L[i].replace(with: 0, where: flat) }
            scale.replace(with: 0, where: flat)
        }
        return (scale, -min)
    }

    /// `make_qx_quants` with `rmse_type = 1` for eight groups of `n` (Q6_K): symmetric quants in
    /// `-nmax..<nmax`, stored in `L` as `q + nmax`, with the scale chosen among 19 candidates
    /// (`-(nmax + 0.1 is) / max`) to maximize the x²-weighted fit. `aux` is `n` vectors of
    /// scratch. Returns the scales; a group whose largest magnitude is under `GROUP_MAX_EPS`
    /// gets quants 0 and scale 0.
    static func makeQXQuants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Lanes>,
                             _ L: UnsafeMutablePointer<LaneInts>, aux: UnsafeMutablePointer<LaneInts>) -> Lanes {
        var max = Lanes(), amax = Lanes()
        for i in 0..<n {
            let ax = magnitude(x[i])
            let larger = ax .> amax
            amax.replace(with: ax, where: larger)
            max.replace(with: x[i], where: larger)
        }
        let zero = amax .< groupMaxEpsilon
        let low = LaneInts(repeating: -nmax), high = LaneInts(repeating: nmax &- 1)
        @inline(__always)
        func fit(_ iscale: Lanes, _ out: UnsafeMutablePointer<LaneInts>) -> (sumlx: Lanes, suml2: Lanes) {
            var sumlx = Lanes(), suml2 = Lanes()
            for i in 0..<n {
                let l = nearestInt(iscale * x[i]).clamped(lowerBound: low, upperBound: high)
                out[i] = l &+ nmax
                let w = x[i] * x[i], fl = float(l)
                sumlx += w * x[i] * fl
                suml2 += w * fl * fl
            }
            return (sumlx, suml2)
        }
        let first = fit(Lanes(repeating: Float(-nmax)) / max, L)
        var scale = (first.sumlx / first.suml2).replacing(with: 0, where: first.suml2 .== 0)
        var best = scale * first.sumlx
        let fmax = Float(nmax)
        for step in -9...9 where step != 0 {
            let (sumlx, suml2) = fit(Lanes(repeating: -(fmax + 0.1 * Float(step))) / max, aux)
            let better = (suml2 .> 0) .& (sumlx * sumlx .> best * suml2)
            if any(better) {
                for i in 0..<n { L[i].replace(with: aux[i], where: better) }
                let newScale = sumlx / suml2
                scale.replace(with: newScale, where: better)
                best.replace(with: newScale * sumlx, where: better)
            }
        }
        if any(zero) {
            for i in 0..<n { L[i].replace(with: 0, where: zero) }
            scale.replace(with: 0, where: zero)
        }
        return scale
    }
}
