import Memory
import Testing

/// Sizes as operators write them (`--memory-budget 2GiB`); units are binary.
@Suite struct ParseSizeTests {
    static let valid: [(String, Int)] = [
        ("2GiB", 2 << 30),
        ("512MiB", 512 << 20),
        ("1.5G", 3 << 29),
        ("1000000", 1_000_000),
        ("64KiB", 64 << 10),
        ("64K", 64 << 10),
        ("64KB", 64 << 10),
        ("64kb", 64 << 10),
        ("64k", 64 << 10),
        ("3M", 3 << 20),
        ("3MB", 3 << 20),
        ("1T", 1 << 40),
        ("1TiB", 1 << 40),
        ("2gib", 2 << 30),
        ("100B", 100),
        ("1", 1),
        (" 2 GiB ", 2 << 30),
        ("0.5K", 512),
        ("1.25M", 1_310_720),
        ("1.50G", 3 << 29),
        ("0.1K", 102),
        ("8388607.5T", 8_388_607 << 40 | 1 << 39),
    ]

    static let invalid = [
        "", " ", "GiB", "abc", "-1", "+1", "0", "0GiB", "0.0001K", "1.5", "1.", ".5G", "1e9",
        "2GiBs", "2 G i B", "1 2G", "2PiB", "0x10", "99999999999T", "1,000", "1.5.2G",
    ]

    @Test(arguments: valid)
    func parses(text: String, bytes: Int) {
        #expect(MemoryBudget.parseSize(text) == bytes)
    }

    @Test(arguments: invalid)
    func rejects(text: String) {
        #expect(MemoryBudget.parseSize(text) == nil)
    }
}
