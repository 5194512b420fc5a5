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
