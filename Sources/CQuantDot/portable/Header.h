// The scales and biases of one weight block (element = a * q + b per sub-block), written once
// for the portable decoder and each x86 instruction set: the includer defines
// STRATA_HEADER_NAME (the function), STRATA_HEADER_ATTR (its attributes) and
// STRATA_HEADER_F16 (an f16 reader: the portable one branches, x86 has vcvtph2ps).
STRATA_HEADER_ATTR void STRATA_HEADER_NAME(int type, const uint8_t *b, float *a, float *bias) {
    switch (type) {
    case STRATA_Q4_0: case STRATA_Q5_0: case STRATA_Q8_0: case STRATA_IQ4_NL:
        a[0] = STRATA_HEADER_F16(b), bias[0] = 0;
        break;
    case STRATA_Q4_1: case STRATA_Q5_1:
        a[0] = STRATA_HEADER_F16(b), bias[0] = STRATA_HEADER_F16(b + 2);
        break;
    case STRATA_Q2_K: {
        const float d = STRATA_HEADER_F16(b + 80), dmin = STRATA_HEADER_F16(b + 82);
        for (int j = 0; j < 16; j++) a[j] = d * (float)(b[j] & 0x0F), bias[j] = -(dmin * (float)(b[j] >> 4));
        break;
    }
    case STRATA_Q3_K: {
        const float d = STRATA_HEADER_F16(b + 108);
        for (int j = 0; j < 16; j++) a[j] = d * (float)strata_q3k_scale(b + 96, j), bias[j] = 0;
        break;
    }
    case STRATA_Q4_K: case STRATA_Q5_K: {
        const float d = STRATA_HEADER_F16(b), dmin = STRATA_HEADER_F16(b + 2);
        for (int s = 0; s < 8; s++) {
            int scale, min;
            strata_k4_scale_min(b + 4, s, &scale, &min);
            a[s] = d * (float)scale, bias[s] = -(dmin * (float)min);
        }
        break;
    }
    case STRATA_Q6_K: {
        const float d = STRATA_HEADER_F16(b + 208);
        for (int j = 0; j < 16; j++) a[j] = d * (float)(int8_t)b[192 + j], bias[j] = 0;
        break;
    }
    case STRATA_IQ4_XS: {
        const float d = STRATA_HEADER_F16(b);
        for (int s = 0; s < 8; s++) a[s] = d * (float)strata_iq4xs_scale(b, s), bias[s] = 0;
        break;
    }
    default:
        break;
    }
}

#undef STRATA_HEADER_NAME
#undef STRATA_HEADER_ATTR
#undef STRATA_HEADER_F16
