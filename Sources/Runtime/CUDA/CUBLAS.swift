/// cuBLAS, loaded at run time: the GEMMs of prefill and batched decode (`cublasGemmEx`, F16 or
/// BF16 in, F32 accumulate). Bound here so its absence is found at start-up with the rest.
public final class CUBLAS: @unchecked Sendable {
    /// Sonames tried in order: CUDA 13, then 12.
    public static let sonames = ["libcublas.so.13", "libcublas.so.12", "libcublas.so"]

    public let library: DynamicLibrary
    let create: @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    let destroy: @convention(c) (OpaquePointer?) -> Int32
    let setStream: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    let statusName: @convention(c) (Int32) -> UnsafePointer<CChar>?
    let gemmEx: @convention(c) (
        OpaquePointer?, Int32, Int32, Int32, Int32, Int32,
        UnsafeRawPointer, UnsafeRawPointer?, Int32, Int32, UnsafeRawPointer?, Int32, Int32,
        UnsafeRawPointer, UnsafeMutableRawPointer?, Int32, Int32, Int32, Int32
    ) -> Int32

    public init(directories: [String] = []) throws(CUDAError) {
        let library = try DynamicLibrary.open("cuBLAS", names: CUBLAS.sonames, directories: directories)
        self.library = library
        create = try library.function("cublasCreate_v2")
        destroy = try library.function("cublasDestroy_v2")
        setStream = try library.function("cublasSetStream_v2")
        statusName = try library.function("cublasGetStatusName")
        gemmEx = try library.function("cublasGemmEx")
    }

    /// Throws the named error for a failed call.
    func check(_ status: Int32, _ call: String) throws(CUDAError) {
        guard status != 0 else { return }
        throw .cublas(call: call, status: status, name: statusName(status).map { String(cString: $0) } ?? "cuBLAS error")
    }
}

/// A cuBLAS handle bound to one stream, destroyed with this object.
public final class CUBLASHandle: @unchecked Sendable {
    /// cuBLAS's element types (`cudaDataType`).
    public enum Element: Int32, Sendable {
        case f32 = 0
        case f16 = 2
        case bf16 = 14
    }

    public let cublas: CUBLAS
    public let stream: CUDAStream
    private let handle: OpaquePointer?

    public init(cublas: CUBLAS, stream: CUDAStream) throws(CUDAError) {
        try stream.context.makeCurrent()
        var handle: OpaquePointer?
        try cublas.check(cublas.create(&handle), "cublasCreate")
        self.cublas = cublas
        self.stream = stream
        self.handle = handle
        try cublas.check(cublas.setStream(handle, stream.handle), "cublasSetStream")
    }

    /// Row-major `out[t][r] = dot(weight row r, x row t)` for `tokens` rows of `columns`
    /// against `rows` weight rows (`weight` and `x` of one element type, F32 accumulate and
    /// output; `out` rows are `outStride` floats apart). In cuBLAS's column-major terms:
    /// C (rows x tokens) = W^T' x X with W as a columns x rows matrix.
    public func gemm(out: UInt64, outStride: Int, weight: UInt64, x: UInt64, element: Element, rows: Int, tokens: Int,
                     columns: Int) throws(CUDAError) {
        var alpha: Float = 1, beta: Float = 0
        let status = cublas.gemmEx(handle, 1 /* T */, 0 /* N */, Int32(rows), Int32(tokens), Int32(columns), &alpha,
                                   UnsafeRawPointer(bitPattern: UInt(weight)), element.rawValue, Int32(columns),
                                   UnsafeRawPointer(bitPattern: UInt(x)), element.rawValue, Int32(columns), &beta,
                                   UnsafeMutableRawPointer(bitPattern: UInt(out)), Element.f32.rawValue, Int32(outStride),
                                   68 /* CUBLAS_COMPUTE_32F */, -1 /* CUBLAS_GEMM_DEFAULT */)
        try cublas.check(status, "cublasGemmEx")
    }

    deinit {
        _ = cublas.destroy(handle)
    }
}
