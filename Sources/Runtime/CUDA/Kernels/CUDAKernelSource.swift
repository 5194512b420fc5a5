/// The CUDA C source of Strata's device kernels: one translation unit with no includes,
/// compiled at start-up by NVRTC for the device's architecture, and compiled as host C++ by
/// the tests (`Tests/RuntimeTests/CUDA/HostEmulation`), whose header runs each block's
/// threads as fibers, so the same indices and reductions are checked without a GPU.
///
/// Conventions: every entry point is `extern "C"`, most of them one instance of a template
/// over a row format (`F32`, `F16`, `Q8_0`, `Q4_0`, `Q4_K`, `Q6_K`: how element `e` of a row is
/// decoded); block sizes are multiples of 32 and at most 1024; `WARP` lanes reduce with `__shfl_xor_sync`; F16 values travel as their bits
/// (`unsigned short`) and are decoded by `half_to_float`, so no CUDA header is needed.
public enum CUDAKernelSource {
    /// Kernel entry points, for loading the module and checking that each compiled.
    public static let kernels = [
        "embed_f32", "embed_f16", "embed_q8_0", "rms_norm", "add", "add_bias", "scale", "softcap", "copy_floats",
        "gated_silu", "gated_gelu", "rope", "softmax_rows", "gemv_f32", "gemv_f16", "gemv_bf16", "gemv_q8_0", "gemv_q4_0",
        "gemv_q4_1", "gemv_q4_K", "gemv_q6_K", "to_half", "dequantize_f16_f16", "dequantize_f16_bf16", "dequantize_f16_q8_0",
        "dequantize_f16_q4_0", "dequantize_f16_q4_1", "dequantize_f16_q4_K", "dequantize_f16_q6_K",
        "store_kv_f32", "store_kv_f16", "store_kv_q8_0", "paged_attention_f32", "paged_attention_f16", "paged_attention_q8_0",
    ]

    public static let source = #"""
#define WARP 32
// A device address read from device memory (a page table entry); the host emulation in the
// tests untags the addresses its fake driver hands out here.
#ifndef DEVICE_POINTER
#define DEVICE_POINTER(p) (p)
#endif
#define NEGATIVE_INFINITY __int_as_float(0xff800000)
typedef unsigned short half_bits;

__device__ __forceinline__ float bits_to_float(unsigned int bits) { return __int_as_float((int)bits); }

// IEEE half to float, subnormals included.
__device__ __forceinline__ float half_to_float(half_bits h) {
    unsigned int sign = (unsigned int)(h >> 15) << 31, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 0) {
        if (mantissa == 0) return bits_to_float(sign);
        exponent = 127 - 15 + 1;
        while (!(mantissa & 0x400)) { mantissa <<= 1; exponent--; }
        return bits_to_float(sign | (exponent << 23) | ((mantissa & 0x3ff) << 13));
    }
    if (exponent == 31) return bits_to_float(sign | 0x7f800000u | (mantissa << 13));
    return bits_to_float(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int m = WARP / 2; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int m = WARP / 2; m > 0; m >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, m));
    return v;
}

// The sum of v over the block, in every thread.
__device__ float block_sum(float v) {
    __shared__ float partial[WARP];
    const int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
    v = warp_sum(v);
    __syncthreads();  // an earlier call may still be reading partial
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    return warp_sum(lane < warps ? partial[lane] : 0.0f);
}

// The maximum of v over the block, in every thread.
__device__ float block_max(float v) {
    __shared__ float partial[WARP];
    const int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP, warps = blockDim.x / WARP;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    return warp_max(lane < warps ? partial[lane] : NEGATIVE_INFINITY);
}

