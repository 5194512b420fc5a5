// Integer block dot products for block-quantized matmul: the one innermost loop Swift could not
// get close to (LLVM lowers Swift's int8 SIMD products to 32-bit multiplies, never to
// vpmaddubsw / vpdpbusd; see Benchmarks/README.md for the figures).
//
// A tile computes out[t * outStride + r] = sum_k dw[r][k] * dx[t][k] * dot(wq[r][k], xq[t][k])
// for weight rows r in [row0, row1) and tokens t in [token0, token1), where blocks of 32 weights
// are GGUF Q8_0 / Q4_0 blocks read in place and activations are 8-bit quantized per 32-element
// block with an f32 scale. Nothing allocates; pointers are lent for the call.
#ifndef STRATA_CQUANTDOT_H
#define STRATA_CQUANTDOT_H

#include <stddef.h>
#include <stdint.h>

/// One matmul's operands.
typedef struct {
    /// Weight rows of `blocks` GGUF blocks each (Q8_0: 34 bytes a block, Q4_0: 18).
    const uint8_t *weight;
    /// Bytes from one weight row to the next.
    ptrdiff_t rowBytes;
    /// [tokens, blocks * 32] activation quants in [-127, 127].
    const int8_t *quants;
    /// [tokens, blocks] activation scales: element i of a block is scale * quant[i].
    const float *scales;
    /// [tokens, blocks] minus the sum of each block's quants (Q4_0's offset of 8 folds into it).
    const int32_t *negatedSums;
    /// [tokens, outStride] results.
    float *out;
    ptrdiff_t outStride;
    /// Blocks per row; activation rows are `blocks * 32` quants and `blocks` scales apart.
    ptrdiff_t blocks;
} strata_qmatmul;

typedef void (*strata_qmatmul_tile_fn)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1,
                                       ptrdiff_t token0, ptrdiff_t token1);

/// For prefill batches: packs weight rows [row0, row0 + 8) into `scratch` (at least
/// `strata_qmatmul_panel_bytes(m->blocks)` bytes) with the 8 rows' 4-byte groups interleaved,
/// so one 32-byte vector holds the same 4 columns of all 8 rows, then multiplies tokens
/// [token0, token1) by the panel: per token and block, 8 dot-product instructions give the 8
/// rows' block dots in 8 lanes, and one conversion and FMA scale them.
typedef void (*strata_qmatmul_panel_fn)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t token0, ptrdiff_t token1,
                                        void *scratch);

/// Bytes of panel scratch for rows of `blocks` blocks.
size_t strata_qmatmul_panel_bytes(ptrdiff_t blocks);

/// The tile functions of one instruction set.
typedef struct {
    /// "avx512vnni", "avx2" or "generic".
    const char *name;
    strata_qmatmul_tile_fn q8_0;
    strata_qmatmul_tile_fn q4_0;
    strata_qmatmul_panel_fn q8_0_panel;
    strata_qmatmul_panel_fn q4_0_panel;
} strata_qmatmul_kernels;

/// Instruction sets, best first.
enum { STRATA_QMATMUL_AVX512VNNI = 0, STRATA_QMATMUL_AVX2 = 1, STRATA_QMATMUL_GENERIC = 2, STRATA_QMATMUL_COUNT = 3 };

/// The kernels for `isa`, or NULL when this processor (or this build) lacks it.
const strata_qmatmul_kernels *strata_qmatmul_kernels_for(int isa);

#endif
