// The transform-domain products of Winograd tiles, shared by F(2x2, 3x3) (WinogradTiles.c) and
// F(4x4, 3x3) (WinogradTiles4.c): for every transform point ξ,
//
//     M[ξ][k][t] = Σ_c U[ξ][k][c]·V[ξ][c][t]     (k a filter, c an input channel, t a tile),
//
// U[ξ][k][c] at `u[ξ·filterPointStride + k·inputs + c]`, V[ξ][c][t] at `v[ξ·vStride + c·tiles + t]`,
// M[ξ][k][t] at `m[ξ·mStride + k·tiles + t]`,
// by AVX-512 register tiles of up to 6 filters x 64 tiles (24 accumulators, one broadcast per
// filter and channel), AVX2 ones of up to 6 filters x 16 tiles, or by the plain C loop; each sum channel by channel with fused
// multiply-adds from 0 in both (from M's value with `accumulate`: M += Σ…), hence the same bits.
// The weight gradient (WinogradWeightGradient.c) runs the same products with tiles as the
// channels summed over and its channels and filters as the "filters" and "tiles".

#include "DirectLayout.h"
#include "WinogradLayout.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { vectorsPerBlock = 4, mostFiltersPerBlock = 6 };

static void productsPortable(int points, const float *u, int outputs, int inputs, const float *v, long vStride, long tiles,
                             int accumulate, float *m, long mStride) {
    for (int point = 0; point < points; point++) {
        const float *up = u + point * filterPointStride(inputs, outputs), *vp = v + point * vStride;
        float *mp = m + point * mStride;
        for (int o = 0; o < outputs; o++) {
            for (long t = 0; t < tiles; t++) {
                float sum = accumulate ? mp[o * tiles + t] : 0;
                for (int c = 0; c < inputs; c++) sum = fmaf(up[(long)o * inputs + c], vp[c * tiles + t], sum);
                mp[o * tiles + t] = sum;
            }
        }
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f")))
// m[f][q] = Σ_c u[f][c]·v[c][q] (m[f][q] += … with `accumulate`) for `filters` (≤ 6) filters and
// `vectors` (≤ 4) vectors of 16 tiles (the last `last` lanes only): the accumulators stay in
// registers over all channels.
static inline __attribute__((always_inline, target("avx512f"))) void productBlock(
    const float *u, long inputs, const float *v, long tiles, int accumulate, float *m, __mmask16 last, int filters,
    int vectors) {
    __m512 sums[mostFiltersPerBlock][vectorsPerBlock];
    for (int f = 0; f < filters; f++) {
        for (int q = 0; q < vectors; q++) {
            const float *from = m + f * tiles + 16 * q;
            sums[f][q] = !accumulate ? _mm512_setzero_ps()
                         : q == vectors - 1 ? _mm512_maskz_loadu_ps(last, from) : _mm512_loadu_ps(from);
        }
    }
    for (long c = 0; c < inputs; c++) {
        __m512 x[vectorsPerBlock];
        for (int q = 0; q < vectors; q++) {
            x[q] = q == vectors - 1 ? _mm512_maskz_loadu_ps(last, v + c * tiles + 16 * q) : _mm512_loadu_ps(v + c * tiles + 16 * q);
        }
        for (int f = 0; f < filters; f++) {
            __m512 w = _mm512_set1_ps(u[f * inputs + c]);
            for (int q = 0; q < vectors; q++) sums[f][q] = _mm512_fmadd_ps(w, x[q], sums[f][q]);
        }
    }
    for (int f = 0; f < filters; f++) {
        for (int q = 0; q < vectors; q++) {
            float *target = m + f * tiles + 16 * q;
            if (q == vectors - 1) {
                _mm512_mask_storeu_ps(target, last, sums[f][q]);
            } else {
                _mm512_storeu_ps(target, sums[f][q]);
            }
        }
    }
}

// `productBlock` with its counts fixed, so that every loop over them unrolls into registers.
typedef void (*ProductBlock)(const float *, long, const float *, long, int, float *, __mmask16);
#define BLOCK(f, q) \
    static AVX512 void block##f##x##q(const float *u, long c, const float *v, long t, int add, float *m, __mmask16 last) { \
        productBlock(u, c, v, t, add, m, last, f, q); \
    }
#define BLOCKS(f) BLOCK(f, 1) BLOCK(f, 2) BLOCK(f, 3) BLOCK(f, 4)
BLOCKS(1) BLOCKS(2) BLOCKS(3) BLOCKS(4) BLOCKS(5) BLOCKS(6)
static const ProductBlock productBlocks[mostFiltersPerBlock][vectorsPerBlock] = {
    {block1x1, block1x2, block1x3, block1x4}, {block2x1, block2x2, block2x3, block2x4},
    {block3x1, block3x2, block3x3, block3x4}, {block4x1, block4x2, block4x3, block4x4},
    {block5x1, block5x2, block5x3, block5x4}, {block6x1, block6x2, block6x3, block6x4},
};

// The `points` products, each over blocks of filters (split evenly, at most 6) and 64 tiles.
static AVX512 void productsAVX512(int points, const float *u, int outputs, int inputs, const float *v, long vStride, long tiles,
                                  int accumulate, float *m, long mStride) {
    int blocks = (outputs + mostFiltersPerBlock - 1) / mostFiltersPerBlock;
    long span = (long)tilesPerVector * vectorsPerBlock;
    for (int point = 0; point < points; point++) {
        const float *up = u + point * filterPointStride(inputs, outputs), *vp = v + point * vStride;
        float *mp = m + point * mStride;
        for (int b = 0, first = 0; b < blocks; b++) {
            int filters = (int)((long)outputs * (b + 1) / blocks) - first;
            for (long t0 = 0; t0 < tiles; t0 += span) {
                long left = tiles - t0 < span ? tiles - t0 : span;
                int vectors = (int)((left + tilesPerVector - 1) / tilesPerVector);
                productBlocks[filters - 1][vectors - 1](up + (long)first * inputs, inputs, vp + t0, tiles, accumulate,
                                                        mp + (long)first * tiles + t0,
                                                        firstLanes(left - (vectors - 1) * tilesPerVector));
            }
            first += filters;
        }
    }
}

// AVX2's register tiles: up to 6 filters x 2 vectors of 8 tiles, 12 accumulators, 2 loads and
// a broadcast in the 16 registers.
enum { avx2Vectors = 2, avx2Lanes = 8 };
#define AVX2 __attribute__((target("avx2,fma")))

// `productBlock` on AVX2: `last` the lanes of the last vector that are real tiles, and with
// `partial` 0 (all 8 are) plain loads and stores, since AMD's masked stores are slow.
static inline __attribute__((always_inline, target("avx2,fma"))) void productBlockAVX2(
    const float *u, long inputs, const float *v, long tiles, int accumulate, float *m, __m256i last, int filters,
    int vectors, int partial) {
    __m256 sums[mostFiltersPerBlock][avx2Vectors];
    for (int f = 0; f < filters; f++) {
        for (int q = 0; q < vectors; q++) {
            const float *from = m + f * tiles + avx2Lanes * q;
            sums[f][q] = !accumulate ? _mm256_setzero_ps()
                         : partial && q == vectors - 1 ? _mm256_maskload_ps(from, last) : _mm256_loadu_ps(from);
        }
    }
    for (long c = 0; c < inputs; c++) {
        __m256 x[avx2Vectors];
        for (int q = 0; q < vectors; q++) {
            const float *from = v + c * tiles + avx2Lanes * q;
            x[q] = partial && q == vectors - 1 ? _mm256_maskload_ps(from, last) : _mm256_loadu_ps(from);
        }
        for (int f = 0; f < filters; f++) {
            __m256 w = _mm256_broadcast_ss(u + f * inputs + c);
            for (int q = 0; q < vectors; q++) sums[f][q] = _mm256_fmadd_ps(w, x[q], sums[f][q]);
        }
    }
    for (int f = 0; f < filters; f++) {
        for (int q = 0; q < vectors; q++) {
            float *target = m + f * tiles + avx2Lanes * q;
            if (partial && q == vectors - 1) {
                _mm256_maskstore_ps(target, last, sums[f][q]);
            } else {
                _mm256_storeu_ps(target, sums[f][q]);
            }
        }
    }
}

typedef void (*ProductBlockAVX2)(const float *, long, const float *, long, int, float *, __m256i);
#define BLOCK_AVX2(f, q, partial) \
    static AVX2 void blockAVX2_##f##x##q##_##partial(const float *u, long c, const float *v, long t, int add, float *m, \
                                                     __m256i last) { \
        productBlockAVX2(u, c, v, t, add, m, last, f, q, partial); \
    }
