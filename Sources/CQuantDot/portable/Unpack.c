// Portable decoding of every weight block into signed quants with a scale and a bias per
// sub-block (element = a * q + b): the generic kernels and the panel packers read it.
#include "CQuantDot.h"
#include "Portable.h"

int strata_qtype_block_elements(int type) { return type >= STRATA_Q2_K ? 256 : 32; }

int strata_qtype_sub_elements(int type) {
    return (type == STRATA_Q2_K || type == STRATA_Q3_K || type == STRATA_Q6_K) ? 16 : 32;
}

/// 32 elements from 16 nibble bytes: element j is the low nibble of byte j, j + 16 its high nibble.
static void nibbles(const uint8_t *qs, int8_t *q, int offset) {
    for (int j = 0; j < 16; j++) {
        q[j] = (int8_t)((qs[j] & 0x0F) - offset);
        q[j + 16] = (int8_t)((qs[j] >> 4) - offset);
    }
}

/// Adds Q5's fifth bits (bit j of the little-endian word at `qh` for element j).
static void fifth_bits(const uint8_t *qh, int8_t *q) {
    const uint32_t bits = strata_le32(qh);
    for (int j = 0; j < 32; j++) q[j] = (int8_t)(q[j] + (int8_t)(((bits >> j) & 1) << 4));
}

#define STRATA_HEADER_NAME strata_qtype_header
#define STRATA_HEADER_ATTR
#define STRATA_HEADER_F16 strata_f16
#include "Header.h"

void strata_qtype_unpack(int type, const uint8_t *b, int8_t *q, float *a, float *bias) {
    strata_qtype_header(type, b, a, bias);
    switch (type) {
    case STRATA_Q4_0:
        nibbles(b + 2, q, 8);
        break;
    case STRATA_Q4_1:
        nibbles(b + 4, q, 0);
        break;
    case STRATA_Q5_0:
        nibbles(b + 6, q, 0);
        fifth_bits(b + 2, q);
        for (int j = 0; j < 32; j++) q[j] = (int8_t)(q[j] - 16);
        break;
    case STRATA_Q5_1:
        nibbles(b + 8, q, 0);
        fifth_bits(b + 4, q);
        break;
    case STRATA_Q8_0:
        memcpy(q, b + 2, 32);
        break;
    case STRATA_IQ4_NL:
        for (int j = 0; j < 16; j++) {
            q[j] = strata_iq4_values[b[2 + j] & 0x0F];
            q[j + 16] = strata_iq4_values[b[2 + j] >> 4];
        }
        break;
    case STRATA_Q2_K: {
        for (int e = 0; e < 256; e++) q[e] = (int8_t)((b[16 + 32 * (e >> 7) + (e & 31)] >> (2 * ((e >> 5) & 3))) & 3);
        break;
    }
    case STRATA_Q3_K: {
        for (int e = 0; e < 256; e++) {
            const int low = (b[32 + 32 * (e >> 7) + (e & 31)] >> (2 * ((e >> 5) & 3))) & 3;
            const int high = (b[e & 31] >> (e >> 5)) & 1;
            q[e] = (int8_t)(low - (high ? 0 : 4));
        }
        break;
    }
    case STRATA_Q4_K:
    case STRATA_Q5_K: {
        const int five = type == STRATA_Q5_K;
        const uint8_t *qs = b + (five ? 48 : 16);
        for (int s = 0; s < 8; s++) {
            for (int l = 0; l < 32; l++) {
                int v = (qs[32 * (s >> 1) + l] >> (4 * (s & 1))) & 0x0F;
                if (five) v |= ((b[16 + l] >> s) & 1) << 4;
                q[32 * s + l] = (int8_t)v;
            }
        }
        break;
    }
    case STRATA_Q6_K: {
        for (int e = 0; e < 256; e++) {
            const int half = e >> 7, run = (e >> 5) & 3, l = e & 31;
            const int low = (b[64 * half + 32 * (run & 1) + l] >> (4 * (run >> 1))) & 0x0F;
            const int high = (b[128 + 32 * half + l] >> (2 * run)) & 3;
            q[e] = (int8_t)((low | (high << 4)) - 32);
        }
        break;
    }
    case STRATA_IQ4_XS: {
        for (int s = 0; s < 8; s++) {
            const uint8_t *qs = b + 8 + 16 * s;
            for (int j = 0; j < 16; j++) {
                q[32 * s + j] = strata_iq4_values[qs[j] & 0x0F];
                q[32 * s + j + 16] = strata_iq4_values[qs[j] >> 4];
            }
        }
        break;
    }
    default:
        break;
    }
}