__device__ __forceinline__ half_bits float_to_half(float f) {  // round to nearest even
    unsigned int x = (unsigned int)__float_as_int(f);
    const unsigned int sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) return (half_bits)(sign | 0x7c00u | (x > 0x7f800000u ? 0x200u : 0u));
    if (x >= 0x477ff000u) return (half_bits)(sign | 0x7c00u);  // rounds past the largest half
    if (x < 0x38800000u) {  // subnormal or zero
        if (x < 0x33000000u) return (half_bits)sign;
        // value / 2^-24 = mantissa * 2^(exponent - 126): shift right by 126 - exponent (14...24).
        const unsigned int shift = 126u - (x >> 23), mantissa = (x & 0x7fffffu) | 0x800000u;
        unsigned int h = mantissa >> shift;
        const unsigned int rest = mantissa & ((1u << shift) - 1u), half = 1u << (shift - 1u);
        if (rest > half || (rest == half && (h & 1u))) h++;
        return (half_bits)(sign | h);
    }
    unsigned int h = ((x - 0x38000000u) >> 13);
    const unsigned int rest = x & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (half_bits)(sign | h);
}

// Row formats: value(row, e) decodes element e of a row; store(row, e, v) writes it (float
// formats only). Blocks of block_values elements take block_bytes bytes.
struct F32 {
    static const int block_values = 1, block_bytes = 4;
    __device__ static float value(const unsigned char* row, int e) { return ((const float*)row)[e]; }
    __device__ static void store(unsigned char* row, int e, float v) { ((float*)row)[e] = v; }
};

struct F16 {
    static const int block_values = 1, block_bytes = 2;
    __device__ static float value(const unsigned char* row, int e) { return half_to_float(((const half_bits*)row)[e]); }
    __device__ static void store(unsigned char* row, int e, float v) { ((half_bits*)row)[e] = float_to_half(v); }
};

struct BF16 {
    static const int block_values = 1, block_bytes = 2;
    __device__ static float value(const unsigned char* row, int e) {
        return bits_to_float((unsigned int)((const half_bits*)row)[e] << 16);
    }
};

__device__ __forceinline__ float block_scale(const unsigned char* at) { return half_to_float((half_bits)(at[0] | (at[1] << 8))); }

// Q8_0: blocks of 32 values, each an F16 scale then 32 signed bytes.
struct Q8_0 {
    static const int block_values = 32, block_bytes = 34;
    __device__ static float value(const unsigned char* row, int e) {
        const unsigned char* block = row + (e / 32) * 34;
        return block_scale(block) * (float)(signed char)block[2 + e % 32];
    }
};

// Value j of a block of 32 in 16 bytes of nibbles: the low nibble of byte j, or for j >= 16
// the high nibble of byte j - 16.
__device__ __forceinline__ int nibble(const unsigned char* quants, int j) {
    const unsigned char q = quants[j % 16];
    return j < 16 ? (q & 0x0f) : (q >> 4);
}

// Q4_0: blocks of 32 values, an F16 scale then 16 bytes of nibbles, each minus 8.
struct Q4_0 {
    static const int block_values = 32, block_bytes = 18;
    __device__ static float value(const unsigned char* row, int e) {
        const unsigned char* block = row + (e / 32) * 18;
        return block_scale(block) * (float)(nibble(block + 2, e % 32) - 8);
    }
};

// Q4_1: blocks of 32 values, an F16 scale and an F16 minimum then 16 bytes of nibbles: d * q + m.
struct Q4_1 {
    static const int block_values = 32, block_bytes = 20;
    __device__ static float value(const unsigned char* row, int e) {
        const unsigned char* block = row + (e / 32) * 20;
        return block_scale(block) * (float)nibble(block + 4, e % 32) + block_scale(block + 2);
    }
};

// Q4_K: super-blocks of 256 values in 144 bytes: F16 d, F16 dmin, 12 bytes of 6-bit scales and
// mins for 8 sub-blocks of 32, then 128 bytes of nibbles (byte 32c + l holds value 64c + l in
// its low nibble and 64c + 32 + l in its high one).
struct Q4_K {
    static const int block_values = 256, block_bytes = 144;
    __device__ static float value(const unsigned char* row, int index) {
        const unsigned char* block = row + (index / 256) * 144;
        const int e = index % 256;
        const float d = block_scale(block), dmin = block_scale(block + 2);
        const unsigned char* scales = block + 4;
        const int chunk = e / 64, within = e % 64, sub = 2 * chunk + (within >= 32), l = within % 32;
        int scale, minimum;
        if (sub < 4) {
            scale = scales[sub] & 63;
            minimum = scales[sub + 4] & 63;
        } else {
            scale = (scales[sub + 4] & 0x0f) | ((scales[sub - 4] >> 6) << 4);
            minimum = (scales[sub + 4] >> 4) | ((scales[sub] >> 6) << 4);
        }
        const unsigned char q = block[16 + 32 * chunk + l];
        return d * scale * (within < 32 ? (q & 0x0f) : (q >> 4)) - dmin * minimum;
    }
};

