extension MemoryBudget {
    /// Parses a byte size as an operator writes it: `"2GiB"`, `"512MiB"`, `"1.5G"`,
    /// `"64KiB"`, `"1000000"`. Units K, M, G and T are binary (1024-based) with or without
    /// `"iB"` or `"B"`, in any case, optionally after a space; a bare number or `"B"` is
    /// bytes. A fraction is allowed with a unit (rounded down to whole bytes).
    ///
    /// - Returns: the bytes, or nil when the text is malformed, not a whole number of bytes,
    ///   overflows, or is <= 0.
    public static func parseSize(_ text: String) -> Int? {
        var scalars = Substring(text).utf8.drop(while: isSpace)
        while let last = scalars.last, isSpace(last) { scalars = scalars.dropLast() }

        let digit = { (c: UInt8) in c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        let whole = scalars.prefix(while: digit)
        guard !whole.isEmpty else { return nil }
        var rest = scalars.dropFirst(whole.count)
        var fraction = rest.prefix(0)
        if rest.first == UInt8(ascii: ".") {
            fraction = rest.dropFirst().prefix(while: digit)
            guard !fraction.isEmpty else { return nil }
            rest = rest.dropFirst(1 + fraction.count)
        }
        rest = rest.drop(while: isSpace)
        guard let shift = unitShift(String(decoding: rest, as: UTF8.self)) else { return nil }
        // Trailing zeros of a fraction change nothing; they must not overflow the mantissa.
        while fraction.last == UInt8(ascii: "0") { fraction = fraction.dropLast() }
        guard whole.count + fraction.count <= 18 else { return nil }

        var mantissa = 0
        for c in whole { mantissa = mantissa * 10 + Int(c - UInt8(ascii: "0")) }
        var scale = 1
        for c in fraction {
            mantissa = mantissa * 10 + Int(c - UInt8(ascii: "0"))
            scale *= 10
        }
        if shift == 0 && scale != 1 { return nil }  // "1.5" bytes
        // value = mantissa * 2^shift / scale, without overflowing on the way.
        let multiplier = 1 << shift
        let (product, overflow) = mantissa.multipliedReportingOverflow(by: multiplier)
        let bytes: Int
        if !overflow {
            bytes = product / scale
        } else {
            // Divide first: exact for the whole part, then add the fraction's share.
            let (quotient, remainder) = mantissa.quotientAndRemainder(dividingBy: scale)
            let (high, overflowHigh) = quotient.multipliedReportingOverflow(by: multiplier)
            guard !overflowHigh else { return nil }
            let share = Int(Double(remainder) * Double(multiplier) / Double(scale))
            let (sum, overflowSum) = high.addingReportingOverflow(share)
            guard !overflowSum else { return nil }
            bytes = sum
        }
        return bytes > 0 ? bytes : nil
    }

    private static func isSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t")
    }

    /// log2 of a unit's multiplier; nil for an unknown unit.
    private static func unitShift(_ unit: String) -> Int? {
        switch unit.lowercased() {
        case "", "b": return 0
        case "k", "kb", "kib": return 10
        case "m", "mb", "mib": return 20
        case "g", "gb", "gib": return 30
        case "t", "tb", "tib": return 40
        default: return nil
        }
    }
}
