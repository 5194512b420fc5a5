// A fake CUDA driver and cuBLAS over the host-compiled kernels: the entry points Strata's
// CUDA backend binds, with device memory as tagged host memory (device_pointers.h), modules
// that accept any image, and launches that run the kernel named by cuModuleGetFunction on the
// host. Freshly allocated device memory is filled with 0xff bytes (NaN as floats and halves),
// so a read of something never written shows in the results. Counters for the tests:
// fake_cuda_counters. Device size: STRATA_FAKE_CUDA_MIB (default 4096).
#include <map>
#include <mutex>
#include <tuple>
#include <type_traits>
#include <utility>

namespace fake {
struct Counters {
    uint64_t allocatedBytes, hostToDeviceBytes, deviceToHostBytes, launches, gemms, rejectedArguments;
};
static Counters counters;
// Whether this thread has made a context current: the real driver's calls fail without one
// (CUDA_ERROR_INVALID_CONTEXT), so a backend used from a thread that never made its context
// current fails here as it would on a device.
static thread_local bool contextCurrent = false;
#define NEEDS_CONTEXT if (!fake::contextCurrent) return 201
static std::map<uint64_t, size_t> allocations;
// Guards `allocations` and `counters.allocatedBytes`: like the real driver's, these entry points
// may be called from any thread (device buffers are freed wherever their owner is released).
static std::mutex allocationLock;

static uint64_t totalBytes() {
    const char* mib = getenv("STRATA_FAKE_CUDA_MIB");
    return (uint64_t)(mib ? atoll(mib) : 4096) << 20;
}

static bool isDevice(const void* p) { return ((uint64_t)p & deviceTag) != 0; }

template <class T>
static T argument(void* slot, const char* kernel, size_t index, bool& ok) {
    T value;
    memcpy(&value, slot, sizeof(T));
    if constexpr (std::is_pointer_v<T>) {
        if (value != nullptr && !isDevice(value)) {
            fprintf(stderr, "fake cuda: %s argument %zu is a host pointer (%p)\n", kernel, index, (const void*)value);
            ok = false;
        }
        value = untagged(value);
    }
    return value;
}

template <class... A, size_t... I>
static int call(void (*kernel)(A...), const char* name, dim3 grid, dim3 block, void** params, std::index_sequence<I...>) {
    bool ok = true;
    std::tuple<A...> args{argument<A>(params[I], name, I, ok)...};
    if (!ok) {
        counters.rejectedArguments++;
        return 1;  // CUDA_ERROR_INVALID_VALUE
    }
    std::apply([&](A... a) { launch(grid, block, kernel, a...); }, args);
    counters.launches++;
    return 0;
}

template <class... A>
static int run(void (*kernel)(A...), const char* name, dim3 grid, dim3 block, void** params) {
    return call(kernel, name, grid, block, params, std::index_sequence_for<A...>{});
}

struct Function {
    const char* name;
    int (*run)(dim3, dim3, void**);
};

#define FUNCTION(k) Function{#k, [](dim3 g, dim3 b, void** p) { return run(k, #k, g, b, p); }}
static const Function functions[] = {
    FUNCTION(embed_f32), FUNCTION(embed_f16), FUNCTION(embed_q8_0), FUNCTION(rms_norm), FUNCTION(add),
    FUNCTION(add_bias), FUNCTION(scale), FUNCTION(softcap), FUNCTION(copy_floats), FUNCTION(gated_silu),
    FUNCTION(gated_gelu), FUNCTION(rope), FUNCTION(softmax_rows), FUNCTION(gemv_f32), FUNCTION(gemv_f16),
    FUNCTION(gemv_bf16), FUNCTION(gemv_q8_0), FUNCTION(gemv_q4_0), FUNCTION(gemv_q4_1), FUNCTION(gemv_q4_K),
    FUNCTION(gemv_q6_K), FUNCTION(to_half), FUNCTION(dequantize_f16_f16), FUNCTION(dequantize_f16_bf16),
    FUNCTION(dequantize_f16_q8_0), FUNCTION(dequantize_f16_q4_0), FUNCTION(dequantize_f16_q4_1),
    FUNCTION(dequantize_f16_q4_K), FUNCTION(dequantize_f16_q6_K), FUNCTION(store_kv_f32), FUNCTION(store_kv_f16),
    FUNCTION(store_kv_q8_0), FUNCTION(paged_attention_f32), FUNCTION(paged_attention_f16),
    FUNCTION(paged_attention_q8_0),
};
}  // namespace fake

