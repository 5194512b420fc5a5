#if canImport(Glibc)
import Glibc
#endif
import StrataRuntime
import TestSupport

/// The llama.cpp-made quantization fixtures in `Tests/RuntimeTests/Fixtures/Quantization`
/// (how they were made: its README.md and make_fixtures.py), read from the checkout.
enum QuantizationFixtures {
    /// The types with fixtures: every type `Quantization.quantize` writes beyond the 32-element
    /// ones the older tests cover.
    static let types: [DType] = [.q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl, .iq4_xs, .q8_K]

    static let folder = Fixtures.repositoryRoot + "/Tests/RuntimeTests/Fixtures/Quantization/"

    /// Columns of every fixture row (one K-quant super-block).
    static let columns = 256

    /// The 8 x 256 edge-case rows (zero, constant, outlier, tiny, huge, one-signed, mixed).
    static func edgeInput() throws -> [Float] { try floats(folder + "edge.input.f32") }

    /// llama.cpp's bytes for `edgeInput()` in `type`.
    static func edgeBytes(_ type: DType) throws -> [UInt8] { try bytes(folder + "\(type).edge.bin") }

    /// gguf-py's dequantization of `edgeBytes(type)` (ggml's own for Q8_K, which gguf-py lacks).
    static func edgeDequantized(_ type: DType) throws -> [Float] { try floats(folder + "\(type).edge.dequant.f32") }

    /// FNV-1a 64 of llama.cpp's bytes for `randomInput()`, by type name.
    static func randomDigests() throws -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in try References.readText(folder + "random.digests.txt").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1], radix: 16) { out[String(parts[0])] = value }
        }
        return out
    }

    /// The 256 x 256 formula rows (make_fixtures.py `random_rows`, rebuilt from the same integers):
    /// per element one SplitMix64 draw `z` (seed 0x5EED); `s` = the sum of its four 16-bit parts
    /// minus 131072, plus 40000 on every 5th row, times 32 for one element in 64 on every 7th,
    /// zero where `z % 4 != 0` on every 3rd; the value `s * 2^e`, `e` cycling over the rows.
    static func randomInput(rows: Int = 256) -> [Float] {
        let exponents = [-34, -28, -24, -22, -20, -16, -10, -4]
        var random = TestRandom(seed: 0x5EED)
        var out: [Float] = []
        out.reserveCapacity(rows * columns)
        for r in 0..<rows {
            let scale = Float(sign: .plus, exponent: exponents[r % 8], significand: 1)
            for _ in 0..<columns {
                let z = random.next()
                var s = Int64(z & 0xFFFF) + Int64((z >> 16) & 0xFFFF) + Int64((z >> 32) & 0xFFFF) + Int64(z >> 48) - 131_072
                if r % 5 == 0 { s += 40_000 }
                if r % 7 == 0 && (z >> 8) % 64 == 0 { s *= 32 }
                if r % 3 == 0 && z % 4 != 0 { s = 0 }
                out.append(Float(s) * scale)
            }
        }
        return out
    }

    /// FNV-1a 64.
    static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    // MARK: Files

    static func bytes(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw FixtureError.unreadable(path) }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    static func floats(_ path: String) throws -> [Float] {
        let raw = try bytes(path)
        return raw.withUnsafeBytes { b in (0..<(b.count / 4)).map { b.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }
}
