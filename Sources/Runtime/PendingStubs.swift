// TEMPORARY: signatures of the Runtime API being written on the `runtime` branch; removed at merge.
public enum Quantization {
    public static func dequantize(_ src: UnsafeRawPointer, dtype: DType, count: Int, into dst: UnsafeMutablePointer<Float>) { fatalError() }
    public static func quantize(_ src: UnsafePointer<Float>, count: Int, to dtype: DType, into dst: UnsafeMutableRawPointer) { fatalError() }
}
public struct Tensor: @unchecked Sendable {
    public let data: UnsafeRawPointer
    public let dtype: DType
    public let columns: Int
    public let rows: Int
    public init(data: UnsafeRawPointer, dtype: DType, columns: Int, rows: Int) { self.data = data; self.dtype = dtype; self.columns = columns; self.rows = rows }
    public var rowBytes: Int { fatalError() }
    public func row(_ i: Int) -> UnsafeRawPointer { fatalError() }
    public func dequantizeRow(_ i: Int, into dst: UnsafeMutablePointer<Float>) { fatalError() }
}
public final class ThreadPool: @unchecked Sendable {
    public init(threads: Int) {}
    public var threadCount: Int { 1 }
    public func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) { body(0..<count) }
}
public enum Kernels {
    public static func matmul(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, batch: Int, weight: Tensor, pool: ThreadPool) { fatalError() }
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float { fatalError() }
    public static func axpy(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, alpha: Float, count: Int) { fatalError() }
    public static func rmsNorm(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float) { fatalError() }
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) { fatalError() }
    public static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) { fatalError() }
    public static func attention(out: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, positions: Int, heads: Range<Int>, headCount: Int, kvHeads: Int, headDim: Int, kvStride: Int, scale: Float, scores: UnsafeMutablePointer<Float>) { fatalError() }
}
public enum RopeStyle: Sendable { case normal, neox }
public struct Rope: Sendable {
    public init(headDim: Int, ropeDims: Int, base: Float, style: RopeStyle) {}
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, position: Int) { fatalError() }
}
