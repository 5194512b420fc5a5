/// The byte-shuffle filter: for `count / elementSize` elements, byte k of every element
/// is gathered into plane k (`out[k * n + i] = in[i * elementSize + k]`); bytes past the
/// last whole element are copied as they are. Plain LZ4 finds almost nothing to match in
/// floats; after the shuffle the sign/exponent planes are long runs of a few values.
/// Allocation-free; `source` and `destination` must not overlap.
public enum ByteShuffle {
    /// Gathers byte planes from `source` into `destination`; both `count` bytes.
    public static func shuffle(_ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer,
                               count: Int, elementSize: Int) {
        precondition(elementSize >= 1 && count >= 0, "bad shuffle shape")
        let n = count / elementSize
        let src = source.assumingMemoryBound(to: UInt8.self)
        let dst = destination.assumingMemoryBound(to: UInt8.self)
        switch elementSize {
        case 1:
            destination.copyMemory(from: source, byteCount: count)
            return
        case 2:
            let d0 = dst, d1 = dst + n
            for i in 0..<n {
                let s = src + 2 &* i
                d0[i] = s[0]
                d1[i] = s[1]
            }
        case 4:
            let d0 = dst, d1 = dst + n, d2 = dst + 2 &* n, d3 = dst + 3 &* n
            for i in 0..<n {
                let s = src + 4 &* i
                d0[i] = s[0]
                d1[i] = s[1]
                d2[i] = s[2]
                d3[i] = s[3]
            }
        default:
            for k in 0..<elementSize {
                let plane = dst + k &* n
                for i in 0..<n { plane[i] = src[i &* elementSize &+ k] }
            }
        }
        let whole = n * elementSize
        (destination + whole).copyMemory(from: source + whole, byteCount: count - whole)
    }

    /// Scatters byte planes from `source` back into elements in `destination`: the inverse
    /// of `shuffle`.
    public static func unshuffle(_ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer,
                                 count: Int, elementSize: Int) {
        precondition(elementSize >= 1 && count >= 0, "bad shuffle shape")
        let n = count / elementSize
        let src = source.assumingMemoryBound(to: UInt8.self)
        let dst = destination.assumingMemoryBound(to: UInt8.self)
        switch elementSize {
        case 1:
            destination.copyMemory(from: source, byteCount: count)
            return
        case 2:
            let s0 = src, s1 = src + n
            for i in 0..<n {
                let d = dst + 2 &* i
                d[0] = s0[i]
                d[1] = s1[i]
            }
        case 4:
            let s0 = src, s1 = src + n, s2 = src + 2 &* n, s3 = src + 3 &* n
            for i in 0..<n {
                let d = dst + 4 &* i
                d[0] = s0[i]
                d[1] = s1[i]
                d[2] = s2[i]
                d[3] = s3[i]
            }
        default:
            for k in 0..<elementSize {
                let plane = src + k &* n
                for i in 0..<n { dst[i &* elementSize &+ k] = plane[i] }
            }
        }
        let whole = n * elementSize
        (destination + whole).copyMemory(from: source + whole, byteCount: count - whole)
    }
}
