// The x86 kernels of the weight types beyond Q8_0 / Q4_0, written once per instruction set:
// QuantDot.c includes this file after QuantTiles.h with the same ISA macros defined.
//
// Every type is read through one decoder per 32-element run (`<type>_run`): 32 quants in one
// register, unsigned (0...63) for all types but the IQ4 ones, whose table values are signed.
// Decode (one token) multiplies runs in place with their integer sub-block scales, exact in
// int32 over a block, and scales each block once (`<type>_row`). Batches go through panels:
// 8 rows' runs are decoded once into scratch with their 4-byte groups interleaved, and each
// sub-block carries per-row float scales `a` and biases `b` (element = a * q + b), so one
// panel kernel serves every type (`up_tile`).

// MARK: Helpers

/// The f16 at `p` as a float (vcvtph2ps; the portable `strata_f16` branches per value).
ISA_TARGET static inline float QT_FN(f16)(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

ISA_TARGET static inline int32_t QT_FN(hsum_i32)(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/// `acc` plus the dot products of unsigned `u` and signed `s`, each pair of products times its
/// int16 lane of `scale16` (lanes 0...7 cover elements 0...15, lanes 8...15 elements 16...31).
/// Pairs stay below 2^15: u <= 63 (or |u| <= 127 with |s| <= 127 after the sign trick).
ISA_TARGET static inline __m256i QT_FN(scaled_udot)(__m256i acc, __m256i u, __m256i s, __m256i scale16) {
    const __m256i pairs = _mm256_maddubs_epi16(u, s);
#if ISA_VNNI
    return _mm256_dpwssd_epi32(acc, pairs, scale16);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, scale16));
#endif
}

/// `scaled_udot` for signed weights `w`: |w| times `s` with w's sign.
ISA_TARGET static inline __m256i QT_FN(scaled_sdot)(__m256i acc, __m256i w, __m256i s, __m256i scale16) {
    return QT_FN(scaled_udot)(acc, _mm256_sign_epi8(w, w), _mm256_sign_epi8(s, w), scale16);
}

/// 32 nibbles from 16 bytes: element j is the low nibble of byte j, element j + 16 its high one.
ISA_TARGET static inline __m256i QT_FN(nibbles32)(const uint8_t *qs) {
    const __m128i packed = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(0x0F));
}

/// 32 bytes from the 32 bits of the little-endian word at `qh`: byte i is 16 when bit i is set.
ISA_TARGET static inline __m256i QT_FN(bits32)(const uint8_t *qh) {
    uint32_t word;
    memcpy(&word, qh, 4);
    // Byte i takes word byte i / 8, then keeps bit i % 8.
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)word),
                                               _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                                 0x0101010101010101, 0x0000000000000000));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(16));
}

/// The IQ4 value table in both 128-bit lanes, for vpshufb.
ISA_TARGET static inline __m256i QT_FN(iq4_table)(void) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)strata_iq4_values));
}

/// Bits `shift ... shift + width` of each byte of `v` (a run of packed 2-bit or 4-bit quants).
ISA_TARGET static inline __m256i QT_FN(field)(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8((char)mask));
}

/// int16 scale lanes for a 32-element run of two 16-element sub-blocks j and j + 1, from 16
/// signed byte scales: lanes 0...7 scale j, lanes 8...15 scale j + 1.
ISA_TARGET static inline __m256i QT_FN(pair_scales)(__m128i scales8, int j) {
    const __m128i index = _mm_add_epi8(_mm_set1_epi8((char)j), _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales8, index));
}

/// int16 scale lanes all equal to lane s of eight int16 scales held in both 128-bit halves.
ISA_TARGET static inline __m256i QT_FN(lane_scale)(__m256i scales16, int s) {
    return _mm256_shuffle_epi8(scales16, _mm256_set1_epi16((short)(((2 * s + 1) << 8) | (2 * s))));
}

/// Q4_K / Q5_K's eight 6-bit scales and minimums as bytes (ggml's packing of 12 bytes).
ISA_TARGET static inline void QT_FN(k4_scales)(const uint8_t *s, uint64_t *scales, uint64_t *mins) {
    uint32_t s0, s1, s2;
    memcpy(&s0, s, 4);
    memcpy(&s1, s + 4, 4);
    memcpy(&s2, s + 8, 4);
    const uint32_t low6 = 0x3F3F3F3F, low4 = 0x0F0F0F0F, top2 = 0x30303030;
    *scales = (uint64_t)(s0 & low6) | (uint64_t)((s2 & low4) | ((s0 >> 2) & top2)) << 32;
    *mins = (uint64_t)(s1 & low6) | (uint64_t)(((s2 >> 4) & low4) | ((s1 >> 2) & top2)) << 32;
}

/// Q3_K's sixteen signed 6-bit scales as bytes: low nibbles from bytes 0...7 (nibble j / 8 of
/// byte j % 8), high 2 bits from bytes 8...11 (bits 2 (j / 4) of byte 8 + j % 4).
ISA_TARGET static inline __m128i QT_FN(q3k_scales)(const uint8_t *s) {
    uint64_t low;
    uint32_t high;
    memcpy(&low, s, 8);
    memcpy(&high, s + 8, 4);
    const __m128i l = _mm_cvtsi64_si128((long long)low), mask = _mm_set1_epi8(0x0F);
    const __m128i nibbles = _mm_unpacklo_epi64(_mm_and_si128(l, mask), _mm_and_si128(_mm_srli_epi16(l, 4), mask));
    const __m128i h = _mm_and_si128(_mm_srlv_epi32(_mm_set1_epi32((int)high), _mm_setr_epi32(0, 2, 4, 6)), _mm_set1_epi8(3));
    return _mm_sub_epi8(_mm_or_si128(nibbles, _mm_slli_epi16(h, 4)), _mm_set1_epi8(32));
}

// MARK: Runs: 32 quants of a block in one register

