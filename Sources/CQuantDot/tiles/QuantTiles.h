// The x86 register tiles of Q8_0 and Q4_0 (small batches, and Q8_0's single-token rows), written
// once and compiled once per instruction set: QuantDot.c includes this file with ISA (a name
// suffix), ISA_TARGET (the function attribute), ISA_VNNI (0 or 1), MAIN_RM x MAIN_RN (the
// register tile: weight rows x tokens, each at most 4) and PANEL_RN (tokens per panel tile, at
// most 8, for TypeKernels.h) defined.
//
// Per 32-element block and (row, token) pair the integer dot product is exact in int32; it is
// converted once and multiplied by the two scales: acc += float(dot) * (dw * dx), ggml's order.
// A register tile reads each weight block once for MAIN_RN tokens and each activation block
// once for MAIN_RM rows.

#define QT_GLUE_(a, b) a##_##b
#define QT_GLUE(a, b) QT_GLUE_(a, b)
#define QT_FN(name) QT_GLUE(name, ISA)

#ifndef QT_PREFETCH_DISTANCE
/// Bytes ahead of the block being read (measured: ~8% on Q4_K_M decode with 2 threads).
#define QT_PREFETCH_DISTANCE 4096
#endif
/// Decode reads rows back to back, one stream per thread: prefetching a fixed distance ahead
/// of each block keeps the stream's requests in flight across row and chunk starts.
#define QT_PREFETCH(b, blockBytes)                                                                          \
    do {                                                                                                    \
        if (QT_PREFETCH_DISTANCE > 0)                                                                       \
            for (int line = 0; line < (blockBytes); line += 64)                                             \
                _mm_prefetch((const char *)(b) + QT_PREFETCH_DISTANCE + line, _MM_HINT_T0);                 \
    } while (0)


ISA_TARGET static inline float QT_FN(hsum)(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

ISA_TARGET static inline __m256 QT_FN(scale)(const uint8_t *block) {
    uint16_t h;
    memcpy(&h, block, 2);
    return _mm256_set1_ps(_cvtsh_ss(h));
}

/// Adds block k of rows r0 + [0, rm) times tokens t0 + [0, rn) to `acc` (Q8_0 weights).
ISA_TARGET __attribute__((always_inline)) static inline void
QT_FN(q8_0_block)(const strata_qmatmul *m, const uint8_t *w, const int8_t *xq, const float *xd, ptrdiff_t k,
                  const int rm, const int rn, __m256 acc[4][4]) {
    const ptrdiff_t blocks = m->blocks, rowBytes = m->rowBytes;
#if ISA_VNNI
    // vpdpbusd multiplies unsigned by signed bytes: the activations go in as x + 128 and each
    // row's 128 * sum(w) is subtracted up front (the accumulator's start value), exactly.
    const __m256i bias = _mm256_set1_epi8((char)0x80);
#else
    // vpmaddubsw multiplies unsigned by signed bytes: |w| times x with w's sign.
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    __m256i wq[4], wu[4];
    __m256 dw[4];
    for (int r = 0; r < rm; r++) {
        const uint8_t *b = w + r * rowBytes + k * 34;
        dw[r] = QT_FN(scale)(b);
        wq[r] = _mm256_loadu_si256((const __m256i *)(b + 2));
#if ISA_VNNI
        wu[r] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(_mm256_setzero_si256(), bias, wq[r]));
#else
        wu[r] = _mm256_sign_epi8(wq[r], wq[r]);
#endif
    }
    for (int t = 0; t < rn; t++) {
        const __m256i x = _mm256_loadu_si256((const __m256i *)(xq + t * blocks * 32 + k * 32));
        const __m256 dx = _mm256_broadcast_ss(xd + t * blocks + k);
#if ISA_VNNI
        const __m256i xu = _mm256_xor_si256(x, bias);
#endif
        for (int r = 0; r < rm; r++) {
#if ISA_VNNI
            const __m256i dot = _mm256_dpbusd_epi32(wu[r], xu, wq[r]);
#else
            const __m256i dot = _mm256_madd_epi16(ones, _mm256_maddubs_epi16(wu[r], _mm256_sign_epi8(x, wq[r])));
#endif
            acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(dw[r], dx), acc[r][t]);
        }
    }
}

