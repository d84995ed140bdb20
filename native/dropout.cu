// Inverted dropout with Philox4x32-10 masks, bit-identical to dev.jrnn.backend.Philox and the CPU
// backends (DESIGN.md "Dropout"). Element i of call (seed, step, salt) uses
//   key     = (seed_lo, seed_hi)
//   counter = (i / 4, salt, step_lo, step_hi)
//   word    = philox(counter, key)[i % 4]
//   u       = (word >> 8) * 2^-24            in [0, 1), exact in float
//   out[i]  = u >= rate ? (float)((double)in[i] * scale) : 0,   scale = 1 / (1 - rate) in double
// PhiloxSourceTest parses the constants below and compares them with the Java ones.
#include "common.cuh"

#define JRNN_PHILOX_M0 0xD2511F53u
#define JRNN_PHILOX_M1 0xCD9E8D57u
#define JRNN_PHILOX_W0 0x9E3779B9u
#define JRNN_PHILOX_W1 0xBB67AE85u
#define JRNN_PHILOX_ROUNDS 10

struct jrnn_philox_words {
    uint32_t w[4];
};

// Philox4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1) (Salmon et al., SC 2011).
JRNN_HD jrnn_philox_words jrnn_philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                             uint32_t k0, uint32_t k1) {
    for (int r = 0; r < JRNN_PHILOX_ROUNDS; r++) {
        if (r > 0) {
            k0 += JRNN_PHILOX_W0;
            k1 += JRNN_PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)JRNN_PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)JRNN_PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        uint32_t n0 = hi1 ^ c1 ^ k0;
        uint32_t n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    jrnn_philox_words out = {{c0, c1, c2, c3}};
    return out;
}

// The words for Philox block q of dropout call (seed, step, salt): elements 4q .. 4q+3.
JRNN_HD jrnn_philox_words jrnn_dropout_words(long long q, uint64_t seed, uint64_t step, uint32_t salt) {
    return jrnn_philox4x32_10((uint32_t)q, salt, (uint32_t)step, (uint32_t)(step >> 32),
                              (uint32_t)seed, (uint32_t)(seed >> 32));
}

// Top 24 bits of a word as a float in [0, 1); exact.
JRNN_HD float jrnn_uniform(uint32_t word) {
    return (float)(word >> 8) * 0x1.0p-24f;
}

// Number of Philox blocks (4 elements each) for n elements.
JRNN_HD long long jrnn_dropout_blocks(int n) {
    return ((long long)n + 3) / 4;
}

// Body: elements 4q .. min(4q+3, n-1). in (n), out (n); in == out is allowed.
JRNN_HD void jrnn_dropout_block(long long q, int n, const float* in, float* out, uint64_t seed, uint64_t step,
                                uint32_t salt, float rate, double scale) {
    jrnn_philox_words b = jrnn_dropout_words(q, seed, step, salt);
    for (int l = 0; l < 4; l++) {
        long long i = 4 * q + l;
        if (i >= n) break;
        // NB: scaled in double and rounded once to float, as the CPU backends do: bit-identical.
        float kept = (float)((double)in[i] * scale);
        out[i] = jrnn_uniform(b.w[l]) >= rate ? kept : 0.0f;
    }
}

#ifdef __CUDACC__
// out (n) = dropout(in (n)); one thread per Philox block of 4 elements.
extern "C" __global__ void jrnn_dropout(int n, const float* in, float* out, unsigned long long seed,
                                        unsigned long long step, unsigned int salt, float rate, double scale) {
    JRNN_FOR_EACH(q, jrnn_dropout_blocks(n)) jrnn_dropout_block(q, n, in, out, seed, step, salt, rate, scale);
}
#endif
