import Foundation
import TestSupport

/// Pages shaped like what the cold store sees, made deterministically.
enum ColdPageFixture: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Uniform random F32 in [-1, 1): random mantissas, clustered exponents.
    case randomFloats
    /// F16 values of activations-like magnitudes, as a KV page holds them.
    case f16Like
    /// A slowly varying F32 signal.
    case smoothFloats
    case allZero
    /// Random bytes: LZ4 cannot shrink them.
    case incompressible

    var description: String { rawValue }

    var elementSize: Int {
        switch self {
        case .randomFloats, .smoothFloats: return 4
        case .f16Like: return 2
        case .allZero, .incompressible: return 1
        }
    }

    /// `count` bytes of this kind.
    func bytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var random = TestRandom(seed: seed)
        switch self {
        case .randomFloats:
            return floats(count / 4) { _ in Float(random.unit() * 2 - 1) } + Array(repeating: 0x5A, count: count % 4)
        case .smoothFloats:
            return floats(count / 4) { i in Float(sin(Double(i) * 0.003)) * 3 } + Array(repeating: 0x5A, count: count % 4)
        case .f16Like:
            var out: [UInt8] = []
            out.reserveCapacity(count)
            for _ in 0..<(count / 2) {
                // Roughly normal (sum of uniforms), scaled like K/V activations.
                let x = (random.unit() + random.unit() + random.unit() - 1.5) * 2
                withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
            if count % 2 == 1 { out.append(0x5A) }
            return out
        case .allZero:
            return [UInt8](repeating: 0, count: count)
        case .incompressible:
            return deterministicBytes(count: count, seed: seed)
        }
    }

    private func floats(_ n: Int, _ value: (Int) -> Float) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(n * 4)
        for i in 0..<n { withUnsafeBytes(of: value(i).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }
}
