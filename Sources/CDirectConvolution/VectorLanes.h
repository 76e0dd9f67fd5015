// Internal to CDirectConvolution: AVX-512 helpers on 16 lanes that the Winograd tiles and the
// direct single-channel kernel share: lane masks, the ReLU and the pools' comparison, each
// with the semantics of the plain C it replaces (NaN kept, the first largest kept).
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
#endif

#endif