// Q6_K: super-blocks of 256 values in 210 bytes: 128 bytes of low nibbles, 64 of high 2-bit
// pairs, 16 signed 8-bit scales (one per 16 values), F16 d.
struct Q6_K {
    static const int block_values = 256, block_bytes = 210;
    __device__ static float value(const unsigned char* row, int index) {
        const unsigned char* block = row + (index / 256) * 210;
        const int e = index % 256;
        const unsigned char* ql = block;
        const unsigned char* qh = block + 128;
        const signed char* scales = (const signed char*)(block + 192);
        const float d = block_scale(block + 208);
        const int half = e / 128, w = e % 128, quarter = w / 32, l = w % 32;
        const unsigned char low = ql[64 * half + l + 32 * (quarter & 1)];
        const int nibble = quarter < 2 ? (low & 0x0f) : (low >> 4);
        const int high = (qh[32 * half + l] >> (2 * quarter)) & 3;
        return d * scales[8 * half + l / 16 + 2 * quarter] * (float)((nibble | (high << 4)) - 32);
    }
};

template <class Format>
__device__ __forceinline__ long long row_bytes(int columns) {
    return (long long)(columns / Format::block_values) * Format::block_bytes;
}

// Row tokens[b] of a [rows][columns] table into out row b. Grid: tokens.
template <class Format>
__device__ void embed(float* out, const unsigned char* table, const int* tokens, int columns) {
    const unsigned char* row = table + tokens[blockIdx.x] * row_bytes<Format>(columns);
    for (int i = threadIdx.x; i < columns; i += blockDim.x) out[(long long)blockIdx.x * columns + i] = Format::value(row, i);
}

extern "C" __global__ void embed_f32(float* out, const unsigned char* table, const int* tokens, int columns) {
    embed<F32>(out, table, tokens, columns);
}
extern "C" __global__ void embed_f16(float* out, const unsigned char* table, const int* tokens, int columns) {
    embed<F16>(out, table, tokens, columns);
}
extern "C" __global__ void embed_q8_0(float* out, const unsigned char* table, const int* tokens, int columns) {
    embed<Q8_0>(out, table, tokens, columns);
}

// out = x / sqrt(mean(x^2) + eps) * weight, per row of dim. Grid: rows.
extern "C" __global__ void rms_norm(float* out, const float* x, const float* weight, int dim, float eps) {
    const float* row = x + (long long)blockIdx.x * dim;
    float* o = out + (long long)blockIdx.x * dim;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) sum += row[i] * row[i];
    const float scale = 1.0f / sqrtf(block_sum(sum) / dim + eps);
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = row[i] * scale * weight[i];
}

// Elementwise, over count floats: one thread per element.
extern "C" __global__ void add(float* y, const float* x, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) y[i] += x[i];
}

extern "C" __global__ void add_bias(float* y, const float* bias, int rows, int columns) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < rows * columns) y[i] += bias[i % columns];
}

extern "C" __global__ void scale(float* x, float alpha, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) x[i] *= alpha;
}

extern "C" __global__ void softcap(float* x, float cap, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) x[i] = cap * tanhf(x[i] / cap);
}

extern "C" __global__ void copy_floats(float* out, const float* x, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) out[i] = x[i];
}

// out = silu(gate) * up (out may be gate).
extern "C" __global__ void gated_silu(float* out, const float* gate, const float* up, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) { const float g = gate[i]; out[i] = g / (1.0f + expf(-g)) * up[i]; }
}

