/// The CUDA C source of Strata's device kernels: one translation unit with no includes,
/// compiled at start-up by NVRTC for the device's architecture, and compiled as host C++ by
/// the tests (`Tests/RuntimeTests/CUDA/HostEmulation`), whose header runs each block's
/// threads as fibers, so the same indices and reductions are checked without a GPU.
///
/// Conventions: every kernel is `extern "C"`; block sizes are multiples of 32 and at most
/// 1024; `WARP` lanes reduce with `__shfl_xor_sync`; F16 values travel as their bits
/// (`unsigned short`) and are decoded by `half_to_float`, so no CUDA header is needed.
public enum CUDAKernelSource {
    /// Kernel entry points, for loading the module and checking that each compiled.
    public static let kernels = [
        "embed_f32", "embed_f16", "embed_q8_0", "rms_norm", "add", "add_bias", "scale", "softcap",
        "gated_silu", "gated_gelu", "rope", "softmax_rows", "gemv_f32", "gemv_q8_0", "gemv_q4_0",
        "store_kv_f32", "store_kv_f16", "paged_attention", "gemv_q4_K", "gemv_q6_K",
    ]

    public static let source = #"""
#define WARP 32
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

// Row tokens[b] of a [rows][columns] table into out row b. Grid: tokens.
extern "C" __global__ void embed_f32(float* out, const float* table, const int* tokens, int columns) {
    const float* row = table + (long long)tokens[blockIdx.x] * columns;
    for (int i = threadIdx.x; i < columns; i += blockDim.x) out[(long long)blockIdx.x * columns + i] = row[i];
}

extern "C" __global__ void embed_f16(float* out, const half_bits* table, const int* tokens, int columns) {
    const half_bits* row = table + (long long)tokens[blockIdx.x] * columns;
    for (int i = threadIdx.x; i < columns; i += blockDim.x) out[(long long)blockIdx.x * columns + i] = half_to_float(row[i]);
}

// Q8_0: blocks of 32 values, each an F16 scale then 32 signed bytes (34 bytes).
extern "C" __global__ void embed_q8_0(float* out, const unsigned char* table, const int* tokens, int columns) {
    const unsigned char* row = table + (long long)tokens[blockIdx.x] * (columns / 32) * 34;
    for (int i = threadIdx.x; i < columns; i += blockDim.x) {
        const unsigned char* block = row + (i / 32) * 34;
        const float d = half_to_float((half_bits)(block[0] | (block[1] << 8)));
        out[(long long)blockIdx.x * columns + i] = d * (float)(signed char)block[2 + i % 32];
    }
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

// gate = silu(gate) * up.
extern "C" __global__ void gated_silu(float* gate, const float* up, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) { const float g = gate[i]; gate[i] = g / (1.0f + expf(-g)) * up[i]; }
}

// gate = gelu(gate) * up, GELU's tanh approximation.
extern "C" __global__ void gated_gelu(float* gate, const float* up, int count) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) {
        const float g = gate[i];
        gate[i] = 0.5f * g * (1.0f + tanhf(0.7978845608028654f * (g + 0.044715f * g * g * g))) * up[i];
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
// block. Grid: (ceil(rows / warps per block), tokens).
extern "C" __global__ void gemv_f32(float* out, const float* weight, const float* x, int rows, int columns) {
    const int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const float* w = weight + (long long)r * columns;
    const float* v = x + (long long)blockIdx.y * columns;
    float sum = 0.0f;
    for (int i = lane; i < columns; i += WARP) sum += w[i] * v[i];
    sum = warp_sum(sum);
    if (lane == 0) out[(long long)blockIdx.y * rows + r] = sum;
}

extern "C" __global__ void gemv_q8_0(float* out, const unsigned char* weight, const float* x, int rows, int columns) {
    const int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const int blocks = columns / 32;
    const unsigned char* w = weight + (long long)r * blocks * 34;
    const float* v = x + (long long)blockIdx.y * columns;
    float sum = 0.0f;
    for (int b = 0; b < blocks; b++) {  // lanes take the 32 values of one block
        const unsigned char* block = w + b * 34;
        const float d = half_to_float((half_bits)(block[0] | (block[1] << 8)));
        sum += d * (float)(signed char)block[2 + lane] * v[b * 32 + lane];
    }
    sum = warp_sum(sum);
    if (lane == 0) out[(long long)blockIdx.y * rows + r] = sum;
}

// Q4_0: blocks of 32 values, an F16 scale then 16 bytes: value j is the low nibble of byte j,
// value j + 16 the high nibble, each minus 8 (18 bytes).
extern "C" __global__ void gemv_q4_0(float* out, const unsigned char* weight, const float* x, int rows, int columns) {
    const int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const int blocks = columns / 32;
    const unsigned char* w = weight + (long long)r * blocks * 18;
    const float* v = x + (long long)blockIdx.y * columns;
    float sum = 0.0f;
    for (int b = 0; b < blocks; b++) {
        const unsigned char* block = w + b * 18;
        const float d = half_to_float((half_bits)(block[0] | (block[1] << 8)));
        const unsigned char q = block[2 + lane % 16];
        const int nibble = lane < 16 ? (q & 0x0f) : (q >> 4);
        sum += d * (float)(nibble - 8) * v[b * 32 + lane];
    }
    sum = warp_sum(sum);
    if (lane == 0) out[(long long)blockIdx.y * rows + r] = sum;
}
// KV pages as KVPageLayout lays them out: per layer, block_tokens K rows then block_tokens V
// rows of row_bytes each. kv_type: 0 F32, 1 F16, 2 Q8_0 (blocks of 32: F16 scale, 32 bytes).
__device__ __forceinline__ float kv_element(const unsigned char* row, int i, int kv_type) {
    if (kv_type == 0) return ((const float*)row)[i];
    if (kv_type == 1) return half_to_float(((const half_bits*)row)[i]);
    const unsigned char* block = row + (i / 32) * 34;
    return half_to_float((half_bits)(block[0] | (block[1] << 8))) * (float)(signed char)block[2 + i % 32];
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

// Stores token b's K and V rows (kv_dim floats at key/value + b * stride) at its position's
// slot of layer_offset in its page. Grid: tokens.
extern "C" __global__ void store_kv_f32(const float* key, const float* value, int stride, int kv_dim,
                                        unsigned char* const* page_tables, int max_blocks, const int* token_entry,
                                        const int* token_position, int block_tokens, long long layer_offset, int row_bytes) {
    const int position = token_position[blockIdx.x];
    unsigned char* page = page_tables[(long long)token_entry[blockIdx.x] * max_blocks + position / block_tokens];
    float* k = (float*)(page + layer_offset + (long long)(position % block_tokens) * row_bytes);
    float* v = (float*)((unsigned char*)k + (long long)block_tokens * row_bytes);
    for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
        k[i] = key[(long long)blockIdx.x * stride + i];
        v[i] = value[(long long)blockIdx.x * stride + i];
    }
}

extern "C" __global__ void store_kv_f16(const float* key, const float* value, int stride, int kv_dim,
                                        unsigned char* const* page_tables, int max_blocks, const int* token_entry,
                                        const int* token_position, int block_tokens, long long layer_offset, int row_bytes) {
    const int position = token_position[blockIdx.x];
    unsigned char* page = page_tables[(long long)token_entry[blockIdx.x] * max_blocks + position / block_tokens];
    half_bits* k = (half_bits*)(page + layer_offset + (long long)(position % block_tokens) * row_bytes);
    half_bits* v = (half_bits*)((unsigned char*)k + (long long)block_tokens * row_bytes);
    for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
        k[i] = float_to_half(key[(long long)blockIdx.x * stride + i]);
        v[i] = float_to_half(value[(long long)blockIdx.x * stride + i]);
    }
}

