/// IQ4_NL and IQ4_XS as `llama-quantize` writes them without an importance matrix: ggml's
/// `quantize_iq4_nl` / `quantize_iq4_xs`, both `quantize_row_iq4_nl_impl` with `ntry = 7`.
/// Per 32 elements, the x²-weighted best scale among 16 candidates for the non-linear table
/// (`max / 127`, then `max / (i - 127)` for i in -7...7); IQ4_NL stores it as f16, IQ4_XS as a
/// 6-bit multiple of the block's f16 `d = max scale / -32`; the indices are then redone against
/// the stored scale.
///
/// Eight 32-element groups run at once, one per SIMD lane (IQ4_XS: a block's sub-blocks; IQ4_NL:
/// eight consecutive blocks), each lane doing its group's F32 operations in ggml's order.
/// (ggml's `quantize_row_iq4_nl_ref` uses `ntry = -1` and differs; it is not what files hold.)
extension Quantization {
    private static let iq4Tries = 7

    static func quantizeIQ4_NL(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        let table = IQ4Table.shared
        withKQuantScratch { s in
            let blocks = count / 32
            var first = 0
            while first < blocks {
                let groups = min(8, blocks &- first)
                s.gather(src + 32 &* first, n: 32, stride: 32, groups: groups)
                let scales = iq4BestScales(s.laneX, weights: s.laneWeights, table)
                var id = Lanes()
                for j in 0..<groups {
                    let d = scales[j]
                    dst.storeBytes(of: Float16(d).bitPattern, toByteOffset: (first &+ j) &* DType.iq4_nl.blockBytes, as: UInt16.self)
                    id[j] = d != 0 ? 1 / d : 0
                }
                for i in 0..<32 { s.laneQuants[i] = table.index(id * s.laneX[i]) }
                s.scatterQuants(n: 32, stride: 32, groups: groups)
                for j in 0..<groups {
                    packIQ4Nibbles(s.quants + 32 &* j, into: dst + ((first &+ j) &* DType.iq4_nl.blockBytes &+ 2))
                }
                first &+= groups
            }
        }
    }

    static func quantizeIQ4_XS(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) {
        let table = IQ4Table.shared
        withKQuantScratch { s in
            for b in 0..<(count / 256) {
                let x = src + b &* 256
                let block = dst + b &* DType.iq4_xs.blockBytes
                s.gather(x, n: 32, stride: 32)
                let scales = iq4BestScales(s.laneX, weights: s.laneWeights, table)
                var maxScale: Float = 0, amaxScale: Float = 0
                for ib in 0..<8 where abs(scales[ib]) > amaxScale {
                    amaxScale = abs(scales[ib])
                    maxScale = scales[ib]
                }
                let d = -maxScale / 32
                block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
                let id: Float = d != 0 ? 1 / d : 0
                var scalesHigh: UInt16 = 0
                let scalesLow = (block + 4).assumingMemoryBound(to: UInt8.self)
                var idl = Lanes()
                for ib in 0..<8 {
                    let l = Swift.max(-32, Swift.min(31, nearestInt(id * scales[ib])))
                    let dl = d * Float(l)
                    idl[ib] = dl != 0 ? 1 / dl : 0
                    let biased = UInt8(truncatingIfNeeded: l &+ 32)
                    if ib % 2 == 0 {
                        scalesLow[ib / 2] = biased & 0x0F
                    } else {
                        scalesLow[ib / 2] |= (biased & 0x0F) &<< 4
                    }
                    scalesHigh |= UInt16(biased &>> 4) &<< UInt16(2 &* ib)
                }
                block.storeBytes(of: scalesHigh, toByteOffset: 2, as: UInt16.self)
                for i in 0..<32 { s.laneQuants[i] = table.index(idl * s.laneX[i]) }
                s.scatterQuants(n: 32, stride: 32)
                for ib in 0..<8 { packIQ4Nibbles(s.quants + 32 &* ib, into: block + (8 &+ 16 &* ib)) }
            }
        }
    }