extern "C" {
void fake_cuda_counters(uint64_t* out) { memcpy(out, &fake::counters, sizeof fake::counters); }

int cuInit(unsigned) { return 0; }
int cuDriverGetVersion(int* version) { *version = 12040; return 0; }
int cuGetErrorName(int code, const char** name) {
    switch (code) {
    case 0: *name = "CUDA_SUCCESS"; return 0;
    case 1: *name = "CUDA_ERROR_INVALID_VALUE"; return 0;
    case 2: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
    case 201: *name = "CUDA_ERROR_INVALID_CONTEXT"; return 0;
    case 500: *name = "CUDA_ERROR_NOT_FOUND"; return 0;
    default: *name = nullptr; return 1;
    }
}
int cuDeviceGetCount(int* count) { *count = 1; return 0; }
int cuDeviceGet(int* device, int ordinal) { *device = ordinal; return ordinal == 0 ? 0 : 1; }
int cuDeviceGetName(char* name, int length, int) { snprintf(name, length, "Strata host emulation"); return 0; }
int cuDeviceTotalMem_v2(size_t* bytes, int) { *bytes = fake::totalBytes(); return 0; }
int cuDeviceGetAttribute(int* value, int attribute, int) { *value = attribute == 75 ? 8 : 0; return 0; }
int cuMemGetInfo_v2(size_t* free, size_t* total) {
    NEEDS_CONTEXT;
    std::lock_guard<std::mutex> lock(fake::allocationLock);
    *total = fake::totalBytes();
    *free = *total - fake::counters.allocatedBytes;
    return 0;
}
int cuDevicePrimaryCtxRetain(void** context, int) { *context = (void*)&fake::counters; return 0; }
int cuDevicePrimaryCtxRelease_v2(int) { return 0; }
int cuCtxSetCurrent(void* context) { fake::contextCurrent = context != nullptr; return 0; }
int cuCtxSynchronize() { return 0; }

int cuMemAlloc_v2(uint64_t* address, size_t bytes) {
    NEEDS_CONTEXT;
    std::lock_guard<std::mutex> lock(fake::allocationLock);
    if (fake::counters.allocatedBytes + bytes > fake::totalBytes()) return 2;
    void* p = aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!p) return 2;
    memset(p, 0xff, bytes);
    *address = (uint64_t)p | deviceTag;
    fake::allocations[*address] = bytes;
    fake::counters.allocatedBytes += bytes;
    return 0;
}
int cuMemFree_v2(uint64_t address) {
    std::lock_guard<std::mutex> lock(fake::allocationLock);
    auto found = fake::allocations.find(address);
    if (found == fake::allocations.end()) return 1;
    fake::counters.allocatedBytes -= found->second;
    fake::allocations.erase(found);
    free((void*)(address & ~deviceTag));
    return 0;
}
int cuMemcpyHtoDAsync_v2(uint64_t destination, const void* source, size_t bytes, void*) {
    NEEDS_CONTEXT;
    if (!fake::isDevice((void*)destination) || fake::isDevice(source)) return 1;
    memcpy((void*)(destination & ~deviceTag), source, bytes);
    fake::counters.hostToDeviceBytes += bytes;
    return 0;
}
int cuMemcpyDtoHAsync_v2(void* destination, uint64_t source, size_t bytes, void*) {
    NEEDS_CONTEXT;
    if (!fake::isDevice((void*)source) || fake::isDevice(destination)) return 1;
    memcpy(destination, (const void*)(source & ~deviceTag), bytes);
    fake::counters.deviceToHostBytes += bytes;
    return 0;
}
int cuMemsetD8Async(uint64_t address, unsigned char value, size_t bytes, void*) {
    NEEDS_CONTEXT;
    if (!fake::isDevice((void*)address)) return 1;
    memset((void*)(address & ~deviceTag), value, bytes);
    return 0;
}
int cuMemHostAlloc(void** pointer, size_t bytes, unsigned) {
    NEEDS_CONTEXT;
    *pointer = malloc(bytes ? bytes : 1); return *pointer ? 0 : 2; }