/// Adds block k of rows r0 + [0, rm) times tokens t0 + [0, rn) to `acc` (Q4_0 weights). Nibbles n
/// go in unsigned: sum (n - 8) x is sum n x - 8 sum x, and the integer accumulator starts at
/// -sum x in each of its 8 lanes.
ISA_TARGET __attribute__((always_inline)) static inline void
QT_FN(q4_0_block)(const strata_qmatmul *m, const uint8_t *w, const int8_t *xq, const float *xd, ptrdiff_t k,
                  const int rm, const int rn, __m256 acc[4][4]) {
    const ptrdiff_t blocks = m->blocks, rowBytes = m->rowBytes;
    const int32_t *xs = m->negatedSums + (xd - m->scales);
    const __m256i low = _mm256_set1_epi8(0x0F);
#if !ISA_VNNI
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    __m256i wq[4];
    __m256 dw[4];
    for (int r = 0; r < rm; r++) {
        const uint8_t *b = w + r * rowBytes + k * 18;
        dw[r] = QT_FN(scale)(b);
        const __m128i packed = _mm_loadu_si128((const __m128i *)(b + 2));
        // Elements 0...15 are the low nibbles, 16...31 the high ones.
        wq[r] = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low);
    }
    for (int t = 0; t < rn; t++) {
        const __m256i x = _mm256_loadu_si256((const __m256i *)(xq + t * blocks * 32 + k * 32));
        const __m256 dx = _mm256_broadcast_ss(xd + t * blocks + k);
        const __m256i start = _mm256_set1_epi32(xs[t * blocks + k]);
        for (int r = 0; r < rm; r++) {
#if ISA_VNNI
            const __m256i dot = _mm256_dpbusd_epi32(start, wq[r], x);
#else
            const __m256i dot = _mm256_add_epi32(start, _mm256_madd_epi16(ones, _mm256_maddubs_epi16(wq[r], x)));
#endif
            acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(dw[r], dx), acc[r][t]);
        }
    }
}

