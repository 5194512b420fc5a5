// The portable kernels of every weight type: each block is decoded (`strata_qtype_unpack`), then
// its integer dot products with the activation blocks are scaled per sub-block. They serve
// processors without AVX2 and check the x86 kernels in the tests.
#include "CQuantDot.h"
#include "Portable.h"

/// Tokens [t0, t1) times rows [row0, row1) of `type`.
static void tile_generic(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1, ptrdiff_t t0, ptrdiff_t t1, int type) {
    const int n = strata_qtype_block_elements(type), sub = strata_qtype_sub_elements(type), subs = n / sub;
    const ptrdiff_t blockBytes = strata_block_bytes[type];
    int8_t q[256];
    float a[16], bias[16];
    for (ptrdiff_t r = row0; r < row1; r++) {
        for (ptrdiff_t t = t0; t < t1; t++) m->out[t * m->outStride + r] = 0;
        for (ptrdiff_t k = 0; k < m->blocks; k++) {
            strata_qtype_unpack(type, m->weight + r * m->rowBytes + k * blockBytes, q, a, bias);
            for (ptrdiff_t t = t0; t < t1; t++) {
                const int8_t *x = m->quants + (t * m->blocks + k) * n;
                float block = 0;
                for (int s = 0; s < subs; s++) {
                    int32_t dot = 0, sum = 0;
                    for (int i = s * sub; i < (s + 1) * sub; i++) dot += (int32_t)q[i] * x[i], sum += x[i];
                    // 32-element blocks take Q8_1's f16 scaled sum for the bias; 256-element
                    // blocks their 16-element sums (equal to `sum`).
                    if (n == 32) {
                        block += a[s] * (float)dot * m->scales[t * m->blocks + k] + bias[s] * m->scaledSums[t * m->blocks + k];
                    } else {
                        block += a[s] * (float)dot + bias[s] * (float)sum;
                    }
                }
                m->out[t * m->outStride + r] += n == 32 ? block : block * m->scales[t * m->blocks + k];
            }
        }
    }
}

#define STRATA_GENERIC(kind, type)                                                                        \
    static void kind##_generic(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1, ptrdiff_t t0,     \
                               ptrdiff_t t1) {                                                            \
        tile_generic(m, row0, row1, t0, t1, type);                                                        \
    }                                                                                                     \
    static void kind##_panel_generic(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t t0, ptrdiff_t t1,  \
                                     void *scratch) {                                                     \
        (void)scratch;                                                                                    \
        tile_generic(m, row0, row0 + 8, t0, t1, type);                                                    \
    }

STRATA_GENERIC(q4_0, STRATA_Q4_0)
STRATA_GENERIC(q4_1, STRATA_Q4_1)
STRATA_GENERIC(q5_0, STRATA_Q5_0)
STRATA_GENERIC(q5_1, STRATA_Q5_1)
STRATA_GENERIC(q8_0, STRATA_Q8_0)
STRATA_GENERIC(iq4_nl, STRATA_IQ4_NL)
STRATA_GENERIC(q2_K, STRATA_Q2_K)
STRATA_GENERIC(q3_K, STRATA_Q3_K)
STRATA_GENERIC(q4_K, STRATA_Q4_K)
STRATA_GENERIC(q5_K, STRATA_Q5_K)
STRATA_GENERIC(q6_K, STRATA_Q6_K)
STRATA_GENERIC(iq4_xs, STRATA_IQ4_XS)

#define STRATA_ENTRY(kind) {kind##_generic, kind##_panel_generic}

const strata_qmatmul_kernels strata_generic_kernels = {
    "generic",
    {STRATA_ENTRY(q4_0), STRATA_ENTRY(q4_1), STRATA_ENTRY(q5_0), STRATA_ENTRY(q5_1), STRATA_ENTRY(q8_0),
     STRATA_ENTRY(iq4_nl), STRATA_ENTRY(q2_K), STRATA_ENTRY(q3_K), STRATA_ENTRY(q4_K), STRATA_ENTRY(q5_K),
     STRATA_ENTRY(q6_K), STRATA_ENTRY(iq4_xs)},
};
