// Integer block dot products for block-quantized matmul: the one innermost loop Swift could not
// get close to (LLVM lowers Swift's int8 SIMD products to 32-bit multiplies, never to
// vpmaddubsw / vpdpbusd; see Benchmarks/README.md for the figures).
//
// A tile computes out[t * outStride + r] = dot(weight row r, activation row t) for weight rows r
// in [row0, row1) and tokens t in [token0, token1). Weights are GGUF blocks read in place (the
// layouts of ggml's ggml-common.h); activations are 8-bit quantized per block of the same size:
// 32 elements (Q8_0/Q8_1 style) for the 32-element types, 256 (Q8_K style) for the K-quants and
// IQ4_XS. Within a block the dot product is exact in int32; it is scaled once per block (or
// per sub-block). Nothing allocates; pointers are lent for the call.
#ifndef STRATA_CQUANTDOT_H
#define STRATA_CQUANTDOT_H

#include <stddef.h>
#include <stdint.h>

/// One matmul's operands.
typedef struct {
    /// Weight rows of `blocks` GGUF blocks each.
    const uint8_t *weight;
    /// Bytes from one weight row to the next.
    ptrdiff_t rowBytes;
    /// [tokens, blocks * blockElements] activation quants in [-127, 127].
    const int8_t *quants;
    /// [tokens, blocks] activation scales: element i of a block is scale * quant[i]. For
    /// 32-element blocks the scale is rounded to f16 (as llama.cpp's Q8_0/Q8_1 store it).
    const float *scales;
    /// 32-element blocks: [tokens, blocks] minus the sum of each block's quants.
    const int32_t *negatedSums;
    /// 32-element blocks: [tokens, blocks] f16(d * sum of quants), Q8_1's `s` (for Q4_1, Q5_1).
    const float *scaledSums;
    /// 256-element blocks: [tokens, blocks * 16] the sum of each 16 quants, Q8_K's `bsums`.
    const int16_t *groupSums;
    /// 256-element blocks: [tokens, blocks * 16] minus each 16 quants' sum (panels broadcast it).
    const int32_t *negatedGroupSums;
    /// 256-element blocks: [tokens, blocks * 16] each 16 quants' sum as a float.
    const float *floatGroupSums;
    /// [tokens, outStride] results.
    float *out;
    ptrdiff_t outStride;
    /// Blocks per row; activation rows are `blocks * blockElements` quants apart.
    ptrdiff_t blocks;
} strata_qmatmul;

typedef void (*strata_qmatmul_tile_fn)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1,
                                       ptrdiff_t token0, ptrdiff_t token1);

/// For batches: packs weight rows [row0, row0 + 8) into `scratch` (at least
/// `strata_qmatmul_panel_bytes(columns)` bytes) with the 8 rows' 4-byte groups interleaved,
/// so one 32-byte vector holds the same 4 columns of all 8 rows, then multiplies tokens
/// [token0, token1) by the panel: per token and group, one dot-product instruction gives the
/// 8 rows' partial dots in 8 lanes.
typedef void (*strata_qmatmul_panel_fn)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t token0, ptrdiff_t token1,
                                        void *scratch);

/// Bytes of panel scratch for rows of `columns` elements, enough for every weight type.
size_t strata_qmatmul_panel_bytes(ptrdiff_t columns);

/// Weight types with kernels, in the order of `strata_qmatmul_kernels.types`.
enum {
    STRATA_Q4_0 = 0,
    STRATA_Q4_1,
    STRATA_Q5_0,
    STRATA_Q5_1,
    STRATA_Q8_0,
    STRATA_IQ4_NL,
    STRATA_Q2_K,
    STRATA_Q3_K,
    STRATA_Q4_K,
    STRATA_Q5_K,
    STRATA_Q6_K,
    STRATA_IQ4_XS,
    STRATA_QTYPE_COUNT
};

/// The kernels of one weight type.
typedef struct {
    /// Any rectangle; one token takes a row at a time, each row read once as one stream.
    strata_qmatmul_tile_fn tile;
    /// 8 rows packed once, then every token of the batch.
    strata_qmatmul_panel_fn panel;
} strata_qtype_kernels;

/// The kernels of one instruction set.
typedef struct {
    /// "avx512vnni", "avx2" or "generic".
    const char *name;
    strata_qtype_kernels types[STRATA_QTYPE_COUNT];
} strata_qmatmul_kernels;

/// Instruction sets, best first.
enum { STRATA_QMATMUL_AVX512VNNI = 0, STRATA_QMATMUL_AVX2 = 1, STRATA_QMATMUL_GENERIC = 2, STRATA_QMATMUL_COUNT = 3 };

/// The kernels for `isa`, or NULL when this processor (or this build) lacks it.
const strata_qmatmul_kernels *strata_qmatmul_kernels_for(int isa);

/// Decodes one weight block of `type` into signed quants and, per sub-block of
/// `strata_qtype_sub_elements(type)` elements, a scale and a bias: element i of sub-block s is
/// a[s] * q[i] + b[s] (exactly, in real numbers). Portable; for tests and the generic kernels.
void strata_qtype_unpack(int type, const uint8_t *block, int8_t *q, float *a, float *b);

/// The scales and biases of `strata_qtype_unpack` alone.
void strata_qtype_header(int type, const uint8_t *block, float *a, float *b);

/// Elements per block (32 or 256) and per sub-block (16 or 32) of `type`.
int strata_qtype_block_elements(int type);
int strata_qtype_sub_elements(int type);

#endif
