#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// NVIDIA's runtime compiler, loaded at run time: turns CUDA C source into PTX (any device of
/// at least the given architecture, JIT-compiled by the driver) or CUBIN (exactly that
/// architecture). Works without a GPU, so kernel sources are compiled in CI.
public final class NVRTC: @unchecked Sendable {
    /// Sonames tried in order: CUDA 13, then 12.
    public static let sonames = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"]

    private typealias Program = OpaquePointer
    typealias StringArray = UnsafePointer<UnsafePointer<CChar>?>

    public let library: DynamicLibrary
    /// NVRTC's version, e.g. 12.9.
    public let version: (major: Int, minor: Int)

    private let createProgram: @convention(c) (UnsafeMutablePointer<Program?>, UnsafePointer<CChar>, UnsafePointer<CChar>?, Int32, StringArray?, StringArray?) -> Int32
    private let compileProgram: @convention(c) (Program?, Int32, StringArray?) -> Int32
    private let destroyProgram: @convention(c) (UnsafeMutablePointer<Program?>) -> Int32
    private let logSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32
    private let log: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32
    private let ptxSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32
    private let ptx: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32
    private let cubinSize: @convention(c) (Program?, UnsafeMutablePointer<Int>) -> Int32
    private let cubin: @convention(c) (Program?, UnsafeMutablePointer<CChar>) -> Int32
    private let errorString: @convention(c) (Int32) -> UnsafePointer<CChar>?

    /// Loads NVRTC from the first of `directories` that has it, else from the loader's path.
    public init(directories: [String] = []) throws(CUDAError) {
        let library = try DynamicLibrary.open("NVRTC", names: NVRTC.sonames, directories: directories)
        self.library = library
        createProgram = try library.function("nvrtcCreateProgram")
        compileProgram = try library.function("nvrtcCompileProgram")
        destroyProgram = try library.function("nvrtcDestroyProgram")
        logSize = try library.function("nvrtcGetProgramLogSize")
        log = try library.function("nvrtcGetProgramLog")
        ptxSize = try library.function("nvrtcGetPTXSize")
        ptx = try library.function("nvrtcGetPTX")
        cubinSize = try library.function("nvrtcGetCUBINSize")
        cubin = try library.function("nvrtcGetCUBIN")
        errorString = try library.function("nvrtcGetErrorString")
        let getVersion: @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32 =
            try library.function("nvrtcVersion")
        var major: Int32 = 0, minor: Int32 = 0
        let status = getVersion(&major, &minor)
        version = (Int(major), Int(minor))
        try check(status, "nvrtcVersion")
    }

    /// What `compile` produces.
    public enum Output: Sendable {
        /// PTX for a virtual architecture (`compute_XY`): portable to newer devices.
        case ptx
        /// Machine code for one real architecture (`sm_XY`).
        case cubin
    }

    /// Compiles `source` (one translation unit, no includes) for compute capability
    /// `architecture` (e.g. 90 for sm_90); `name` names it in errors.
    /// - Returns: the PTX text (NUL-terminated, as the driver loads it) or the CUBIN bytes.
    public func compile(_ source: String, name: String, architecture: Int, output: Output = .ptx,
                        options extra: [String] = []) throws(CUDAError) -> [UInt8] {
        let target = (output == .ptx ? "compute_" : "sm_") + String(architecture)
        var program: Program?
        try check(source.withCString { s in name.withCString { n in createProgram(&program, s, n, 0, nil, nil) } },
                  "nvrtcCreateProgram")
        defer { _ = destroyProgram(&program) }

        let options = ["--gpu-architecture=\(target)", "--std=c++17", "-default-device"] + extra
        let status = Self.withCStrings(options) { compileProgram(program, Int32(options.count), $0) }
        if status != 0 {
            let text = programLog(program)
            if status == 6 /* NVRTC_ERROR_COMPILATION */ {
                throw .compilation(program: name, architecture: target, log: text)
            }
            try check(status, "nvrtcCompileProgram")
        }

        var size = 0
        let (getSize, get) = output == .ptx ? (ptxSize, ptx) : (cubinSize, cubin)
        try check(getSize(program, &size), output == .ptx ? "nvrtcGetPTXSize" : "nvrtcGetCUBINSize")
        var bytes = [UInt8](repeating: 0, count: size)
        let copied = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { get(program, $0.baseAddress!) }
        }
        try check(copied, output == .ptx ? "nvrtcGetPTX" : "nvrtcGetCUBIN")
        return bytes
    }

    /// The compiler's messages for `program` (warnings as well as errors).
    private func programLog(_ program: Program?) -> String {
        var size = 0
        guard logSize(program, &size) == 0, size > 1 else { return "" }
        var text = [CChar](repeating: 0, count: size)
        guard log(program, &text) == 0 else { return "" }
        return String(nulTerminated: text)
    }

    private func check(_ status: Int32, _ call: String) throws(CUDAError) {
        guard status != 0 else { return }
        let name = errorString(status).map { String(cString: $0) } ?? "NVRTC error"
        throw .nvrtc(call: call, code: status, name: name)
    }

    /// Calls `body` with `strings` as a C array of C strings valid for the call.
    static func withCStrings<R>(_ strings: [String], _ body: (StringArray) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
