// Helpers shared by the portable and the x86 kernels: f16 conversion, unaligned loads, the IQ4
// value table, and the geometry of each weight type.
#ifndef STRATA_CQUANTDOT_PORTABLE_H
#define STRATA_CQUANTDOT_PORTABLE_H

#include <stdint.h>
#include <string.h>

static inline float strata_f16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
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

static inline uint32_t strata_le32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// ggml's `kvalues_iq4nl`: the 16 values a 4-bit IQ4 index stands for.
static const int8_t strata_iq4_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/// Bytes per block of each STRATA_ type.
static const int strata_block_bytes[] = {18, 20, 22, 24, 34, 18, 84, 110, 144, 176, 210, 136};

/// Q4_K / Q5_K: the 6-bit scale and minimum of sub-block j (0..7) from the 12 packed bytes.
static inline void strata_k4_scale_min(const uint8_t *s, int j, int *scale, int *min) {
    if (j < 4) {
        *scale = s[j] & 63;
        *min = s[j + 4] & 63;
    } else {
        *scale = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/// Q3_K: the signed 6-bit scale of sub-block j (0..15).
static inline int strata_q3k_scale(const uint8_t *s, int j) {
    const int low = (s[j & 7] >> (4 * (j >> 3))) & 0x0F;
    const int high = (s[8 + (j & 3)] >> (2 * (j >> 2))) & 0x03;
    return (low | (high << 4)) - 32;
}

/// IQ4_XS: the signed 6-bit scale of sub-block j (0..7).
static inline int strata_iq4xs_scale(const uint8_t *block, int j) {
    uint16_t high;
    memcpy(&high, block + 2, 2);
    const int low = (block[4 + j / 2] >> (4 * (j & 1))) & 0x0F;
    return (low | (((high >> (2 * j)) & 3) << 4)) - 32;
}

#endif
