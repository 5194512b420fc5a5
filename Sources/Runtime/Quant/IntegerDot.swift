internal import CQuantDot

/// The integer block-dot kernels of one instruction set: the innermost loop of matmuls against
/// block-quantized weights, in C (`CQuantDot`), chosen at run time from what the processor has.
public struct IntegerDot: @unchecked Sendable, CustomStringConvertible {
    /// Instruction sets, best first.
    public enum InstructionSet: Int32, Sendable, CaseIterable {
        /// `vpdpbusd` on 256-bit registers, 32 of them (AVX-512 VNNI + VL).
        case avx512vnni = 0
        /// `vpmaddubsw` + `vpmaddwd` (AVX2).
        case avx2 = 1
        /// Portable C.
        case generic = 2
    }

    public let instructionSet: InstructionSet
    /// A `strata_qmatmul_kernels` with static storage (immutable: safe to share).
    let table: UnsafeRawPointer

    /// The kernels for `instructionSet`, or nil when this processor lacks it.
    public init?(_ instructionSet: InstructionSet) {
        guard let table = strata_qmatmul_kernels_for(instructionSet.rawValue) else { return nil }
        self.instructionSet = instructionSet
        self.table = UnsafeRawPointer(table)
    }

    /// The best kernels this processor runs.
    public static let best: IntegerDot = InstructionSet.allCases.lazy.compactMap(IntegerDot.init).first!

    /// Every instruction set this processor runs, best first.
    public static var available: [IntegerDot] { InstructionSet.allCases.compactMap(IntegerDot.init) }

    public var description: String { String(cString: kernels.pointee.name) }

    var kernels: UnsafePointer<strata_qmatmul_kernels> { table.assumingMemoryBound(to: strata_qmatmul_kernels.self) }

    /// The kernel table index of `dtype` (a block-quantized weight type).
    static func index(of dtype: DType) -> Int {
        switch dtype {
        case .q4_0: return Int(STRATA_Q4_0)
        case .q4_1: return Int(STRATA_Q4_1)
        case .q5_0: return Int(STRATA_Q5_0)
        case .q5_1: return Int(STRATA_Q5_1)
        case .q8_0: return Int(STRATA_Q8_0)
        case .iq4_nl: return Int(STRATA_IQ4_NL)
        case .q2_K: return Int(STRATA_Q2_K)
        case .q3_K: return Int(STRATA_Q3_K)
        case .q4_K: return Int(STRATA_Q4_K)
        case .q5_K: return Int(STRATA_Q5_K)
        case .q6_K: return Int(STRATA_Q6_K)
        case .iq4_xs: return Int(STRATA_IQ4_XS)
        case .f32, .f16, .bf16, .q8_K: preconditionFailure("IntegerDot: \(dtype) has no integer matmul kernels")
        }
    }

    /// The kernels for weights of `dtype`.
    func kernels(for dtype: DType) -> strata_qtype_kernels {
        withUnsafeBytes(of: kernels.pointee.types) { types in
            types.load(fromByteOffset: IntegerDot.index(of: dtype) &* MemoryLayout<strata_qtype_kernels>.stride,
                       as: strata_qtype_kernels.self)
        }
    }

    /// The panel function for weights of `dtype`.
    func panel(for dtype: DType) -> strata_qmatmul_panel_fn { kernels(for: dtype).panel }

    /// The tile function for weights of `dtype`.
    func tile(for dtype: DType) -> strata_qmatmul_tile_fn { kernels(for: dtype).tile }
}