ISA_TARGET static inline __m256i QT_FN(q4_0u_run)(const uint8_t *b, int r) { (void)r; return QT_FN(nibbles32)(b + 2); }
ISA_TARGET static inline __m256i QT_FN(q4_1_run)(const uint8_t *b, int r) { (void)r; return QT_FN(nibbles32)(b + 4); }
ISA_TARGET static inline __m256i QT_FN(q5_0_run)(const uint8_t *b, int r) {
    (void)r;
    return _mm256_or_si256(QT_FN(nibbles32)(b + 6), QT_FN(bits32)(b + 2));
}
ISA_TARGET static inline __m256i QT_FN(q5_1_run)(const uint8_t *b, int r) {
    (void)r;
    return _mm256_or_si256(QT_FN(nibbles32)(b + 8), QT_FN(bits32)(b + 4));
}
ISA_TARGET static inline __m256i QT_FN(iq4_nl_run)(const uint8_t *b, int r) {
    (void)r;
    return _mm256_shuffle_epi8(QT_FN(iq4_table)(), QT_FN(nibbles32)(b + 2));
}
/// Q8_0 as unsigned bytes (the stored value plus 128), for VNNI panels, and as stored.
ISA_TARGET static inline __m256i QT_FN(q8_0u_run)(const uint8_t *b, int r) {
    (void)r;
    return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(b + 2)), _mm256_set1_epi8((char)0x80));
}
ISA_TARGET static inline __m256i QT_FN(q8_0s_run)(const uint8_t *b, int r) {
    (void)r;
    return _mm256_loadu_si256((const __m256i *)(b + 2));
}
ISA_TARGET static inline __m256i QT_FN(q2_K_run)(const uint8_t *b, int r) {
    return QT_FN(field)(_mm256_loadu_si256((const __m256i *)(b + 16 + 32 * (r >> 2))), 2 * (r & 3), 3);
}
/// Q3_K as unsigned 0...7 (the stored value plus 4).
ISA_TARGET static inline __m256i QT_FN(q3_K_run)(const uint8_t *b, int r) {
    const __m256i low = QT_FN(field)(_mm256_loadu_si256((const __m256i *)(b + 32 + 32 * (r >> 2))), 2 * (r & 3), 3);
    const __m256i high = QT_FN(field)(_mm256_loadu_si256((const __m256i *)b), r, 1);
    return _mm256_or_si256(low, _mm256_slli_epi16(high, 2));
}
ISA_TARGET static inline __m256i QT_FN(q4_K_run)(const uint8_t *b, int r) {
    return QT_FN(field)(_mm256_loadu_si256((const __m256i *)(b + 16 + 32 * (r >> 1))), 4 * (r & 1), 0x0F);
}
ISA_TARGET static inline __m256i QT_FN(q5_K_run)(const uint8_t *b, int r) {
    const __m256i low = QT_FN(field)(_mm256_loadu_si256((const __m256i *)(b + 48 + 32 * (r >> 1))), 4 * (r & 1), 0x0F);
    const __m256i high = QT_FN(field)(_mm256_loadu_si256((const __m256i *)(b + 16)), r, 1);
    return _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
}
/// Q6_K as unsigned 0...63 (the stored value plus 32).
ISA_TARGET static inline __m256i QT_FN(q6_K_run)(const uint8_t *b, int r) {
    const int half = r >> 2, run = r & 3;
    const __m256i low = QT_FN(field)(_mm256_loadu_si256((const __m256i *)(b + 64 * half + 32 * (run & 1))), 4 * (run >> 1), 0x0F);
    const __m256i high = QT_FN(field)(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * half)), 2 * run, 3);
    return _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
}
ISA_TARGET static inline __m256i QT_FN(iq4_xs_run)(const uint8_t *b, int r) {
    return _mm256_shuffle_epi8(QT_FN(iq4_table)(), QT_FN(nibbles32)(b + 8 + 16 * r));
}

// MARK: Decode: one row times one token

/// 32-element types with a minimum (Q4_1, Q5_1): d * dx * dot(q, x) + m * s per block, four
/// blocks a step with their f16 scales and minimums converted by one vcvtph2ps.
#define QT_ROW_MIN(kind, blockBytes)                                                                        \
    ISA_TARGET static inline float QT_FN(kind##_row)(const strata_qmatmul *m, const uint8_t *row, ptrdiff_t t) { \
        const ptrdiff_t blocks = m->blocks;                                                                 \
        const int8_t *xq = m->quants + t * blocks * 32;                                                     \
        const float *xd = m->scales + t * blocks, *xs = m->scaledSums + t * blocks;                         \
        __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();                                        \
        __m128 mins = _mm_setzero_ps();                                                                     \
        float tail = 0;                                                                                     \
        ptrdiff_t k = 0;                                                                                    \
        for (; k + 4 <= blocks; k += 4) {                                                                   \
            QT_PREFETCH(row + k * blockBytes, 4 * blockBytes);                                              \
            uint16_t h[8];                                                                                  \
            for (int i = 0; i < 4; i++) {                                                                   \
                memcpy(h + i, row + (k + i) * blockBytes, 2);                                               \
                memcpy(h + 4 + i, row + (k + i) * blockBytes + 2, 2);                                       \
            }                                                                                               \
            const __m256 dm = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h));                         \
            const __m128 d = _mm_mul_ps(_mm256_castps256_ps128(dm), _mm_loadu_ps(xd + k));                 \
            mins = _mm_fmadd_ps(_mm256_extractf128_ps(dm, 1), _mm_loadu_ps(xs + k), mins);                  \
            for (int i = 0; i < 4; i++) {                                                                   \
                const __m256i x = _mm256_loadu_si256((const __m256i *)(xq + (k + i) * 32));                  \
                const __m256i dot = QT_FN(udot)(_mm256_setzero_si256(), QT_FN(kind##_run)(row + (k + i) * blockBytes, 0), x); \
                const __m256 di = _mm256_set1_ps(_mm_cvtss_f32(_mm_permutevar_ps(d, _mm_set1_epi32(i))));   \
                if (i & 1) odd = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), di, odd);                         \
                else even = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), di, even);                             \
            }                                                                                               \
        }                                                                                                   \
        for (; k < blocks; k++) {                                                                           \
            const uint8_t *b = row + k * blockBytes;                                                        \
            const __m256i x = _mm256_loadu_si256((const __m256i *)(xq + k * 32));                            \
            const __m256i dot = QT_FN(udot)(_mm256_setzero_si256(), QT_FN(kind##_run)(b, 0), x);           \
            even = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(QT_FN(f16)(b) * xd[k]), even);   \
            tail += QT_FN(f16)(b + 2) * xs[k];                                                              \
        }                                                                                                   \
        mins = _mm_add_ps(mins, _mm_movehl_ps(mins, mins));                                                 \
        mins = _mm_add_ss(mins, _mm_movehdup_ps(mins));                                                     \
        return QT_FN(hsum)(_mm256_add_ps(even, odd)) + _mm_cvtss_f32(mins) + tail;                          \
    }