// out = gelu(gate) * up, GELU's tanh approximation (out may be gate).
extern "C" __global__ void gated_gelu(float* out, const float* gate, const float* up, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) {
        const float g = gate[i];
        out[i] = 0.5f * g * (1.0f + tanhf(0.7978845608028654f * (g + 0.044715f * g * g * g))) * up[i];
    }
}

// RoPE over heads heads of head_dim at x + b * stride for batch token b at positions[b].
// theta[i] = the pair's inverse frequency; factors (or null) divide the angle; neox pairs
// (i, i + rope_dims/2), else (2i, 2i+1). Grid: tokens; threads over heads * rope_dims/2.
extern "C" __global__ void rope(float* x, int stride, int heads, int head_dim, int rope_dims, const int* positions,
                                const float* theta, const float* factors, float frequency_scale, float attention_factor,
                                int neox) {
    const int pairs = rope_dims / 2;
    const float position = (float)positions[blockIdx.x];
    for (int k = threadIdx.x; k < heads * pairs; k += blockDim.x) {
        const int h = k / pairs, i = k % pairs;
        float angle = position * theta[i];
        if (factors) angle /= factors[i];
        angle *= frequency_scale;
        const float c = cosf(angle) * attention_factor, s = sinf(angle) * attention_factor;
        float* p = x + (long long)blockIdx.x * stride + h * head_dim + (neox ? i : 2 * i);
        const int partner = neox ? pairs : 1;
        const float a = p[0], b = p[partner];
        p[0] = a * c - b * s;
        p[partner] = a * s + b * c;
    }
}

// Softmax of each row of columns, in place. Grid: rows.
extern "C" __global__ void softmax_rows(float* x, int columns) {
    float* row = x + (long long)blockIdx.x * columns;
    float m = NEGATIVE_INFINITY;
    for (int i = threadIdx.x; i < columns; i += blockDim.x) m = fmaxf(m, row[i]);
    m = block_max(m);
    float sum = 0.0f;
    for (int i = threadIdx.x; i < columns; i += blockDim.x) { const float e = expf(row[i] - m); row[i] = e; sum += e; }
    const float inverse = 1.0f / block_sum(sum);
    for (int i = threadIdx.x; i < columns; i += blockDim.x) row[i] *= inverse;
}

// out[t][r] = dot(weight row r, x[t]): one warp per weight row, blockDim.x / 32 rows per
// block, lanes over the row's elements. Grid: (ceil(rows / warps per block), tokens).
template <class Format>
__device__ void gemv(float* out, const unsigned char* weight, const float* x, int rows, int columns) {
    const int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const unsigned char* w = weight + r * row_bytes<Format>(columns);
    const float* v = x + (long long)blockIdx.y * columns;
    float sum = 0.0f;
    for (int e = lane; e < columns; e += WARP) sum += Format::value(w, e) * v[e];
    sum = warp_sum(sum);
    if (lane == 0) out[(long long)blockIdx.y * rows + r] = sum;
}

#define GEMV(name, Format) \
    extern "C" __global__ void name(float* out, const unsigned char* weight, const float* x, int rows, int columns) { \
        gemv<Format>(out, weight, x, rows, columns); \
    }
GEMV(gemv_f32, F32)
GEMV(gemv_f16, F16)
GEMV(gemv_bf16, BF16)
GEMV(gemv_q8_0, Q8_0)
GEMV(gemv_q4_0, Q4_0)
GEMV(gemv_q4_1, Q4_1)
GEMV(gemv_q4_K, Q4_K)
GEMV(gemv_q6_K, Q6_K)

// The F16 operands of cuBLAS's GEMM: activations converted, one thread per element.
extern "C" __global__ void to_half(half_bits* out, const float* x, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) out[i] = float_to_half(x[i]);
}

// Weight rows decoded to F16 for cuBLAS. Grid: rows; threads over the columns.
template <class Format>
__device__ void dequantize_f16(half_bits* out, const unsigned char* weight, int columns) {
    const unsigned char* row = weight + blockIdx.x * row_bytes<Format>(columns);
    for (int i = threadIdx.x; i < columns; i += blockDim.x) out[(long long)blockIdx.x * columns + i] = float_to_half(Format::value(row, i));
}

