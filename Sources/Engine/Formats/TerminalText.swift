extension String {
    /// The string with what a terminal would act on written out as `\u{…}` escapes (C0 and C1
    /// controls, DEL, and the bidirectional overrides that reorder what is shown), so text from a
    /// model file cannot move the cursor, clear the screen or disguise itself when printed.
    public var escapedForTerminal: String {
        guard unicodeScalars.contains(where: Self.isUnsafe) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            if Self.isUnsafe(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isUnsafe(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }
}
