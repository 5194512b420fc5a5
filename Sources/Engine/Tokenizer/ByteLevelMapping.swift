/// GPT-2's `bytes_to_unicode`: every byte maps to a printable character so that BPE pieces
/// are text. Printable Latin-1 bytes (`!`...`~`, `¡`...`¬`, `®`...`ÿ`) map to themselves; the
/// other 68 bytes map, in order, to U+0100 onwards (space 0x20 becomes `Ġ` U+0120, newline
/// 0x0A becomes `Ċ` U+010A).
enum ByteLevelMapping {
    /// The character for each byte.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if isPrintable(UInt8(b)) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The byte for each mapped character, indexed by scalar value (0..<324); -1 where none.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for b in 0..<256 { table[Int(scalarForByte[b])] = Int16(b) }
        return table
    }()

    /// The byte a mapped character stands for, or nil for characters outside the mapping.
    static func byte(for scalar: UInt32) -> UInt8? {
        guard scalar < UInt32(byteForScalar.count) else { return nil }
        let b = byteForScalar[Int(scalar)]
        return b >= 0 ? UInt8(b) : nil
    }

    /// The UTF-8 of the character a byte maps to.
    static func utf8(for byte: UInt8) -> [UInt8] {
        Array(String(Character(Unicode.Scalar(scalarForByte[Int(byte)])!)).utf8)
    }

    private static func isPrintable(_ b: UInt8) -> Bool {
        (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
    }
}