QT_ROW_MIN(q4_1, 20)
QT_ROW_MIN(q5_1, 24)

/// Q5_0 and IQ4_NL block dots for QT_ROW (d-only 32-element types, as Q8_0 and Q4_0).
ISA_TARGET static inline __m256i QT_FN(q5_0_dot)(const uint8_t *row, const int8_t *xq, const int32_t *xs, ptrdiff_t k) {
    // (q - 16) x = q x - 16 sum x: each of the 8 lanes starts at 2 * -sum x.
    const __m256i x = _mm256_loadu_si256((const __m256i *)(xq + k * 32));
    return QT_FN(udot)(_mm256_set1_epi32(2 * xs[k]), QT_FN(q5_0_run)(row + k * 22, 0), x);
}

ISA_TARGET static inline __m256i QT_FN(iq4_nl_dot)(const uint8_t *row, const int8_t *xq, const int32_t *xs, ptrdiff_t k) {
    (void)xs;
    const __m256i w = QT_FN(iq4_nl_run)(row + k * 18, 0);
    const __m256i x = _mm256_loadu_si256((const __m256i *)(xq + k * 32));
    return QT_FN(udot)(_mm256_setzero_si256(), _mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

QT_ROW(q5_0, 22)
QT_ROW(iq4_nl, 18)

/// The K-quant decode loops: per block an int32 sum of runs times their integer scales,
/// scaled once by d * dx; minimums (Q2_K, Q4_K, Q5_K) from the activation's 16-element sums.
#define QT_K_ROW_BEGIN(kind, blockBytes)                                                                    \
    ISA_TARGET static inline float QT_FN(kind##_row)(const strata_qmatmul *m, const uint8_t *row, ptrdiff_t t) { \
        const ptrdiff_t blocks = m->blocks;                                                                 \
        const int8_t *xq = m->quants + t * blocks * 256;                                                    \
        const float *xd = m->scales + t * blocks;                                                           \
        const int16_t *gs = m->groupSums + t * blocks * 16;                                                 \
        __m256 acc = _mm256_setzero_ps(), accMin = _mm256_setzero_ps();                                     \
        for (ptrdiff_t k = 0; k < blocks; k++) {                                                            \
            const uint8_t *b = row + k * blockBytes;                                                        \
            QT_PREFETCH(b, blockBytes);                                                                     \
            const int8_t *x = xq + k * 256;                                                                 \
            const __m256i sums = _mm256_loadu_si256((const __m256i *)(gs + k * 16));                        \
            __m256i isum;                                                                                   \
            (void)sums;

#define QT_K_ROW_END                                                                                        \
        }                                                                                                   \
        return QT_FN(hsum)(_mm256_sub_ps(acc, accMin));                                                     \
    }

#define QT_X(r) _mm256_loadu_si256((const __m256i *)(x + 32 * (r)))

/// isum = start + the 8 runs' scaled dots, in 4 independent chains: vpdpwssd accumulates in place,
/// and one chain of 8 (~5 cycles each) bounded a block at ~40 cycles (Q4_K decode ~13 GB/s/core).
#define QT_RUN_SUM(isum, start, dot)                                                                        \
    do {                                                                                                    \
        __m256i chain[4] = {(start), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()}; \
        for (int r = 0; r < 8; r++) chain[r & 3] = dot;                                                     \
        isum = _mm256_add_epi32(_mm256_add_epi32(chain[0], chain[1]), _mm256_add_epi32(chain[2], chain[3])); \
    } while (0)

QT_K_ROW_BEGIN(q2_K, 84)
    const __m128i packed = _mm_loadu_si128((const __m128i *)b);
    const __m128i scales = _mm_and_si128(packed, _mm_set1_epi8(0x0F));
    const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)));
    QT_RUN_SUM(isum, _mm256_setzero_si256(),
               QT_FN(scaled_udot)(chain[r & 3], QT_FN(q2_K_run)(b, r), QT_X(r), QT_FN(pair_scales)(scales, 2 * r)));
    const float d = QT_FN(f16)(b + 80) * xd[k], dmin = QT_FN(f16)(b + 82) * xd[k];
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
    accMin = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(_mm256_madd_epi16(mins, sums)), accMin);
QT_K_ROW_END

QT_K_ROW_BEGIN(q3_K, 110)
    const __m128i scales = QT_FN(q3k_scales)(b + 96);
    // The runs are stored value + 4: start at -4 * sum_j scale_j * sum_j(x).
    QT_RUN_SUM(isum, _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(_mm256_cvtepi8_epi16(scales), sums), 2)),
               QT_FN(scaled_udot)(chain[r & 3], QT_FN(q3_K_run)(b, r), QT_X(r), QT_FN(pair_scales)(scales, 2 * r)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(QT_FN(f16)(b + 108) * xd[k]), _mm256_cvtepi32_ps(isum), acc);
QT_K_ROW_END

