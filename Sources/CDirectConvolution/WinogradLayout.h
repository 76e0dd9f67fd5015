// Internal to CDirectConvolution: the layout Winograd tiles (WinogradTiles.c) work in: the
// tiles of an image, the scratch rows of the input transform and its narrow-map chunk lists,
// and the input transform itself.
#ifndef SHEARS_WINOGRAD_LAYOUT_H
#define SHEARS_WINOGRAD_LAYOUT_H

#include "VectorLanes.h"

enum { transformPoints = 16, tilesPerVector = 16 };

// Floats between one transform point's rows (of U, V or M) and the next beyond what they need:
// a point's rows are otherwise often a multiple of 4 KB after the previous point's (64 x 64
// filters, or 32 channels of 64 tiles), all of them in one set of the L1 cache, and a block
// written or read across the points evicts itself (the filter transform ran 2.5x slower).
enum { pointPadding = 16 };

// Floats from one point of transformed filters U[ξ][o][c] to the next.
static inline long filterPointStride(int inputs, int outputs) { return (long)inputs * outputs + pointPadding; }

// Zeros into the padding after each of the `points` points of transformed filters `u`, so that
// every float of them is written.
static inline void clearFilterPadding(float *u, int points, int inputs, int outputs) {
    for (int point = 0; point < points; point++) {
        float *padding = u + point * filterPointStride(inputs, outputs) + (long)inputs * outputs;
        for (int k = 0; k < pointPadding; k++) padding[k] = 0;
    }
}

// Tiles of an image (`tileRows x tileColumns`, the last row or column half outside an odd
// side), and the floats of one half (even or odd columns) of a padded input row: the tile
// columns plus one, plus a vector's slack for the loads past the end.
typedef struct {
    int height, width, tileRows, tileColumns;
    long tiles, half;
} TileLayout;

static inline TileLayout tileLayout(int height, int width) {
    TileLayout g = {height, width, (height + 1) / 2, (width + 1) / 2, 0, 0};
    g.tiles = (long)g.tileRows * g.tileColumns;
    g.half = g.tileColumns + 1 + tilesPerVector;
    return g;
}

// Lanes per tile row when the transforms take several tile rows per vector, on maps of at most
// 16 columns (WinogradTiles.c, `inputTransformNarrowAVX512`): 4 for up to 4 tiles a row, 8 for
// 5 to 8; else 0.
static inline int narrowChunk(TileLayout g) { return g.tileColumns <= 4 ? 4 : g.tileColumns <= 8 ? 8 : 0; }

// Rows of each of the 8 chunk lists of a narrow map: the padded rows of one parity, plus the
// slack a vector of 16 / w tile rows reads past the last.
static inline long narrowHalfRows(TileLayout g) {
    int perVector = 16 / narrowChunk(g);
    return (g.tileRows + perVector - 1) / perVector * perVector + 1;
}

// Floats of the rows `winogradTransformInputs` works in: the padded rows of one channel, each
// its even then its odd columns, or a narrow map's chunk lists.
static inline long winogradRowFloats(TileLayout g) {
    long rows = (2L * g.tileRows + 2) * 2 * g.half;
    long lists = narrowChunk(g) ? 8L * narrowChunk(g) * narrowHalfRows(g) : 0;
    return rows > lists ? rows : lists;
}

// V[ξ][t] = (Bᵀ d B)[ξ] for every tile t of each of `count` consecutive `g.height x g.width`
// planes (the channels of an image), plane c's at `v[c·planeStride + ξ·pointStride + t]`
// (Lavin & Gray 2016, eq. 8); by AVX-512 code when `fast`, else plain C, the same bits. `rows`
// of `winogradRowFloats(g)` floats, zeroed by the caller once before the first plane of layout
// `g`: every plane writes the same floats of it (zeros past the map's columns), so its padding
// stays zero and is not cleared again plane after plane.
void winogradTransformInputs(const float *planes, int count, TileLayout g, int fast, float *rows, float *v,
                             long planeStride, long pointStride);

// M[ξ][k][t] = Σ_c U[ξ][k][c]·V[ξ][c][t] (M[ξ][k][t] += … when `accumulate`) for the `points`
// transform points ξ, `outputs` filters k, `inputs` channels c and `tiles` tiles t
// (WinogradProducts.c; U[ξ] `filterPointStride` floats after U[ξ − 1], V[ξ] `vStride` after
// V[ξ − 1], M[ξ] `mStride` after M[ξ − 1]): by AVX-512 register tiles when `fast`, else plain C,
// the same bits.
void winogradProducts(int points, const float *u, int outputs, int inputs, const float *v, long vStride, long tiles, int fast,
                      int accumulate, float *m, long mStride);

// F(4x4, 3x3)'s V[ξ][c][t] = (Bᵀ d B)[ξ] of every 6 x 6 patch d of the `images` consecutive images
// of `inputs` channels (WinogradTiles4.c; channel c's tiles image after image at
// `v[ξ·inputStride + c·(images·tiles) + t]`); by AVX-512 code unless `portable` (or the CPU lacks
// it), else plain C, the same bits. Returns whether the AVX-512 code ran.
int winograd4x4TransformInputs(const float *x, int images, int inputs, int height, int width, int portable, float *v,
                               long inputStride);

// `start[at]` added to an output (when there are start values), then the ReLU when `relu`
// (`v <= 0 ? 0 : v`, NaN kept): the order both tile sizes' output transforms keep.
static inline float startAndReLU(float value, const float *start, long at, int relu) {
    if (start) value += start[at];
    return relu && value <= 0 ? 0 : value;
}

#if defined(__x86_64__)
// Rows `first` and `first + 2` of a map `width` (≤ 8) wide in lanes 0–7 and 8–15 (zero past
// `width` and past the last row): the layout the output transform of a narrow map with 4
// lanes per tile row interleaves to (WinogradTiles.c).
static inline __attribute__((target("avx512f"))) __m512 rowPair(const float *plane, TileLayout g, int first) {
    __mmask16 columns = firstLanes(g.width);
    __m512 a = first < g.height ? _mm512_maskz_loadu_ps(columns, plane + (long)first * g.width) : _mm512_setzero_ps();
    __m512 b = first + 2 < g.height ? _mm512_maskz_loadu_ps(columns, plane + (long)(first + 2) * g.width)
                                    : _mm512_setzero_ps();
    return _mm512_shuffle_f32x4(a, b, 0x44);
}
#endif

#endif
