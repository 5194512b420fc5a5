/// xxHash64 (Yann Collet's XXH64, seed 0 by default): a fast non-cryptographic 64-bit
/// checksum, here to catch corrupted cold pages. Allocation-free.
public enum XXHash64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    /// The hash of `count` bytes at `bytes`.
    public static func hash(_ bytes: UnsafeRawPointer, count: Int, seed: UInt64 = 0) -> UInt64 {
        precondition(count >= 0, "negative length")
        var p = bytes
        let end = bytes + count
        var h: UInt64
        if count >= 32 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            let limit = end - 32
            while p <= limit {
                v1 = round(v1, p.loadUnaligned(as: UInt64.self).littleEndian)
                v2 = round(v2, p.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian)
                v3 = round(v3, p.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian)
                v4 = round(v4, p.loadUnaligned(fromByteOffset: 24, as: UInt64.self).littleEndian)
                p += 32
            }
            h = v1.rotated(1) &+ v2.rotated(7) &+ v3.rotated(12) &+ v4.rotated(18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ prime5
        }
        h &+= UInt64(count)
        while end - p >= 8 {
            h ^= round(0, p.loadUnaligned(as: UInt64.self).littleEndian)
            h = h.rotated(27) &* prime1 &+ prime4
            p += 8
        }
        if end - p >= 4 {
            h ^= UInt64(p.loadUnaligned(as: UInt32.self).littleEndian) &* prime1
            h = h.rotated(23) &* prime2 &+ prime3
            p += 4
        }
        while p < end {
            h ^= UInt64(p.load(as: UInt8.self)) &* prime5
            h = h.rotated(11) &* prime1
            p += 1
        }
        h ^= h >> 33
        h &*= prime2
        h ^= h >> 29
        h &*= prime3
        h ^= h >> 32
        return h
    }

    /// The hash of a buffer's bytes.
    public static func hash(_ buffer: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        guard let base = buffer.baseAddress else {
            return withUnsafeBytes(of: 0) { hash($0.baseAddress!, count: 0, seed: seed) }
        }
        return hash(base, count: buffer.count, seed: seed)
    }

    @inline(__always)
    private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        (accumulator &+ input &* prime2).rotated(31) &* prime1
    }

    @inline(__always)
    private static func merge(_ accumulator: UInt64, _ value: UInt64) -> UInt64 {
        (accumulator ^ round(0, value)) &* prime1 &+ prime4
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotated(_ bits: UInt64) -> UInt64 {
        (self << bits) | (self >> (64 - bits))
    }
}