#define QT_K4_ROW(kind, blockBytes)                                                                         \
    QT_K_ROW_BEGIN(kind, blockBytes)                                                                        \
        uint64_t scales8, mins8;                                                                            \
        QT_FN(k4_scales)(b + 4, &scales8, &mins8);                                                          \
        const __m128i mins16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mins8));                      \
        const __m256i mins = _mm256_set_m128i(_mm_unpackhi_epi16(mins16, mins16), _mm_unpacklo_epi16(mins16, mins16)); \
        const __m256i scales = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)scales8))); \
        QT_RUN_SUM(isum, _mm256_setzero_si256(),                                                            \
                   QT_FN(scaled_udot)(chain[r & 3], QT_FN(kind##_run)(b, r), QT_X(r), QT_FN(lane_scale)(scales, r))); \
        const float d = QT_FN(f16)(b) * xd[k], dmin = QT_FN(f16)(b + 2) * xd[k];                            \
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);                            \
        accMin = _mm256_fmadd_ps(_mm256_set1_ps(dmin), _mm256_cvtepi32_ps(_mm256_madd_epi16(mins, sums)), accMin); \
    QT_K_ROW_END

QT_K4_ROW(q4_K, 144)
QT_K4_ROW(q5_K, 176)

QT_K_ROW_BEGIN(q6_K, 210)
    const __m128i scales = _mm_loadu_si128((const __m128i *)(b + 192));
    // The runs are stored value + 32: start at -32 * sum_j scale_j * sum_j(x).
    QT_RUN_SUM(isum, _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(_mm256_cvtepi8_epi16(scales), sums), 5)),
               QT_FN(scaled_udot)(chain[r & 3], QT_FN(q6_K_run)(b, r), QT_X(r), QT_FN(pair_scales)(scales, 2 * r)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(QT_FN(f16)(b + 208) * xd[k]), _mm256_cvtepi32_ps(isum), acc);
QT_K_ROW_END

QT_K_ROW_BEGIN(iq4_xs, 136)
    short ls[8];
    for (int s = 0; s < 8; s++) ls[s] = (short)strata_iq4xs_scale(b, s);
    const __m256i scales = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)ls));
    QT_RUN_SUM(isum, _mm256_setzero_si256(),
               QT_FN(scaled_sdot)(chain[r & 3], QT_FN(iq4_xs_run)(b, r), QT_X(r), QT_FN(lane_scale)(scales, r)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(QT_FN(f16)(b) * xd[k]), _mm256_cvtepi32_ps(isum), acc);
QT_K_ROW_END

#undef QT_X
#undef QT_RUN_SUM
#undef QT_K4_ROW
#undef QT_K_ROW_BEGIN
#undef QT_K_ROW_END
#undef QT_ROW_MIN

// MARK: Decode in pairs of 32-element blocks
//
// A 32-element block's 16 bytes of nibbles fill half a register. Reading two blocks A and B
// into one register, with the token's activations rearranged once per call to match (elements
// 0...15 of A then of B in one register, 16...31 in another), halves the instructions per block
// of the 4-bit 32-element types: one dot-product pair, one conversion and one FMA serve both.

#ifndef STRATA_PAIRX
#define STRATA_PAIRX
/// A token's activations for blocks 2p and 2p + 1 (A and B): `lo` = elements 0...15 of A then
/// of B, `hi` = elements 16...31 of each; `start` the integer offset term of A in lanes 0...3,
/// of B in lanes 4...7; `xd` the scales of A and B in lanes 0 and 2, `s` Q8_1's scaled sums of A and B in
/// lanes 1 and 3 (the lanes of the weights' d and m after vcvtph2ps).
typedef struct {
    int8_t lo[32], hi[32];
    int32_t start[8];
    float xd[4];
    float s[4];
} strata_pairx;
#endif

/// Token t's activations as pairs; each lane of `start` is `lane` times its block's -sum(x)
/// (so that the lanes that meet a block's elements add up to its offset times -sum(x)).
ISA_TARGET static inline void QT_FN(pair_prepare)(const strata_qmatmul *m, ptrdiff_t t, int lane, strata_pairx *px) {
    const ptrdiff_t blocks = m->blocks;
    const int8_t *xq = m->quants + t * blocks * 32;
    const float *xd = m->scales + t * blocks, *xs = m->scaledSums + t * blocks;
    const int32_t *neg = m->negatedSums + t * blocks;
    for (ptrdiff_t p = 0; p < blocks / 2; p++) {
        const int8_t *a = xq + 64 * p;
        _mm256_storeu_si256((__m256i *)px[p].lo, _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(a + 32)),
                                                                _mm_loadu_si128((const __m128i *)a)));
        _mm256_storeu_si256((__m256i *)px[p].hi, _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(a + 48)),
                                                                _mm_loadu_si128((const __m128i *)(a + 16))));
        _mm256_storeu_si256((__m256i *)px[p].start, _mm256_set_m128i(_mm_set1_epi32(lane * neg[2 * p + 1]), _mm_set1_epi32(lane * neg[2 * p])));
        _mm_storeu_ps(px[p].xd, _mm_setr_ps(xd[2 * p], 0, xd[2 * p + 1], 0));
        _mm_storeu_ps(px[p].s, _mm_setr_ps(0, xs[2 * p], 0, xs[2 * p + 1]));
    }
}

/// Two blocks' 32 nibbles at `qs` (block A) and `qs + stride` (B): elements 0...15 of A and B in
/// `lo`, 16...31 in `hi`.
ISA_TARGET static inline void QT_FN(pair_nibbles)(const uint8_t *qs, ptrdiff_t stride, __m256i *lo, __m256i *hi) {
    const __m256i q = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(qs + stride)), _mm_loadu_si128((const __m128i *)qs));
    *lo = _mm256_and_si256(q, _mm256_set1_epi8(0x0F));
    *hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0F));
}

/// Adds Q5's fifth bits of blocks A (`qh`) and B (`qh + stride`) to pair nibbles.
ISA_TARGET static inline void QT_FN(pair_bits)(const uint8_t *qh, ptrdiff_t stride, __m256i *lo, __m256i *hi) {
    const __m256i a = QT_FN(bits32)(qh), b = QT_FN(bits32)(qh + stride);
    *lo = _mm256_or_si256(*lo, _mm256_permute2x128_si256(a, b, 0x20));
    *hi = _mm256_or_si256(*hi, _mm256_permute2x128_si256(a, b, 0x31));
}

ISA_TARGET static inline void QT_FN(q4_0_pair)(const uint8_t *b, __m256i *lo, __m256i *hi) { QT_FN(pair_nibbles)(b + 2, 18, lo, hi); }
ISA_TARGET static inline void QT_FN(q4_1_pair)(const uint8_t *b, __m256i *lo, __m256i *hi) { QT_FN(pair_nibbles)(b + 4, 20, lo, hi); }
ISA_TARGET static inline void QT_FN(q5_0_pair)(const uint8_t *b, __m256i *lo, __m256i *hi) {
    QT_FN(pair_nibbles)(b + 6, 22, lo, hi);
    QT_FN(pair_bits)(b + 2, 22, lo, hi);
}
/// IQ4_NL as signed table values.
ISA_TARGET static inline void QT_FN(iq4_nl_pair)(const uint8_t *b, __m256i *lo, __m256i *hi) {
    QT_FN(pair_nibbles)(b + 2, 18, lo, hi);
    *lo = _mm256_shuffle_epi8(QT_FN(iq4_table)(), *lo);
    *hi = _mm256_shuffle_epi8(QT_FN(iq4_table)(), *hi);
}