#define DEQUANTIZE_F16(name, Format) \
    extern "C" __global__ void name(half_bits* out, const unsigned char* weight, int columns) { \
        dequantize_f16<Format>(out, weight, columns); \
    }
DEQUANTIZE_F16(dequantize_f16_f16, F16)
DEQUANTIZE_F16(dequantize_f16_bf16, BF16)
DEQUANTIZE_F16(dequantize_f16_q8_0, Q8_0)
DEQUANTIZE_F16(dequantize_f16_q4_0, Q4_0)
DEQUANTIZE_F16(dequantize_f16_q4_1, Q4_1)
DEQUANTIZE_F16(dequantize_f16_q4_K, Q4_K)
DEQUANTIZE_F16(dequantize_f16_q6_K, Q6_K)

// KV pages as KVPageLayout lays them out: per layer, block_tokens K rows then block_tokens V
// rows of row_bytes each, in one row format.

// Stores token b's K and V rows (kv_dim floats at key/value + b * stride) at its position's
// slot of layer_offset in its page. Grid: tokens.
template <class Format>
__device__ void store_kv(const float* key, const float* value, int stride, int kv_dim, unsigned char* const* page_tables,
                         int max_blocks, const int* token_entry, const int* token_position, int block_tokens,
                         long long layer_offset, int row_bytes) {
    const int position = token_position[blockIdx.x];
    unsigned char* page = DEVICE_POINTER(page_tables[(long long)token_entry[blockIdx.x] * max_blocks + position / block_tokens]);
    unsigned char* k = page + layer_offset + (long long)(position % block_tokens) * row_bytes;
    unsigned char* v = k + (long long)block_tokens * row_bytes;
    for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
        Format::store(k, i, key[(long long)blockIdx.x * stride + i]);
        Format::store(v, i, value[(long long)blockIdx.x * stride + i]);
    }
}

#define STORE_KV(name, Format) \
    extern "C" __global__ void name(const float* key, const float* value, int stride, int kv_dim, \
                                    unsigned char* const* page_tables, int max_blocks, const int* token_entry, \
                                    const int* token_position, int block_tokens, long long layer_offset, int row_bytes) { \
        store_kv<Format>(key, value, stride, kv_dim, page_tables, max_blocks, token_entry, token_position, block_tokens, \
                         layer_offset, row_bytes); \
    }
STORE_KV(store_kv_f32, F32)
STORE_KV(store_kv_f16, F16)

// Q8_0 rows: each thread quantizes one block of 32 as ggml's reference does (d = max|v| / 127,
// q = round(v / d)), K and V alike. Grid: tokens; threads over the row's blocks.
__device__ void store_q8_0_block(unsigned char* block, const float* v) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(v[j]));
    const float d = amax / 127.0f, inverse = d != 0.0f ? 1.0f / d : 0.0f;
    const half_bits h = float_to_half(d);
    block[0] = (unsigned char)(h & 0xff);
    block[1] = (unsigned char)(h >> 8);
    for (int j = 0; j < 32; j++) block[2 + j] = (unsigned char)(signed char)roundf(v[j] * inverse);
}

extern "C" __global__ void store_kv_q8_0(const float* key, const float* value, int stride, int kv_dim,
                                         unsigned char* const* page_tables, int max_blocks, const int* token_entry,
                                         const int* token_position, int block_tokens, long long layer_offset, int row_bytes) {
    const int position = token_position[blockIdx.x];
    unsigned char* page = DEVICE_POINTER(page_tables[(long long)token_entry[blockIdx.x] * max_blocks + position / block_tokens]);
    unsigned char* k = page + layer_offset + (long long)(position % block_tokens) * row_bytes;
    unsigned char* v = k + (long long)block_tokens * row_bytes;
    for (int b = threadIdx.x; b < kv_dim / 32; b += blockDim.x) {
        store_q8_0_block(k + b * 34, key + (long long)blockIdx.x * stride + b * 32);
        store_q8_0_block(v + b * 34, value + (long long)blockIdx.x * stride + b * 32);
    }
}

