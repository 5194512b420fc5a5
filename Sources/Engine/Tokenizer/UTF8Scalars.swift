/// UTF-8 helpers over raw bytes: sequence lengths, scalar decoding for the pre-tokenizer,
/// and where a stream may be cut without splitting a character.
enum UTF8Scalars {
    /// The length of the sequence a byte starts, by its high nibble (llama.cpp's
    /// `unicode_len_utf8`): 1 for ASCII and for stray continuation bytes.
    @inline(__always)
    static func sequenceLength(lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// Decodes the scalar at `offset`; a malformed sequence decodes as U+FFFD of length 1.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> (value: UInt32, length: Int) {
        let lead = bytes[offset]
        if lead < 0x80 { return (UInt32(lead), 1) }
        let length = sequenceLength(lead: lead)
        guard length > 1, offset + length <= bytes.count else { return (0xFFFD, 1) }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for k in 1..<length {
            let b = bytes[offset + k]
            guard b & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (value, length)
    }

    /// How many bytes at the end of `bytes` are a well-formed but unfinished sequence
    /// (0...3): the bytes a streaming decoder must hold until the next token completes them.
    /// Bytes that can never become valid are not held (they are repaired when emitted).
    static func incompleteSuffixLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        var back = 1
        while back <= min(3, n) {
            let b = bytes[n - back]
            if b & 0xC0 == 0x80 {
                back += 1
                continue
            }
            guard let needed = expectedLength(lead: b), needed > back else { return 0 }
            if back >= 2, !secondByteRange(lead: b).contains(bytes[n - back + 1]) { return 0 }
            return back
        }
        return 0
    }

    /// The length of a well-formed sequence starting with `lead`; nil for bytes that never
    /// start one (continuations, C0, C1, F5...FF).
    private static func expectedLength(lead: UInt8) -> Int? {
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return nil
        }
    }

    /// The allowed second bytes after `lead` (Unicode Table 3-7: no overlongs, no surrogates,
    /// nothing above U+10FFFF).
    private static func secondByteRange(lead: UInt8) -> ClosedRange<UInt8> {
        switch lead {
        case 0xE0: return 0xA0...0xBF
        case 0xED: return 0x80...0x9F
        case 0xF0: return 0x90...0xBF
        case 0xF4: return 0x80...0x8F
        default: return 0x80...0xBF
        }
    }
}
