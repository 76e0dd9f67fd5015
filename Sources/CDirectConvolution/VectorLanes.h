// Internal to CDirectConvolution: AVX-512 helpers on 16 lanes that the Winograd tiles and the
// direct single-channel kernel share: lane masks, the ReLU and the pools' comparison, each
// with the semantics of the plain C it replaces (NaN kept, the first largest kept); and the
// AVX2 transposes that the weight gradients and F(4x4, 3x3)'s AVX2 transforms share.
#ifndef SHEARS_VECTOR_LANES_H
#define SHEARS_VECTOR_LANES_H

#if defined(__x86_64__)
#include <immintrin.h>

// The first `count` of 16 lanes (all from 16 on, none from 0 down).
static inline __attribute__((target("avx512f"))) __mmask16 firstLanes(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? 0 : (__mmask16)((1u << count) - 1);
}

// Lanes `from` ≤ l < `to` of 16 (clamped).
static inline __attribute__((target("avx512f"))) __mmask16 laneRange(long from, long to) {
    return firstLanes(to) & (__mmask16)~firstLanes(from);
}

// `v <= 0 ? 0 : v` on 16 lanes (NaN kept), as every kernel's plain C ReLU.
static inline __attribute__((target("avx512f"))) __m512 clamped(__m512 value) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(value, _mm512_setzero_ps(), _CMP_NLE_UQ), value);
}

// `a > best ? a : best` on 16 lanes: the pools keep the first largest.
static inline __attribute__((target("avx512f"))) __m512 larger(__m512 a, __m512 best) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, best, _CMP_GT_OQ), best, a);
}

// `a`…`d` as four 4 x 4 blocks, each 128-bit half transposed on its own: half h of output r
// holds element r of half h of a, b, c, d.
static inline __attribute__((target("avx2"))) void transposeHalves(__m256 *a, __m256 *b, __m256 *c, __m256 *d) {
    __m256 t0 = _mm256_unpacklo_ps(*a, *b), t1 = _mm256_unpackhi_ps(*a, *b);
    __m256 t2 = _mm256_unpacklo_ps(*c, *d), t3 = _mm256_unpackhi_ps(*c, *d);
    *a = _mm256_shuffle_ps(t0, t2, 0x44);
    *b = _mm256_shuffle_ps(t0, t2, 0xEE);
    *c = _mm256_shuffle_ps(t1, t3, 0x44);
    *d = _mm256_shuffle_ps(t1, t3, 0xEE);
}

// 8 vectors in place transposed: lane j of r[i] into lane i of r[j]; `transposeHalves` on each
// four, then the halves exchanged.
static inline __attribute__((target("avx2"))) void transpose8(__m256 r[8]) {
    transposeHalves(&r[0], &r[1], &r[2], &r[3]);
    transposeHalves(&r[4], &r[5], &r[6], &r[7]);
    for (int i = 0; i < 4; i++) {
        __m256 low = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20), high = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
        r[i] = low;
        r[i + 4] = high;
    }
}
#endif

#endif
