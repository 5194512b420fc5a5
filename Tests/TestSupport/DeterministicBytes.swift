/// Deterministic pseudo-random bytes (SplitMix64, as `TestRandom`), so failures reproduce.
public func deterministicBytes(count: Int, seed: UInt64) -> [UInt8] {
    var random = TestRandom(seed: seed)
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        withUnsafeBytes(of: random.next().littleEndian) { out.append(contentsOf: $0.prefix(count - out.count)) }
    }
    return out
}