// Causal attention of batch token b (blockIdx.x), query head h (blockIdx.y) over its
// sequence's pages: positions 0...p, or the last `window` of them. Positions are taken
// blockDim.x at a time (one score per thread), with an online softmax; each thread keeps
// the output dims d = threadIdx.x + k * blockDim.x (head_dim <= 8 * blockDim.x).
// q and out: token b's heads at + b * q_stride / out_stride, head h at + h * head_dim.
extern "C" __global__ void paged_attention(float* out, int out_stride, const float* q, int q_stride,
                                           const unsigned char* const* page_tables, int max_blocks,
                                           const int* token_entry, const int* token_position,
                                           int heads, int kv_heads, int head_dim, float scale, int window,
                                           int block_tokens, long long layer_offset, int row_bytes, int kv_type) {
    __shared__ float weights[1024];
    const int b = blockIdx.x, h = blockIdx.y, t = threadIdx.x;
    const int position = token_position[b];
    const int column = (h / (heads / kv_heads)) * head_dim;  // the kv head's first element in a row
    const int element_bytes = kv_type == 0 ? 4 : 2;
    const unsigned char* const* pages = page_tables + (long long)token_entry[b] * max_blocks;
    const float* query = q + (long long)b * q_stride + h * head_dim;
    const int first = window > 0 && position - window + 1 > 0 ? position - window + 1 : 0;

    float m = NEGATIVE_INFINITY, l = 0.0f, acc[8];
    for (int k = 0; k < 8; k++) acc[k] = 0.0f;
    for (int start = first; start <= position; start += blockDim.x) {
        const int p = start + t;
        float score = NEGATIVE_INFINITY;
        if (p <= position) {
            const unsigned char* key = pages[p / block_tokens] + layer_offset + (long long)(p % block_tokens) * row_bytes;
            float dot = 0.0f;
            if (kv_type == 2) {
                for (int i = 0; i < head_dim; i++) dot += query[i] * kv_element(key, column + i, 2);
            } else {
                key += (long long)column * element_bytes;
                for (int i = 0; i < head_dim; i++) dot += query[i] * kv_element(key, i, kv_type);
            }
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
                const unsigned char* value = pages[pj / block_tokens] + layer_offset
                    + (long long)(block_tokens + pj % block_tokens) * row_bytes;
                sum += weights[j] * kv_element(value, column + d, kv_type);
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
// Q4_K: super-blocks of 256 values in 144 bytes: F16 d, F16 dmin, 12 bytes of 6-bit scales and
// mins for 8 sub-blocks of 32, then 128 bytes of nibbles (byte 32c + l holds value 64c + l in
// its low nibble and 64c + 32 + l in its high one). Value e of a super-block.
__device__ __forceinline__ float q4_K_value(const unsigned char* block, int e) {
    const float d = half_to_float((half_bits)(block[0] | (block[1] << 8)));
    const float dmin = half_to_float((half_bits)(block[2] | (block[3] << 8)));
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

// Q6_K: super-blocks of 256 values in 210 bytes: 128 bytes of low nibbles, 64 of high 2-bit
// pairs, 16 signed 8-bit scales (one per 16 values), F16 d. Value e of a super-block.
__device__ __forceinline__ float q6_K_value(const unsigned char* block, int e) {
    const unsigned char* ql = block;
    const unsigned char* qh = block + 128;
    const signed char* scales = (const signed char*)(block + 192);
    const float d = half_to_float((half_bits)(block[208] | (block[209] << 8)));
    const int half = e / 128, w = e % 128, quarter = w / 32, l = w % 32;
    const unsigned char low = ql[64 * half + l + 32 * (quarter & 1)];
    const int nibble = quarter < 2 ? (low & 0x0f) : (low >> 4);
    const int high = (qh[32 * half + l] >> (2 * quarter)) & 3;
    return d * scales[8 * half + l / 16 + 2 * quarter] * (float)((nibble | (high << 4)) - 32);
}

// GEMVs over K-quant rows, one warp per row as gemv_f32 (columns a multiple of 256).
extern "C" __global__ void gemv_q4_K(float* out, const unsigned char* weight, const float* x, int rows, int columns) {
    const int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const unsigned char* w = weight + (long long)r * (columns / 256) * 144;
    const float* v = x + (long long)blockIdx.y * columns;
    float sum = 0.0f;
    for (int e = lane; e < columns; e += WARP) sum += q4_K_value(w + (e / 256) * 144, e % 256) * v[e];
    sum = warp_sum(sum);
    if (lane == 0) out[(long long)blockIdx.y * rows + r] = sum;
}

extern "C" __global__ void gemv_q6_K(float* out, const unsigned char* weight, const float* x, int rows, int columns) {
    const int r = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (r >= rows) return;
    const unsigned char* w = weight + (long long)r * (columns / 256) * 210;
    const float* v = x + (long long)blockIdx.y * columns;
    float sum = 0.0f;
    for (int e = lane; e < columns; e += WARP) sum += q6_K_value(w + (e / 256) * 210, e % 256) * v[e];
    sum = warp_sum(sum);
    if (lane == 0) out[(long long)blockIdx.y * rows + r] = sum;
}
"""#
}