// Causal attention of batch token b (blockIdx.x), query head h (blockIdx.y) over its
// sequence's pages: positions 0...p, or the last `window` of them. Positions are taken
// blockDim.x at a time (one score per thread), with an online softmax; each thread keeps
// the output dims d = threadIdx.x + k * blockDim.x (head_dim <= 8 * blockDim.x).
// q and out: token b's heads at + b * q_stride / out_stride, head h at + h * head_dim.
// Pages in F32, F16 or Q8_0 (paged_attention_f32, _f16, _q8_0).
template <class Format>
__device__ void paged_attention(float* out, int out_stride, const float* q, int q_stride,
                                const unsigned char* const* page_tables, int max_blocks, const int* token_entry,
                                const int* token_position, int heads, int kv_heads, int head_dim, float scale, int window,
                                int block_tokens, long long layer_offset, int row_bytes) {
    __shared__ float weights[1024];
    const int b = blockIdx.x, h = blockIdx.y, t = threadIdx.x;
    const int position = token_position[b];
    const int column = (h / (heads / kv_heads)) * head_dim;  // the kv head's first element in a row
    const unsigned char* const* pages = page_tables + (long long)token_entry[b] * max_blocks;
    const float* query = q + (long long)b * q_stride + h * head_dim;
    const int first = window > 0 && position - window + 1 > 0 ? position - window + 1 : 0;

    float m = NEGATIVE_INFINITY, l = 0.0f, acc[8];
    for (int k = 0; k < 8; k++) acc[k] = 0.0f;
    for (int start = first; start <= position; start += blockDim.x) {
        const int p = start + t;
        float score = NEGATIVE_INFINITY;
        if (p <= position) {
            const unsigned char* key = DEVICE_POINTER(pages[p / block_tokens]) + layer_offset + (long long)(p % block_tokens) * row_bytes;
            float dot = 0.0f;
            for (int i = 0; i < head_dim; i++) dot += query[i] * Format::value(key, column + i);
            score = dot * scale;
        }
        const float next = fmaxf(m, block_max(score));
        const float weight = p <= position ? expf(score - next) : 0.0f;
        weights[t] = weight;
        const float correction = expf(m - next);  // 0 on the first chunk
        l = l * correction + block_sum(weight);  // its barriers publish weights
        const int count = position - start + 1 < (int)blockDim.x ? position - start + 1 : (int)blockDim.x;
        for (int k = 0; k < 8; k++) {
            const int d = t + k * blockDim.x;
            if (d >= head_dim) break;
            float sum = acc[k] * correction;
            for (int j = 0; j < count; j++) {
                const int pj = start + j;
                const unsigned char* value = DEVICE_POINTER(pages[pj / block_tokens]) + layer_offset
                    + (long long)(block_tokens + pj % block_tokens) * row_bytes;
                sum += weights[j] * Format::value(value, column + d);
            }
            acc[k] = sum;
        }
        m = next;
        __syncthreads();  // weights are rewritten by the next chunk
    }
    float* o = out + (long long)b * out_stride + h * head_dim;
    for (int k = 0; k < 8; k++) {
        const int d = t + k * blockDim.x;
        if (d >= head_dim) break;
        o[d] = acc[k] / l;
    }
}

#define PAGED_ATTENTION(name, Format) \
    extern "C" __global__ void name(float* out, int out_stride, const float* q, int q_stride, \
                                    const unsigned char* const* page_tables, int max_blocks, const int* token_entry, \
                                    const int* token_position, int heads, int kv_heads, int head_dim, float scale, \
                                    int window, int block_tokens, long long layer_offset, int row_bytes) { \
        paged_attention<Format>(out, out_stride, q, q_stride, page_tables, max_blocks, token_entry, token_position, heads, \
                                kv_heads, head_dim, scale, window, block_tokens, layer_offset, row_bytes); \
    }
PAGED_ATTENTION(paged_attention_f32, F32)
PAGED_ATTENTION(paged_attention_f16, F16)
PAGED_ATTENTION(paged_attention_q8_0, Q8_0)
"""#
}
