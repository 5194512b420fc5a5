internal import CQuantDot

/// The integer block-dot kernels of one instruction set: the innermost loop of matmuls against
/// Q8_0 and Q4_0 weights, in C (`CQuantDot`), chosen at run time from what the processor has.
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

    /// The panel function for weights of `dtype` (Q8_0 or Q4_0).
    func panel(for dtype: DType) -> strata_qmatmul_panel_fn {
        switch dtype {
        case .q8_0: return kernels.pointee.q8_0_panel
        case .q4_0: return kernels.pointee.q4_0_panel
        case .f32, .f16, .bf16: preconditionFailure("IntegerDot: \(dtype) is not block-quantized")
        }
    }

    /// The tile function for weights of `dtype` (Q8_0 or Q4_0).
    func tile(for dtype: DType) -> strata_qmatmul_tile_fn {
        switch dtype {
        case .q8_0: return kernels.pointee.q8_0
        case .q4_0: return kernels.pointee.q4_0
        case .f32, .f16, .bf16: preconditionFailure("IntegerDot: \(dtype) is not block-quantized")
        }
    }
}