/// One row times one prepared token, two blocks a step. `ordered` types keep exactly the float
/// operations of the one-block row kernels (QuantTiles.h's QT_ROW, QT_ROW_MIN above): per group
/// of 4 blocks, even and odd blocks in two 8-lane accumulators (lanes of 4-element integer sums,
/// times d * dx), the minimums' m * s fused into 4 lanes by block position; blocks past the last
/// group of 4 go to the even accumulator and a scalar; then (sum of lanes) + minimums + scalar.
/// So a row gives the same result whichever path reads it (an odd block count falls back to the
/// one-block kernel). Q4_0, Q5_0 and IQ4_NL take a faster form: one dot chain per pair, ~15% faster.
/// The two blocks' f16 headers (d, and m for the `_1` types) are read as two 32-bit words and
/// converted by one vcvtph2ps: d of A and B land in lanes 0 and 2, their minimums (or unused
/// bytes) in lanes 1 and 3.
#define QT_PAIR_ROW(kind, blockBytes, isSigned, hasMin, ordered)                                            \
    ISA_TARGET static inline float QT_FN(kind##_prow)(const uint8_t *row, const strata_pairx *px, ptrdiff_t pairs) { \
        __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();                                        \
        __m128 minsEven = _mm_setzero_ps(), minsOdd = _mm_setzero_ps();                                      \
        float tail = 0;                                                                                     \
        const __m256i spread = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2);                                   \
        const ptrdiff_t grouped = (2 * pairs) / 4 * 2; /* pairs inside whole groups of 4 blocks */          \
        for (ptrdiff_t p = 0; p < pairs; p++) {                                                             \
            const uint8_t *b = row + 2 * p * blockBytes;                                                    \
            QT_PREFETCH(b, 2 * blockBytes);                                                                 \
            __m256i lo, hi;                                                                                 \
            QT_FN(kind##_pair)(b, &lo, &hi);                                                                \
            const __m256i xlo = _mm256_loadu_si256((const __m256i *)px[p].lo);                              \
            const __m256i xhi = _mm256_loadu_si256((const __m256i *)px[p].hi);                              \
            const __m256i start = _mm256_loadu_si256((const __m256i *)px[p].start);                         \
            /* ordered: elements 0...15 (lo) and 16...31 (hi) in separate lanes, each lane started. */     \
            __m256i dlo, dhi;                                                                               \
            if (isSigned) {                                                                                 \
                dlo = QT_FN(udot)(start, _mm256_sign_epi8(lo, lo), _mm256_sign_epi8(xlo, lo));              \
                dhi = QT_FN(udot)(ordered ? start : dlo, _mm256_sign_epi8(hi, hi), _mm256_sign_epi8(xhi, hi)); \
            } else {                                                                                        \
                dlo = QT_FN(udot)(start, lo, xlo);                                                          \
                dhi = QT_FN(udot)(ordered ? start : dlo, hi, xhi);                                          \
            }                                                                                               \
            uint32_t wa, wb;                                                                                \
            memcpy(&wa, b, 4);                                                                              \
            memcpy(&wb, b + blockBytes, 4);                                                                 \
            const __m128 h = _mm_cvtph_ps(_mm_setr_epi32((int)wa, (int)wb, 0, 0));                          \
            const __m128 d = _mm_mul_ps(h, _mm_loadu_ps(px[p].xd));                                         \
            if (ordered) {                                                                                  \
                /* Block A's lanes are the low halves of dlo and dhi, B's the high halves. */              \
                const __m256 a = _mm256_cvtepi32_ps(_mm256_permute2x128_si256(dlo, dhi, 0x20));            \
                const __m256 c = _mm256_cvtepi32_ps(_mm256_permute2x128_si256(dlo, dhi, 0x31));            \
                even = _mm256_fmadd_ps(a, _mm256_broadcastss_ps(d), even);                                  \
                if (p < grouped) odd = _mm256_fmadd_ps(c, _mm256_broadcastss_ps(_mm_movehl_ps(d, d)), odd); \
                else even = _mm256_fmadd_ps(c, _mm256_broadcastss_ps(_mm_movehl_ps(d, d)), even);          \
            } else {                                                                                        \
                /* dhi holds both halves' sums: A in lanes 0...3, B in 4...7. */                            \
                const __m256 dd = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(d), spread);              \
                if (p & 1) odd = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dhi), dd, odd);                         \
                else even = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dhi), dd, even);                             \
            }                                                                                               \
            if (hasMin) {                                                                                   \
                if (p < grouped) {                                                                          \
                    if (p & 1) minsOdd = _mm_fmadd_ps(h, _mm_loadu_ps(px[p].s), minsOdd);                   \
                    else minsEven = _mm_fmadd_ps(h, _mm_loadu_ps(px[p].s), minsEven);                       \
                } else {                                                                                    \
                    const __m128 ms = _mm_loadu_ps(px[p].s);                                                \
                    tail = fmaf(_mm_cvtss_f32(_mm_movehdup_ps(h)), _mm_cvtss_f32(_mm_movehdup_ps(ms)), tail); \
                    tail = fmaf(_mm_cvtss_f32(_mm_permute_ps(h, 3)), _mm_cvtss_f32(_mm_permute_ps(ms, 3)), tail); \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
        /* The 4 lanes of minimums by block position: even pairs hold blocks 0, 1 (lanes 1, 3), odd 2, 3. */ \
        const float m0 = _mm_cvtss_f32(_mm_movehdup_ps(minsEven)), m1 = _mm_cvtss_f32(_mm_permute_ps(minsEven, 3)); \
        const float m2 = _mm_cvtss_f32(_mm_movehdup_ps(minsOdd)), m3 = _mm_cvtss_f32(_mm_permute_ps(minsOdd, 3)); \
        return QT_FN(hsum)(_mm256_add_ps(even, odd)) + ((m0 + m2) + (m1 + m3)) + tail;                      \
    }

// kind, block bytes, signed quants, minimum, the one-block kernels' order
QT_PAIR_ROW(q4_0, 18, 0, 0, 0)
QT_PAIR_ROW(q4_1, 20, 0, 1, 1)
QT_PAIR_ROW(q5_0, 22, 0, 0, 0)
QT_PAIR_ROW(iq4_nl, 18, 1, 0, 0)
#undef QT_PAIR_ROW

/// Pairs prepared on the stack for rows up to this many blocks (16384 columns: 36 KiB); wider
/// rows take the one-block row kernel.
#define QT_PAIR_MAX_BLOCKS 512

/// One token over rows [row0, row1) through pairs when the row is an even number of blocks;
/// returns 0 when it is not (the caller then takes the one-block kernel). `lane` is the offset
/// per start lane: each element of an `ordered` pair meets two started lanes' worth (offset / 8
/// each, as the one-block kernels start every lane), of an unordered pair one (offset / 4).
#define QT_PAIR_TOKEN(kind, lane)                                                                           \
    ISA_TARGET static int QT_FN(kind##_pairs)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1, ptrdiff_t t) { \
        if (m->blocks % 2 != 0 || m->blocks > QT_PAIR_MAX_BLOCKS) return 0;                               \
        strata_pairx px[QT_PAIR_MAX_BLOCKS / 2];                                                           \
        QT_FN(pair_prepare)(m, t, lane, px);                                                                \
        for (ptrdiff_t r = row0; r < row1; r++)                                                             \
            m->out[t * m->outStride + r] = QT_FN(kind##_prow)(m->weight + r * m->rowBytes, px, m->blocks / 2); \
        return 1;                                                                                           \
    }

// kind, per-lane start (Q4_0's quants are value + 8, unordered: 8 / 4; Q5_0's value + 16: 16 / 4).
// Q5_1 reads one block at a time: its ordered pairs measured no faster (two fifth-bit spreads).
QT_PAIR_TOKEN(q4_0, 2)
QT_PAIR_TOKEN(q4_1, 0)
QT_PAIR_TOKEN(q5_0, 4)
QT_PAIR_TOKEN(iq4_nl, 0)
#undef QT_PAIR_TOKEN

/// Q4_0: pairs for one token, otherwise QuantTiles.h's register tiles.
#define QT_DRIVER_PAIRS(kind)                                                                             \
    ISA_TARGET static void QT_FN(kind)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1,           \
                                       ptrdiff_t token0, ptrdiff_t token1) {                              \
        if (token1 - token0 == 1 && QT_FN(kind##_pairs)(m, row0, row1, token0)) return;                    \
        QT_FN(kind##_tiles)(m, row0, row1, token0, token1);                                               \
    }

/// Any rectangle of a type with a row kernel: each (row, token) through it, rows outer so a
/// row stays in L1 across the tokens of a small batch.
#define QT_ROWS_DRIVER(kind)                                                                              \
    ISA_TARGET static void QT_FN(kind)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1,           \
                                       ptrdiff_t token0, ptrdiff_t token1) {                              \
        if (token1 - token0 == 1 && QT_PAIRS_##kind(m, row0, row1, token0)) return;                        \
        for (ptrdiff_t r = row0; r < row1; r++) {                                                         \
            const uint8_t *row = m->weight + r * m->rowBytes;                                             \
            for (ptrdiff_t t = token0; t < token1; t++) m->out[t * m->outStride + r] = QT_FN(kind##_row)(m, row, t); \
        }                                                                                                 \
    }

// Which types read single tokens in pairs of blocks.
#define QT_PAIRS_q4_1 QT_FN(q4_1_pairs)
#define QT_PAIRS_q5_0 QT_FN(q5_0_pairs)
#define QT_PAIRS_q5_1 QT_NO_PAIRS
#define QT_PAIRS_iq4_nl QT_FN(iq4_nl_pairs)
#define QT_NO_PAIRS(m, row0, row1, t) 0
#define QT_PAIRS_q2_K QT_NO_PAIRS
#define QT_PAIRS_q3_K QT_NO_PAIRS
#define QT_PAIRS_q4_K QT_NO_PAIRS
#define QT_PAIRS_q5_K QT_NO_PAIRS
#define QT_PAIRS_q6_K QT_NO_PAIRS
#define QT_PAIRS_iq4_xs QT_NO_PAIRS

QT_DRIVER_PAIRS(q4_0)
QT_ROWS_DRIVER(q4_1)
QT_ROWS_DRIVER(q5_0)
QT_ROWS_DRIVER(q5_1)
QT_ROWS_DRIVER(iq4_nl)
QT_ROWS_DRIVER(q2_K)
QT_ROWS_DRIVER(q3_K)
QT_ROWS_DRIVER(q4_K)
QT_ROWS_DRIVER(q5_K)
QT_ROWS_DRIVER(q6_K)
QT_ROWS_DRIVER(iq4_xs)
#undef QT_ROWS_DRIVER
#undef QT_DRIVER_PAIRS
#undef QT_NO_PAIRS
#undef QT_PAIRS_q4_1
#undef QT_PAIRS_q5_0
#undef QT_PAIRS_q5_1
#undef QT_PAIRS_iq4_nl
#undef QT_PAIRS_q2_K
#undef QT_PAIRS_q3_K
#undef QT_PAIRS_q4_K
#undef QT_PAIRS_q5_K
#undef QT_PAIRS_q6_K
#undef QT_PAIRS_iq4_xs
#undef QT_PAIR_MAX_BLOCKS

// MARK: Panels (batches)
//
// A panel holds 8 rows. Per sub-block of S columns (16 or 32): S/4 groups of 32 bytes (group g:
// columns 4g...4g+3 of rows 0...7, row r at byte 4r), then the rows' scales a (8 f32), biases b
// (8 f32) and, for signed weights with VNNI, -128 * the sum of each row's quants (8 i32).

#define UP_SUB_BYTES(S) (8 * (S) + 96)

#define STRATA_HEADER_NAME QT_FN(header)
#define STRATA_HEADER_ATTR ISA_TARGET static inline
#define STRATA_HEADER_F16 QT_FN(f16)
#include "../portable/Header.h"

/// Transposes 8 rows' 32-byte runs into the 8 groups of a panel: group g gets dword g of each row.
ISA_TARGET static inline void QT_FN(transpose_store)(__m256i v[8], uint8_t *groups0, uint8_t *groups1) {
    const __m256i t0 = _mm256_unpacklo_epi32(v[0], v[1]), t1 = _mm256_unpackhi_epi32(v[0], v[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(v[2], v[3]), t3 = _mm256_unpackhi_epi32(v[2], v[3]);
    const __m256i t4 = _mm256_unpacklo_epi32(v[4], v[5]), t5 = _mm256_unpackhi_epi32(v[4], v[5]);
    const __m256i t6 = _mm256_unpacklo_epi32(v[6], v[7]), t7 = _mm256_unpackhi_epi32(v[6], v[7]);
    const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    const __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    const __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    // u0: dword 0 of rows 0-3 | dword 4 of rows 0-3 ... (per 128-bit half); join the halves.
    __m256i *g0 = (__m256i *)groups0, *g1 = (__m256i *)groups1;
    _mm256_storeu_si256(g0 + 0, _mm256_permute2x128_si256(u0, u4, 0x20));
    _mm256_storeu_si256(g0 + 1, _mm256_permute2x128_si256(u1, u5, 0x20));
    _mm256_storeu_si256(g0 + 2, _mm256_permute2x128_si256(u2, u6, 0x20));
    _mm256_storeu_si256(g0 + 3, _mm256_permute2x128_si256(u3, u7, 0x20));
    _mm256_storeu_si256(g1 + 0, _mm256_permute2x128_si256(u0, u4, 0x31));
    _mm256_storeu_si256(g1 + 1, _mm256_permute2x128_si256(u1, u5, 0x31));
    _mm256_storeu_si256(g1 + 2, _mm256_permute2x128_si256(u2, u6, 0x31));
    _mm256_storeu_si256(g1 + 3, _mm256_permute2x128_si256(u3, u7, 0x31));
}

/// -128 * the sum of 16 signed quants (for VNNI's unsigned activations).
ISA_TARGET static inline int32_t QT_FN(neg128_sum)(__m128i q) {
    const __m128i sad = _mm_sad_epu8(_mm_xor_si128(q, _mm_set1_epi8((char)0x80)), _mm_setzero_si128());
    return -128 * ((int32_t)(_mm_cvtsi128_si32(sad) + _mm_extract_epi32(sad, 2)) - 16 * 128);
}

/// Packs rows [row0, row0 + 8) of `type`: runs from `run`, scales and biases from the block header.
ISA_TARGET __attribute__((always_inline)) static inline void
QT_FN(up_pack)(const strata_qmatmul *m, ptrdiff_t row0, uint8_t *panel, const int type,
               __m256i (*run)(const uint8_t *, int), const int sub, const int sign) {
    const int n = strata_qtype_block_elements(type), runs = n / 32, subs = n / sub;
    const ptrdiff_t blockBytes = strata_block_bytes[type];
    float a[16], bias[16];
    for (ptrdiff_t k = 0; k < m->blocks; k++) {
        uint8_t *blockPanel = panel + k * subs * UP_SUB_BYTES(sub);
        for (int r = 0; r < 8; r++) {
            QT_FN(header)(type, m->weight + (row0 + r) * m->rowBytes + k * blockBytes, a, bias);
            for (int s = 0; s < subs; s++) {
                float *ab = (float *)(blockPanel + s * UP_SUB_BYTES(sub) + 8 * sub);
                ab[r] = a[s];
                ab[8 + r] = bias[s];
            }
        }
        for (int rr = 0; rr < runs; rr++) {
            __m256i v[8];
            for (int r = 0; r < 8; r++) v[r] = run(m->weight + (row0 + r) * m->rowBytes + k * blockBytes, rr);
            uint8_t *g0, *g1;
            if (sub == 32) {
                g0 = blockPanel + rr * UP_SUB_BYTES(32);
                g1 = g0 + 4 * 32;
            } else {
                g0 = blockPanel + 2 * rr * UP_SUB_BYTES(16);
                g1 = g0 + UP_SUB_BYTES(16);
            }
            QT_FN(transpose_store)(v, g0, g1);
            if (sign) {
                for (int r = 0; r < 8; r++) {
                    const __m128i lo = _mm256_castsi256_si128(v[r]), hi = _mm256_extracti128_si256(v[r], 1);
                    if (sub == 32) {
                        ((int32_t *)(g0 + 8 * 32 + 64))[r] = QT_FN(neg128_sum)(lo) + QT_FN(neg128_sum)(hi);
                    } else {
                        ((int32_t *)(g0 + 8 * 16 + 64))[r] = QT_FN(neg128_sum)(lo);
                        ((int32_t *)(g1 + 8 * 16 + 64))[r] = QT_FN(neg128_sum)(hi);
                    }
                }
            }
        }
    }
}

/// Bias modes of the panel kernel: no bias; bias times the activation's exact block sum; bias
/// times Q8_1's f16 scaled sum (as llama.cpp computes Q4_1 and Q5_1).
#ifndef UP_NO_BIAS
#define UP_NO_BIAS 0
#define UP_EXACT_BIAS 1
#define UP_SCALED_BIAS 2
#endif

/// Tokens t0 ... t0 + rn - 1 times a packed panel of 8 rows (rn <= PANEL_RN, a constant).
ISA_TARGET __attribute__((always_inline)) static inline void
QT_FN(up_tile)(const strata_qmatmul *m, const uint8_t *panel, ptrdiff_t row0, ptrdiff_t t0, const int rn,
               const int n, const int sub, const int sign, const int biasMode, const int offset, const int sum16) {
    const ptrdiff_t blocks = m->blocks;
    const int subs = n / sub;
    __m256 acc[PANEL_RN], blockAcc[PANEL_RN];
    for (int t = 0; t < rn; t++) acc[t] = _mm256_setzero_ps();
    const __m256i bias = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    (void)bias;
    (void)ones;
    (void)sum16;
    for (ptrdiff_t k = 0; k < blocks; k++) {
        for (int t = 0; t < rn; t++) blockAcc[t] = _mm256_setzero_ps();
        for (int s = 0; s < subs; s++) {
            const uint8_t *sp = panel + (k * subs + s) * UP_SUB_BYTES(sub);
            __m256i dot[PANEL_RN];
            for (int t = 0; t < rn; t++) {
                dot[t] = (sign && ISA_VNNI) ? _mm256_loadu_si256((const __m256i *)(sp + 8 * sub + 64)) : _mm256_setzero_si256();
                if (offset) {
                    // Runs stored as value + offset (a power of two): every row's lane starts at
                    // -offset * sum(x), broadcast from the activations' negated sums and shifted.
                    const ptrdiff_t tb = (t0 + t) * blocks + k;
                    const int32_t *neg = n == 32 ? m->negatedSums + tb : m->negatedGroupSums + tb * 16 + s * (sub / 16);
                    __m256i start = _mm256_set1_epi32(*neg);
                    if (n == 256 && sub == 32) start = _mm256_add_epi32(start, _mm256_set1_epi32(neg[1]));
                    dot[t] = _mm256_slli_epi32(start, __builtin_ctz(offset));
                }
            }
#if !ISA_VNNI
            __m256i pairs[PANEL_RN];  // AVX2: vpmaddubsw pairs summed in 16 bits over `sum16` groups
#endif
            for (int g = 0; g < sub / 4; g++) {
                const __m256i w = _mm256_loadu_si256((const __m256i *)(sp + 32 * g));
                const __m256i magnitude = _mm256_sign_epi8(w, w);  // AVX2, signed weights only
                (void)magnitude;
                for (int t = 0; t < rn; t++) {
                    int32_t x4;
                    memcpy(&x4, m->quants + (t0 + t) * blocks * n + k * n + s * sub + 4 * g, 4);
                    const __m256i x = _mm256_set1_epi32(x4);
#if ISA_VNNI
                    dot[t] = sign ? _mm256_dpbusd_epi32(dot[t], _mm256_xor_si256(x, bias), w) : _mm256_dpbusd_epi32(dot[t], w, x);
#else
                    const __m256i p = sign ? _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(x, w)) : _mm256_maddubs_epi16(w, x);
                    pairs[t] = g % sum16 == 0 ? p : _mm256_add_epi16(pairs[t], p);
                    if ((g + 1) % sum16 == 0) dot[t] = _mm256_add_epi32(dot[t], _mm256_madd_epi16(ones, pairs[t]));
#endif
                }
            }
            const __m256 a = _mm256_loadu_ps((const float *)(sp + 8 * sub)), b = _mm256_loadu_ps((const float *)(sp + 8 * sub + 32));
            for (int t = 0; t < rn; t++) {
                const ptrdiff_t tb = (t0 + t) * blocks + k;
                if (n == 32) {
                    // One sub-block per activation block: scale by a * dx now.
                    acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[t]), _mm256_mul_ps(a, _mm256_broadcast_ss(m->scales + tb)), acc[t]);
                    if (biasMode == UP_SCALED_BIAS) acc[t] = _mm256_fmadd_ps(b, _mm256_broadcast_ss(m->scaledSums + tb), acc[t]);
                    if (biasMode == UP_EXACT_BIAS) {
                        acc[t] = _mm256_fmadd_ps(b, _mm256_set1_ps(-(float)m->negatedSums[tb] * m->scales[tb]), acc[t]);
                    }
                } else {
                    blockAcc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[t]), a, blockAcc[t]);
                    if (biasMode != UP_NO_BIAS) {
                        const float *sums = m->floatGroupSums + tb * 16 + s * (sub / 16);
                        blockAcc[t] = _mm256_fmadd_ps(b, _mm256_broadcast_ss(sums), blockAcc[t]);
                        if (sub == 32) blockAcc[t] = _mm256_fmadd_ps(b, _mm256_broadcast_ss(sums + 1), blockAcc[t]);
                    }
                }
            }
        }
        if (n == 256) {
            for (int t = 0; t < rn; t++) {
                acc[t] = _mm256_fmadd_ps(blockAcc[t], _mm256_broadcast_ss(m->scales + (t0 + t) * blocks + k), acc[t]);
            }
        }
    }
    for (int t = 0; t < rn; t++) _mm256_storeu_ps(m->out + (t0 + t) * m->outStride + row0, acc[t]);
}

#define UP_CASE(kind, c) case c: QT_FN(up_tile)(m, (const uint8_t *)scratch, row0, t, c, N, SUB, SIGN, BIAS, OFFSET, SUM16); break;
#define UP_PANEL(kind, type, n, sub, sign, biasMode, offset, sum16)                                       \
    ISA_TARGET static void QT_FN(kind##_panel)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t token0,  \
                                               ptrdiff_t token1, void *scratch) {                         \
        enum { N = n, SUB = sub, SIGN = sign, BIAS = biasMode, OFFSET = offset, SUM16 = sum16 };          \
        QT_FN(up_pack)(m, row0, (uint8_t *)scratch, type, QT_FN(kind##_run), SUB, SIGN);                   \
        for (ptrdiff_t t = token0; t < token1; t += PANEL_RN) {                                           \
            const int rn = token1 - t < PANEL_RN ? (int)(token1 - t) : PANEL_RN;                          \
            switch (rn) {                                                                                 \
                UP_CASE(kind, 1) UP_CASE(kind, 2) UP_CASE(kind, 3) UP_CASE(kind, 4)                       \
                UP_CASE(kind, 5) UP_CASE(kind, 6) UP_CASE(kind, 7) UP_CASE(kind, 8)                       \
                default: break;                                                                           \
            }                                                                                             \
        }                                                                                                 \
    }

// kind, type, block, sub-block, signed, bias (minimums), run offset (Q5_0 runs are q + 16, Q3_K's
// q + 4, Q6_K's q + 32, unsigned Q8_0's q + 128: the integer dot starts at -offset * sum(x)), and
// for AVX2 how many 4-column groups of vpmaddubsw pairs add up in 16 bits (2 * groups * max |q| *
// 127 < 2^15: 8 for 4-bit runs, 4 for 5-bit, 2 for 6-bit, 1 with the sign trick).
#if ISA_VNNI
// vpdpbusd takes unsigned weights as they are: no per-token flip of the activations.
UP_PANEL(q8_0u, STRATA_Q8_0, 32, 32, 0, UP_NO_BIAS, 128, 1)
#else
// vpmaddubsw would saturate on unsigned Q8_0 (255 * 127 * 2): signed runs and the sign trick.
UP_PANEL(q8_0s, STRATA_Q8_0, 32, 32, 1, UP_NO_BIAS, 0, 1)
#endif
UP_PANEL(q4_0u, STRATA_Q4_0, 32, 32, 0, UP_NO_BIAS, 8, 8)
UP_PANEL(q4_1, STRATA_Q4_1, 32, 32, 0, UP_SCALED_BIAS, 0, 8)
UP_PANEL(q5_0, STRATA_Q5_0, 32, 32, 0, UP_NO_BIAS, 16, 4)
UP_PANEL(q5_1, STRATA_Q5_1, 32, 32, 0, UP_SCALED_BIAS, 0, 4)
UP_PANEL(iq4_nl, STRATA_IQ4_NL, 32, 32, 1, UP_NO_BIAS, 0, 1)
UP_PANEL(q2_K, STRATA_Q2_K, 256, 16, 0, UP_EXACT_BIAS, 0, 4)
UP_PANEL(q3_K, STRATA_Q3_K, 256, 16, 0, UP_NO_BIAS, 4, 4)
UP_PANEL(q4_K, STRATA_Q4_K, 256, 32, 0, UP_EXACT_BIAS, 0, 8)
UP_PANEL(q5_K, STRATA_Q5_K, 256, 32, 0, UP_EXACT_BIAS, 0, 4)
UP_PANEL(q6_K, STRATA_Q6_K, 256, 16, 0, UP_NO_BIAS, 32, 2)
UP_PANEL(iq4_xs, STRATA_IQ4_XS, 256, 32, 1, UP_NO_BIAS, 0, 1)

#undef UP_PANEL
#undef UP_CASE
#undef UP_SUB_BYTES
