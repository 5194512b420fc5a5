import Memory
import Testing

/// Our xxHash64 against published XXH64 vectors (seed 0 unless given), covering the
/// short path, the 4- and 8-byte tails and the 32-byte stripe loop.
@Suite struct XXHash64Tests {
    static let vectors: [(String, UInt64)] = [
        ("", 0xEF46_DB37_51D8_E999),
        ("a", 0xD24E_C4F1_A98C_6E5B),
        ("abc", 0x44BC_2CF5_AD77_0999),
        ("Nobody inspects the spammish repetition", 0xFBCE_A83C_8A37_8BF1),
        ("The quick brown fox jumps over the lazy dog", 0x0B24_2D36_1FDA_71BC),
        ("The quick brown fox jumps over the lazy dog.", 0x44AD_3370_5751_AD73),
        ("0123456789abcdef0123456789abcdef", 0x642A_9495_8E71_E6C5),
    ]

    @Test(arguments: vectors)
    func matchesReferenceVectors(text: String, expected: UInt64) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { XXHash64.hash($0) } == expected)
    }

    @Test func hundredCountingBytes() {
        let bytes = (0..<100).map { UInt8($0) }
        #expect(bytes.withUnsafeBytes { XXHash64.hash($0) } == 0x6AC1_E580_3216_6597)
    }

    @Test func seedChangesTheHash() {
        let bytes = Array("abc".utf8)
        #expect(bytes.withUnsafeBytes { XXHash64.hash($0, seed: 12345) } == 0x0170_0E64_F6F2_3509)
    }

    @Test func unalignedInputHashesTheSame() {
        let text = Array("Nobody inspects the spammish repetition".utf8)
        var shifted = [UInt8](repeating: 0, count: text.count + 3)
        shifted.replaceSubrange(3..., with: text)
        let hash = shifted.withUnsafeBytes { XXHash64.hash($0.baseAddress! + 3, count: text.count) }
        #expect(hash == 0xFBCE_A83C_8A37_8BF1)
    }
}