#define BLOCKS_AVX2(f) BLOCK_AVX2(f, 1, 0) BLOCK_AVX2(f, 2, 0) BLOCK_AVX2(f, 1, 1) BLOCK_AVX2(f, 2, 1)
BLOCKS_AVX2(1) BLOCKS_AVX2(2) BLOCKS_AVX2(3) BLOCKS_AVX2(4) BLOCKS_AVX2(5) BLOCKS_AVX2(6)
#define ROW_AVX2(f) {{blockAVX2_##f##x1_0, blockAVX2_##f##x2_0}, {blockAVX2_##f##x1_1, blockAVX2_##f##x2_1}}
// [filters − 1][partial][vectors − 1]
static const ProductBlockAVX2 productBlocksAVX2[mostFiltersPerBlock][2][avx2Vectors] = {
    ROW_AVX2(1), ROW_AVX2(2), ROW_AVX2(3), ROW_AVX2(4), ROW_AVX2(5), ROW_AVX2(6),
};

// `productsAVX512` on AVX2: blocks of filters (split evenly, at most 6) and 16 tiles.
static AVX2 void productsAVX2(int points, const float *u, int outputs, int inputs, const float *v, long vStride, long tiles,
                              int accumulate, float *m, long mStride) {
    int blocks = (outputs + mostFiltersPerBlock - 1) / mostFiltersPerBlock;
    long span = (long)avx2Lanes * avx2Vectors;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int point = 0; point < points; point++) {
        const float *up = u + point * filterPointStride(inputs, outputs), *vp = v + point * vStride;
        float *mp = m + point * mStride;
        for (int b = 0, first = 0; b < blocks; b++) {
            int filters = (int)((long)outputs * (b + 1) / blocks) - first;
            for (long t0 = 0; t0 < tiles; t0 += span) {
                long left = tiles - t0 < span ? tiles - t0 : span;
                int vectors = (int)((left + avx2Lanes - 1) / avx2Lanes);
                int lastLanes = (int)(left - (vectors - 1) * avx2Lanes);
                __m256i last = _mm256_cmpgt_epi32(_mm256_set1_epi32(lastLanes), lane);
                productBlocksAVX2[filters - 1][lastLanes < avx2Lanes][vectors - 1](
                    up + (long)first * inputs, inputs, vp + t0, tiles, accumulate, mp + (long)first * tiles + t0, last);
            }
            first += filters;
        }
    }
}

#endif

void winogradProducts(int points, const float *u, int outputs, int inputs, const float *v, long vStride, long tiles,
                      VectorCode code, int accumulate, float *m, long mStride) {
#if defined(__x86_64__)
    if (code == avx512Code) {
        productsAVX512(points, u, outputs, inputs, v, vStride, tiles, accumulate, m, mStride);
        return;
    }
    if (code == avx2Code) {
        productsAVX2(points, u, outputs, inputs, v, vStride, tiles, accumulate, m, mStride);
        return;
    }
#endif
    productsPortable(points, u, outputs, inputs, v, vStride, tiles, accumulate, m, mStride);
}