    /// The least-squares scales of eight 32-element groups (`x[i]` holds element `i` of each)
    /// against the table, weighted by x² (0 for an all-zero group): the fit from `max / 127` and
    /// from each `max / (i - 127)`, the best. `weights` is 32 vectors of scratch.
    private static func iq4BestScales(_ x: UnsafePointer<Lanes>, weights: UnsafeMutablePointer<Lanes>,
                                      _ table: IQ4Table) -> Lanes {
        var amax = Lanes(), max = Lanes()
        for i in 0..<32 {
            weights[i] = x[i] * x[i]
            let ax = magnitude(x[i])
            let larger = ax .> amax
            amax.replace(with: ax, where: larger)
            max.replace(with: x[i], where: larger)
        }
        let zero = amax .< groupMaxEpsilon
        @inline(__always)
        func fit(_ id: Lanes) -> (sumqx: Lanes, sumq2: Lanes) {
            var sumqx = Lanes(), sumq2 = Lanes()
            for i in 0..<32 {
                let q = table.value(id * x[i])
                let w = weights[i]
                sumqx += w * q * x[i]
                sumq2 += w * q * q
            }
            return (sumqx, sumq2)
        }
        let lowest = Float(iq4Values[0])
        let first = fit(1 / (-max / lowest))
        var d = (first.sumqx / first.sumq2).replacing(with: 0, where: .!(first.sumq2 .> 0))
        var best = d * first.sumqx
        for attempt in -iq4Tries...iq4Tries {
            let (sumqx, sumq2) = fit(Lanes(repeating: Float(attempt &+ Int(iq4Values[0]))) / max)
            let better = (sumq2 .> 0) .& (sumqx * sumqx .> best * sumq2)
            if any(better) {
                let newD = sumqx / sumq2
                d.replace(with: newD, where: better)
                best.replace(with: newD * sumqx, where: better)
            }
        }
        d.replace(with: 0, where: zero)
        return d
    }

    /// Q4_0's nibble order: byte j holds index j (low) and index j + 16 (high).
    @inline(__always)
    private static func packIQ4Nibbles(_ L: UnsafePointer<UInt8>, into qs: UnsafeMutableRawPointer) {
        for j in 0..<16 {
            qs.storeBytes(of: L[j] | L[j &+ 16] &<< 4, toByteOffset: j, as: UInt8.self)
        }
    }
}

/// ggml's `best_index_int8` over `kvalues_iq4nl` for eight values at once.
///
/// ggml bisects to the neighbours `lo <= x < hi` and picks `lo` when `x - lo < hi - x`. Near the
/// midpoint both differences are exact in F32 (x is within 128 of small integers, so they are
/// multiples of x's ulp below 16), and away from it rounding cannot swap them; so the pick is
/// exactly "`x` below the midpoint `(lo + hi) / 2`", and the index is the number of midpoints
/// `<= x` (NaN, above every value in ggml's bisection, gets the last). `Quantization.bestIndex`
/// is ggml's bisection itself; the tests check the two agree.
struct IQ4Table: Sendable {
    /// The 15 midpoints between neighbouring table values (half-integers, exact).
    let midpoints: [Float]
    /// The 15 gaps between neighbouring table values.
    let gaps: [Float]
    let lowest: Float
    let highest: Float

    static let shared = IQ4Table(values: Quantization.iq4Values)

    init(values: [Int8]) {
        let v = values.map(Float.init)
        midpoints = (0..<15).map { (v[$0] + v[$0 + 1]) / 2 }
        gaps = (0..<15).map { v[$0 + 1] - v[$0] }
        lowest = v[0]
        highest = v[15]
    }

    /// The table index nearest each lane of `x`.
    @inline(__always)
    func index(_ x: Quantization.Lanes) -> Quantization.LaneInts {
        var index = Quantization.LaneInts()
        midpoints.withUnsafeBufferPointer { m in
            for k in 0..<15 { index.replace(with: index &+ 1, where: x .>= Quantization.Lanes(repeating: m[k])) }
        }
        index.replace(with: 15, where: x .!= x)
        return index
    }

    /// The table value nearest each lane of `x` (sums of integers: exact).
    @inline(__always)
    func value(_ x: Quantization.Lanes) -> Quantization.Lanes {
        var value = Quantization.Lanes(repeating: lowest)
        midpoints.withUnsafeBufferPointer { m in
            gaps.withUnsafeBufferPointer { g in
                for k in 0..<15 {
                    value += Quantization.Lanes(repeating: g[k]).replacing(with: 0, where: x .< Quantization.Lanes(repeating: m[k]))
                }
            }
        }
        value.replace(with: highest, where: x .!= x)
        return value
    }
}
