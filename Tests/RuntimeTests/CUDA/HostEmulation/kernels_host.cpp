// Strata's CUDA kernels (kernels.cu, written by the test from CUDAKernelSource.source) built as
// host code, with one C entry point per kernel taking the grid and block sizes first.
#include "cuda_host.h"
#include "device_pointers.h"
#include "kernels.cu"

#define HOST(name, params, ...) \
    extern "C" void host_##name(unsigned gx, unsigned gy, unsigned bx, params) { launch(dim3(gx, gy), dim3(bx), name, __VA_ARGS__); }
#define P(...) __VA_ARGS__

HOST(embed_f32, P(float* out, const unsigned char* table, const int* tokens, int columns), out, table, tokens, columns)
HOST(embed_f16, P(float* out, const unsigned char* table, const int* tokens, int columns), out, table, tokens, columns)
HOST(embed_q8_0, P(float* out, const unsigned char* table, const int* tokens, int columns), out, table, tokens, columns)
HOST(rms_norm, P(float* out, const float* x, const float* weight, int dim, float eps), out, x, weight, dim, eps)
HOST(add, P(float* y, const float* x, int count), y, x, count)
HOST(add_bias, P(float* y, const float* bias, int rows, int columns), y, bias, rows, columns)
HOST(scale, P(float* x, float alpha, int count), x, alpha, count)
HOST(softcap, P(float* x, float cap, int count), x, cap, count)
HOST(gated_silu, P(float* out, const float* gate, const float* up, int count), out, gate, up, count)
HOST(gated_gelu, P(float* out, const float* gate, const float* up, int count), out, gate, up, count)
HOST(rope, P(float* x, int stride, int heads, int head_dim, int rope_dims, const int* positions, const float* theta,
             const float* factors, float frequency_scale, float attention_factor, int neox),
     x, stride, heads, head_dim, rope_dims, positions, theta, factors, frequency_scale, attention_factor, neox)
HOST(softmax_rows, P(float* x, int columns), x, columns)
HOST(gemv_f32, P(float* out, const unsigned char* weight, const float* x, int rows, int columns), out, weight, x, rows, columns)
HOST(gemv_f16, P(float* out, const unsigned char* weight, const float* x, int rows, int columns), out, weight, x, rows, columns)
HOST(gemv_bf16, P(float* out, const unsigned char* weight, const float* x, int rows, int columns), out, weight, x, rows, columns)
HOST(gemv_q4_1, P(float* out, const unsigned char* weight, const float* x, int rows, int columns), out, weight, x, rows, columns)
HOST(copy_floats, P(float* out, const float* x, int count), out, x, count)
HOST(to_half, P(unsigned short* out, const float* x, int count), out, x, count)
#define HOST_DEQUANTIZE(name) HOST(name, P(unsigned short* out, const unsigned char* weight, int columns), out, weight, columns)
HOST_DEQUANTIZE(dequantize_f16_f16)
HOST_DEQUANTIZE(dequantize_f16_bf16)
HOST_DEQUANTIZE(dequantize_f16_q8_0)
HOST_DEQUANTIZE(dequantize_f16_q4_0)
HOST_DEQUANTIZE(dequantize_f16_q4_1)
HOST_DEQUANTIZE(dequantize_f16_q4_K)
HOST_DEQUANTIZE(dequantize_f16_q6_K)
HOST(gemv_q8_0, P(float* out, const unsigned char* weight, const float* x, int rows, int columns), out, weight, x, rows, columns)
HOST(gemv_q4_0, P(float* out, const unsigned char* weight, const float* x, int rows, int columns), out, weight, x, rows, columns)
HOST(gemv_q4_K, P(float* out, const unsigned char* weight, const float* x, int rows, int columns), out, weight, x, rows, columns)
HOST(gemv_q6_K, P(float* out, const unsigned char* weight, const float* x, int rows, int columns), out, weight, x, rows, columns)
HOST(store_kv_f32, P(const float* key, const float* value, int stride, int kv_dim, unsigned char* const* page_tables, int max_blocks,
                   const int* token_entry, const int* token_position, int block_tokens, long long layer_offset, int row_bytes),
     key, value, stride, kv_dim, page_tables, max_blocks, token_entry, token_position, block_tokens, layer_offset, row_bytes)
HOST(store_kv_f16, P(const float* key, const float* value, int stride, int kv_dim, unsigned char* const* page_tables, int max_blocks,
                   const int* token_entry, const int* token_position, int block_tokens, long long layer_offset, int row_bytes),
     key, value, stride, kv_dim, page_tables, max_blocks, token_entry, token_position, block_tokens, layer_offset, row_bytes)
HOST(store_kv_q8_0, P(const float* key, const float* value, int stride, int kv_dim, unsigned char* const* page_tables, int max_blocks,
                   const int* token_entry, const int* token_position, int block_tokens, long long layer_offset, int row_bytes),
     key, value, stride, kv_dim, page_tables, max_blocks, token_entry, token_position, block_tokens, layer_offset, row_bytes)
#define HOST_ATTENTION(name) \
    HOST(name, P(float* out, int out_stride, const float* q, int q_stride, const unsigned char* const* page_tables, \
                 int max_blocks, const int* token_entry, const int* token_position, int heads, int kv_heads, int head_dim, \
                 float scale, int window, int block_tokens, long long layer_offset, int row_bytes), \
         out, out_stride, q, q_stride, page_tables, max_blocks, token_entry, token_position, heads, kv_heads, head_dim, scale, \
         window, block_tokens, layer_offset, row_bytes)
HOST_ATTENTION(paged_attention_f32)
HOST_ATTENTION(paged_attention_f16)
HOST_ATTENTION(paged_attention_q8_0)

// The same kernels behind a fake CUDA driver and cuBLAS (the library doubles as libcuda.so.1
// and libcublas.so.12 for the backend's end-to-end tests).
#include "driver_host.cpp"
