import StrataRuntime

/// What the matmuls reading one activation need of it: floats (for F32/F16/BF16 weights) and/or
/// 8-bit quantized rows in each `ActivationFormat` its block-quantized readers take (32-element
/// blocks for Q4_0...Q8_0 and IQ4_NL, 256-element blocks for the K-quants and IQ4_XS). Decided
/// once per layer at start-up, so a step produces exactly the forms its readers use.
public struct ActivationNeeds: Sendable {
    public let floats: Bool
    public let q8: Bool
    public let q8K: Bool

    /// The forms `readers` read.
    public init(readers: Tensor...) {
        self.init(readers: readers)
    }

    /// The forms `readers` read.
    public init(readers: [Tensor]) {
        floats = readers.contains { $0.dtype.activationFormat == .floats }
        q8 = readers.contains { $0.dtype.activationFormat == .q8 }
        q8K = readers.contains { $0.dtype.activationFormat == .q8K }
    }

    /// How many forms are needed: with one, it can be produced fused with the op that makes it.
    public var forms: Int { (floats ? 1 : 0) + (q8 ? 1 : 0) + (q8K ? 1 : 0) }
}

/// The quantized forms of one matmul input: views of the scratch, empty when unused.
public struct QuantizedActivation {
    public let q8: Q8Rows
    public let q8K: Q8Rows

    /// The form weights of `dtype` read.
    @inline(__always)
    public func rows(for dtype: DType) -> Q8Rows { dtype.activationFormat == .q8K ? q8K : q8 }
}