/// A rm x rn tile (rm <= MAIN_RM, rn <= MAIN_RN, both constants after inlining). Small tiles
/// (decode: one token) take blocks in pairs into two accumulator sets, so consecutive blocks do
/// not wait on one FMA chain, and each row is read as one forward stream.
#define QT_TILE(kind)                                                                                       \
    ISA_TARGET __attribute__((always_inline)) static inline void                                           \
    QT_FN(kind##_tile)(const strata_qmatmul *m, ptrdiff_t r0, ptrdiff_t t0, const int rm, const int rn) {  \
        const uint8_t *w = m->weight + r0 * m->rowBytes;                                                   \
        const int8_t *xq = m->quants + t0 * m->blocks * 32;                                                \
        const float *xd = m->scales + t0 * m->blocks;                                                      \
        __m256 acc[4][4], odd[4][4]; /* only [rm][rn] is used: registers */                                \
        for (int r = 0; r < rm; r++)                                                                       \
            for (int t = 0; t < rn; t++) acc[r][t] = odd[r][t] = _mm256_setzero_ps();                      \
        ptrdiff_t k = 0;                                                                                   \
        if (rm * rn <= 2) {                                                                                \
            for (; k + 2 <= m->blocks; k += 2) {                                                           \
                QT_FN(kind##_block)(m, w, xq, xd, k, rm, rn, acc);                                         \
                QT_FN(kind##_block)(m, w, xq, xd, k + 1, rm, rn, odd);                                     \
            }                                                                                              \
        }                                                                                                  \
        for (; k < m->blocks; k++) QT_FN(kind##_block)(m, w, xq, xd, k, rm, rn, acc);                      \
        for (int t = 0; t < rn; t++)                                                                       \
            for (int r = 0; r < rm; r++)                                                                   \
                m->out[(t0 + t) * m->outStride + r0 + r] = QT_FN(hsum)(_mm256_add_ps(acc[r][t], odd[r][t])); \
    }

QT_TILE(q8_0)
QT_TILE(q4_0)

/// `init` plus the four-byte dot products of unsigned `u` and signed `s`, per 32-bit lane.
ISA_TARGET static inline __m256i QT_FN(udot)(__m256i init, __m256i u, __m256i s) {
#if ISA_VNNI
    return _mm256_dpbusd_epi32(init, u, s);
#else
    return _mm256_add_epi32(init, _mm256_madd_epi16(_mm256_set1_epi16(1), _mm256_maddubs_epi16(u, s)));
#endif
}

/// Block k of a Q8_0 row times the token's block: |w| times x with w's sign.
ISA_TARGET static inline __m256i QT_FN(q8_0_dot)(const uint8_t *row, const int8_t *xq, const int32_t *xs, ptrdiff_t k) {
    (void)xs;
    const __m256i w = _mm256_loadu_si256((const __m256i *)(row + k * 34 + 2));
    const __m256i x = _mm256_loadu_si256((const __m256i *)(xq + k * 32));
    return QT_FN(udot)(_mm256_setzero_si256(), _mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

/// Block k of a Q4_0 row times the token's block: unsigned nibbles, the offset in the start value.
ISA_TARGET static inline __m256i QT_FN(q4_0_dot)(const uint8_t *row, const int8_t *xq, const int32_t *xs, ptrdiff_t k) {
    const __m128i packed = _mm_loadu_si128((const __m128i *)(row + k * 18 + 2));
    const __m256i n = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(0x0F));
    const __m256i x = _mm256_loadu_si256((const __m256i *)(xq + k * 32));
    return QT_FN(udot)(_mm256_set1_epi32(xs[k]), n, x);
}

/// One row times one token (decode), four blocks a step: their four f16 scales are converted by
/// one vcvtph2ps and multiplied by the token's four scales at once, which measured 1.4x faster
/// than a scalar conversion per block (that conversion, not memory, bounded Q4_0 decode).
#define QT_ROW(kind, blockBytes)                                                                            \
    ISA_TARGET static inline float QT_FN(kind##_row)(const strata_qmatmul *m, const uint8_t *row, ptrdiff_t t) { \
        const ptrdiff_t blocks = m->blocks;                                                                 \
        const int8_t *xq = m->quants + t * blocks * 32;                                                     \
        const float *xd = m->scales + t * blocks;                                                           \
        const int32_t *xs = m->negatedSums + t * blocks;                                                    \
        __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();                                        \
        ptrdiff_t k = 0;                                                                                    \
        for (; k + 4 <= blocks; k += 4) {                                                                   \
            QT_PREFETCH(row + k * blockBytes, 4 * blockBytes);                                              \
            uint16_t h0, h1, h2, h3;                                                                        \
            memcpy(&h0, row + k * blockBytes, 2);                                                           \
            memcpy(&h1, row + (k + 1) * blockBytes, 2);                                                     \
            memcpy(&h2, row + (k + 2) * blockBytes, 2);                                                     \
            memcpy(&h3, row + (k + 3) * blockBytes, 2);                                                     \
            const __m128 d = _mm_mul_ps(_mm_cvtph_ps(_mm_setr_epi16((short)h0, (short)h1, (short)h2, (short)h3, 0, 0, 0, 0)), \
                                        _mm_loadu_ps(xd + k));                                              \
            even = _mm256_fmadd_ps(_mm256_cvtepi32_ps(QT_FN(kind##_dot)(row, xq, xs, k)),                  \
                                   _mm256_broadcastss_ps(d), even);                                        \
            odd = _mm256_fmadd_ps(_mm256_cvtepi32_ps(QT_FN(kind##_dot)(row, xq, xs, k + 1)),               \
                                  _mm256_broadcastss_ps(_mm_permute_ps(d, 1)), odd);                       \
            even = _mm256_fmadd_ps(_mm256_cvtepi32_ps(QT_FN(kind##_dot)(row, xq, xs, k + 2)),              \
                                   _mm256_broadcastss_ps(_mm_permute_ps(d, 2)), even);                     \
            odd = _mm256_fmadd_ps(_mm256_cvtepi32_ps(QT_FN(kind##_dot)(row, xq, xs, k + 3)),               \
                                  _mm256_broadcastss_ps(_mm_permute_ps(d, 3)), odd);                       \
        }                                                                                                   \
        for (; k < blocks; k++) {                                                                           \
            const __m256 d = _mm256_mul_ps(QT_FN(scale)(row + k * blockBytes), _mm256_broadcast_ss(xd + k)); \
            even = _mm256_fmadd_ps(_mm256_cvtepi32_ps(QT_FN(kind##_dot)(row, xq, xs, k)), d, even);        \
        }                                                                                                   \
        return QT_FN(hsum)(_mm256_add_ps(even, odd));                                                       \
    }

QT_ROW(q8_0, 34)
QT_ROW(q4_0, 18)

// The rectangle, in register tiles; edge tiles get their own constant shapes.
#define QT_CASE(kind, a, b) case (a) * 8 + (b): QT_FN(kind##_tile)(m, r, t, a, b); break;
#define QT_CASES_RM(kind, a) QT_CASE(kind, a, 1) QT_CASE(kind, a, 2) QT_CASE(kind, a, 3) QT_CASE(kind, a, 4)
#define QT_DRIVER(kind) QT_DRIVER_NAMED(kind, kind)
#define QT_DRIVER_NAMED(name, kind)                                                                       \
    ISA_TARGET static void QT_FN(name)(const strata_qmatmul *m, ptrdiff_t row0, ptrdiff_t row1,           \
                                       ptrdiff_t token0, ptrdiff_t token1) {                              \
        if (token1 - token0 == 1) {                                                                       \
            /* One token: one row at a time, each a single forward stream (1.7x from DRAM vs 4 rows). */ \
            for (ptrdiff_t r = row0; r < row1; r++)                                                       \
                m->out[token0 * m->outStride + r] = QT_FN(kind##_row)(m, m->weight + r * m->rowBytes, token0); \
            return;                                                                                       \
        }                                                                                                 \
        for (ptrdiff_t r = row0; r < row1; r += MAIN_RM) {                                                \
            const int rm = row1 - r < MAIN_RM ? (int)(row1 - r) : MAIN_RM;                                \
            for (ptrdiff_t t = token0; t < token1; t += MAIN_RN) {                                        \
                const int rn = token1 - t < MAIN_RN ? (int)(token1 - t) : MAIN_RN;                        \
                switch (rm * 8 + rn) {                                                                    \
                    QT_CASES_RM(kind, 1) QT_CASES_RM(kind, 2) QT_CASES_RM(kind, 3) QT_CASES_RM(kind, 4)   \
                    default: break;                                                                       \
                }                                                                                         \
            }                                                                                             \
        }                                                                                                 \
    }

QT_DRIVER(q8_0)
// Q4_0's tiles; its driver (TypeKernels.h) reads single tokens in pairs of blocks.
QT_DRIVER_NAMED(q4_0_tiles, q4_0)
