/// The identity of a full KV block for prefix caching: a hash of the parent block's hash and
/// the block's token ids (so equal hashes mean equal prefixes up to hash collisions, which
/// the cache rules out by comparing tokens).
enum PrefixHash {
    /// FNV-1a over the parent hash and the tokens, then a final avalanche (splitmix64).
    static func of(parent: UInt64, tokens: UnsafeBufferPointer<TokenID>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ parent
        for t in tokens {
            h = (h ^ UInt64(UInt32(bitPattern: t))) &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 30
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 27
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        // 0 marks "no hash" in block records.
        return h == 0 ? 1 : h
    }
}
