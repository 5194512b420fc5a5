// Integer block dot products: portable C kernels (portable/), and x86 versions compiled per
// instruction set with target attributes and chosen at run time, so one binary uses
// AVX512-VNNI (vpdpbusd) where the processor has it and AVX2 elsewhere (the portable version
// serves other processors).
#include "CQuantDot.h"
#include "portable/Portable.h"

#include <math.h>
#include <string.h>

extern const strata_qmatmul_kernels strata_generic_kernels;

size_t strata_qmatmul_panel_bytes(ptrdiff_t columns) {
    // 8 S + 96 bytes per sub-block of S columns (448 per 32 columns at S = 16).
    return (size_t)((columns + 31) / 32) * 448;
}

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
#include "tiles/TypeKernels.h"
#include "tiles/End.h"

// 32 vector registers (AVX-512 VL encodes ymm16...31): 4 rows x 4 tokens.
#define ISA avx512vnni
#define ISA_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))
#define ISA_VNNI 1
#define MAIN_RM 4
#define MAIN_RN 4
#define PANEL_RN 8
#include "tiles/QuantTiles.h"
#include "tiles/TypeKernels.h"
#include "tiles/End.h"

// `q8panel`: Q8_0's panel (VNNI takes the unified panel's unsigned weights, AVX2 QuantTiles.h's).
#define STRATA_X86_KERNELS(isa, q8panel)                                                                            \
    {                                                                                                     \
        #isa,                                                                                             \
        {                                                                                                 \
            {q4_0_##isa, q4_0u_panel_##isa}, {q4_1_##isa, q4_1_panel_##isa}, {q5_0_##isa, q5_0_panel_##isa}, \
            {q5_1_##isa, q5_1_panel_##isa}, {q8_0_##isa, q8panel}, {iq4_nl_##isa, iq4_nl_panel_##isa}, \
            {q2_K_##isa, q2_K_panel_##isa}, {q3_K_##isa, q3_K_panel_##isa}, {q4_K_##isa, q4_K_panel_##isa}, \
            {q5_K_##isa, q5_K_panel_##isa}, {q6_K_##isa, q6_K_panel_##isa}, {iq4_xs_##isa, iq4_xs_panel_##isa}, \
        }                                                                                                 \
    }

static const strata_qmatmul_kernels avx2_kernels = STRATA_X86_KERNELS(avx2, q8_0s_panel_avx2);
static const strata_qmatmul_kernels avx512vnni_kernels = STRATA_X86_KERNELS(avx512vnni, q8_0u_panel_avx512vnni);

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
    case STRATA_QMATMUL_GENERIC: return &strata_generic_kernels;
    default: return NULL;
    }
}
