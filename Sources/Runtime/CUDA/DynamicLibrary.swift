#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A shared library opened with `dlopen`, so a binary built without CUDA can use it where it is
/// installed and run without it where it is not. Releasing it drops the handle, but the library
/// stays mapped (`RTLD_NODELETE`): CUDA's libraries are not made to be unloaded, and NVRTC,
/// which carries its own libstdc++, lost its 71 KiB exception pool at every unload (LeakSanitizer).
public final class DynamicLibrary: @unchecked Sendable {
    /// The name or path that opened it.
    public let path: String
    /// The `dlopen` handle; never used after `deinit`. Symbols resolved from it are valid
    /// while this object lives, so their owners keep it.
    private let handle: UnsafeMutableRawPointer

    private init(path: String, handle: UnsafeMutableRawPointer) {
        self.path = path
        self.handle = handle
    }

    /// Opens the first of `names` that loads, looking in each of `directories` first and then
    /// where the dynamic loader looks (`LD_LIBRARY_PATH`, the cache, the default paths).
    /// `library` names it in errors (`NVRTC`), with the loader's message for the first name tried.
    public static func open(_ library: String, names: [String], directories: [String] = []) throws(CUDAError) -> DynamicLibrary {
        var tried: [String] = []
        var reason: String?  // the loader's message for the first name: the one that matters most
        let candidates = directories.flatMap { directory in names.map { directory + "/" + $0 } } + names
        for candidate in candidates {
            tried.append(candidate)
            if let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) {
                return DynamicLibrary(path: candidate, handle: handle)
            }
            if reason == nil, let message = dlerror() { reason = String(cString: message) }
        }
        throw .libraryNotFound(library: library, tried: tried, reason: reason ?? "not found")
    }

    /// The function `name`, as the C function type `T`.
    public func function<T>(_ name: String, as type: T.Type = T.self) throws(CUDAError) -> T {
        precondition(MemoryLayout<T>.size == MemoryLayout<UnsafeRawPointer>.size, "\(T.self) is not a C function type")
        guard let pointer = dlsym(handle, name) else { throw .missingSymbol(library: path, symbol: name) }
        return unsafeBitCast(pointer, to: T.self)
    }

    deinit {
        dlclose(handle)
    }
}

extension String {
    /// The UTF-8 text of a C buffer up to its first NUL (or all of it), as C APIs fill them.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