int cuMemFreeHost(void* pointer) { free(pointer); return 0; }
int cuStreamCreate(void** stream, unsigned) {
    NEEDS_CONTEXT;
    *stream = (void*)&fake::counters; return 0; }
int cuStreamDestroy_v2(void*) { return 0; }
int cuStreamSynchronize(void*) { return 0; }
int cuModuleLoadData(void** module, const void*) {
    NEEDS_CONTEXT;
    *module = (void*)fake::functions; return 0; }
int cuModuleUnload(void*) { return 0; }
int cuModuleGetFunction(const fake::Function** function, void*, const char* name) {
    for (const fake::Function& f : fake::functions) {
        if (strcmp(f.name, name) == 0) { *function = &f; return 0; }
    }
    return 500;
}
int cuLaunchKernel(const fake::Function* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                   unsigned bz, unsigned, void*, void** params, void**) {
    NEEDS_CONTEXT;
    if (bx * by * bz > 1024 || bx % 32 != 0) return 1;
    return function->run(dim3(gx, gy, gz), dim3(bx, by, bz), params);
}

// cuBLAS: column-major C = alpha op(A) op(B) + beta C with F32, F16 or BF16 inputs, F32 out.
int cublasCreate_v2(void** handle) { *handle = (void*)&fake::counters; return 0; }
int cublasDestroy_v2(void*) { return 0; }
int cublasSetStream_v2(void*, void*) { return 0; }
const char* cublasGetStatusName(int status) { return status == 0 ? "CUBLAS_STATUS_SUCCESS" : "CUBLAS_STATUS_INVALID_VALUE"; }

static float element(const void* matrix, int type, long long i) {
    switch (type) {
    case 0: return ((const float*)matrix)[i];
    case 2: return half_to_float(((const unsigned short*)matrix)[i]);
    case 14: return bits_to_float((unsigned)((const unsigned short*)matrix)[i] << 16);
    default: return NAN;
    }
}

int cublasGemmEx(void*, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int aType, int lda,
                 const void* B, int bType, int ldb, const void* beta, void* C, int cType, int ldc, int, int) {
    if (!fake::contextCurrent) return 3;  // CUBLAS_STATUS_NOT_INITIALIZED
    if (!fake::isDevice(A) || !fake::isDevice(B) || !fake::isDevice(C) || cType != 0 || aType != bType) return 7;
    A = untagged(A);
    B = untagged(B);
    float* c = (float*)untagged(C);
    const float a = *(const float*)alpha, b = *(const float*)beta;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            float sum = 0;
            for (int l = 0; l < k; l++) {
                const float x = element(A, aType, transa ? l + (long long)i * lda : i + (long long)l * lda);
                const float y = element(B, bType, transb ? j + (long long)l * ldb : l + (long long)j * ldb);
                sum += x * y;
            }
            float& out = c[i + (long long)j * ldc];
            out = a * sum + (b != 0 ? b * out : 0);
        }
    fake::counters.gemms++;
    return 0;
}
}

// NVRTC: "compiles" by keeping a fixed text (the fake driver ignores module images); the real
// sources are compiled by the real NVRTC in the tests that have it.
extern "C" {
static const char fakeImage[] = "// Strata host emulation: kernels run on the host\n";
int nvrtcVersion(int* major, int* minor) { *major = 12; *minor = 4; return 0; }
const char* nvrtcGetErrorString(int) { return "NVRTC_ERROR"; }
int nvrtcCreateProgram(void** program, const char*, const char*, int, const char* const*, const char* const*) {
    *program = (void*)fakeImage;
    return 0;
}
int nvrtcCompileProgram(void*, int, const char* const*) { return 0; }
int nvrtcDestroyProgram(void** program) { *program = nullptr; return 0; }
int nvrtcGetProgramLogSize(void*, size_t* size) { *size = 1; return 0; }
int nvrtcGetProgramLog(void*, char* log) { log[0] = 0; return 0; }
int nvrtcGetPTXSize(void*, size_t* size) { *size = sizeof fakeImage; return 0; }
int nvrtcGetPTX(void*, char* ptx) { memcpy(ptx, fakeImage, sizeof fakeImage); return 0; }
int nvrtcGetCUBINSize(void*, size_t* size) { *size = sizeof fakeImage; return 0; }
int nvrtcGetCUBIN(void*, char* cubin) { memcpy(cubin, fakeImage, sizeof fakeImage); return 0; }
}
