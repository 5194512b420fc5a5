// Integer block dot products: one portable C version, and x86 versions compiled per instruction
// set with target attributes and chosen at run time, so one binary uses AVX512-VNNI (vpdpbusd)
// where the processor has it and AVX2 elsewhere (the portable version serves other processors
// and debug builds of the Swift code, which need no AVX2).
#include "CQuantDot.h"

#include <string.h>

// MARK: Portable

static float f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {  // subnormal: normalize
        uint32_t e = 113, m = mantissa;
        while (!(m & 0x400)) { m <<= 1; e--; }
        bits = sign | (e << 23) | ((m & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// One block's integer dot product: Q8_0 quants, or Q4_0 nibbles with the offset of 8 as
/// `8 * negatedSum`.
static int32_t block_dot_generic(const uint8_t *b, const int8_t *xq, int32_t negatedSum, int q4) {
    int32_t dot = 0;
    if (q4) {
        dot = 8 * negatedSum;
        for (int i = 0; i < 16; i++) {
            dot += (int32_t)(b[2 + i] & 0x0F) * xq[i];
            dot += (int32_t)(b[2 + i] >> 4) * xq[16 + i];
        }
    } else {
        for (int i = 0; i < 32; i++) dot += (int32_t)(int8_t)b[2 + i] * xq[i];
    }
    return dot;
}

static void matmul_generic(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1, ptrdiff_t token0, ptrdiff_t token1,
                           int q4) {
    const ptrdiff_t blockBytes = q4 ? 18 : 34;
    for (ptrdiff_t t = token0; t < token1; t++) {
        const int8_t *xq = m->quants + t * m->blocks * 32;
        const float *xd = m->scales + t * m->blocks;
        const int32_t *xs = m->negatedSums + t * m->blocks;
        for (ptrdiff_t r = row0; r < row1; r++) {
            const uint8_t *w = m->weight + r * m->rowBytes;
            float acc = 0;
            for (ptrdiff_t k = 0; k < m->blocks; k++) {
                const uint8_t *b = w + k * blockBytes;
                uint16_t h;
                memcpy(&h, b, 2);
                acc += (float)block_dot_generic(b, xq + k * 32, xs[k], q4) * (f16_to_f32(h) * xd[k]);
            }
            m->out[t * m->outStride + r] = acc;
        }
    }
}

static void q8_0_generic(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1, ptrdiff_t token0, ptrdiff_t token1) {
    matmul_generic(m, row0, row1, token0, token1, 0);
}

static void q4_0_generic(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1, ptrdiff_t token0, ptrdiff_t token1) {
    matmul_generic(m, row0, row1, token0, token1, 1);
}

static void q8_0_panel_generic(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t token0, ptrdiff_t token1, void *scratch) {
    (void)scratch;
    q8_0_generic(m, row0, row0 + 8, token0, token1);
}

static void q4_0_panel_generic(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t token0, ptrdiff_t token1, void *scratch) {
    (void)scratch;
    q4_0_generic(m, row0, row0 + 8, token0, token1);
}

size_t strata_qmatmul_panel_bytes(ptrdiff_t blocks) { return (size_t)blocks * 320; }

static const strata_qmatmul_kernels generic_kernels = {"generic", q8_0_generic, q4_0_generic, q8_0_panel_generic,
                                                       q4_0_panel_generic};

// MARK: x86

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// 16 vector registers: 2 rows x 4 tokens.
#define ISA avx2
#define ISA_TARGET __attribute__((target("avx2,fma,f16c")))
#define ISA_VNNI 0
#define MAIN_RM 2
#define MAIN_RN 4
#define PANEL_RN 4
#include "tiles/QuantTiles.h"

// 32 vector registers (AVX-512 VL encodes ymm16...31): 4 rows x 4 tokens.
#define ISA avx512vnni
#define ISA_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))
#define ISA_VNNI 1
#define MAIN_RM 4
#define MAIN_RN 4
#define PANEL_RN 8
#include "tiles/QuantTiles.h"

static const strata_qmatmul_kernels avx2_kernels = {"avx2", q8_0_avx2, q4_0_avx2, q8_0_panel_avx2, q4_0_panel_avx2};
static const strata_qmatmul_kernels avx512vnni_kernels = {"avx512vnni", q8_0_avx512vnni, q4_0_avx512vnni,
                                                          q8_0_panel_avx512vnni, q4_0_panel_avx512vnni};

static int has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

static int has_avx512vnni(void) {
    return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}
#endif

const strata_qmatmul_kernels *strata_qmatmul_kernels_for(int isa) {
    switch (isa) {
#if defined(__x86_64__) || defined(__i386__)
    case STRATA_QMATMUL_AVX512VNNI: return has_avx512vnni() ? &avx512vnni_kernels : NULL;
    case STRATA_QMATMUL_AVX2: return has_avx2() ? &avx2_kernels : NULL;
#endif
    case STRATA_QMATMUL_GENERIC: return &generic_kernels;
    default: return NULL;
    }
}
