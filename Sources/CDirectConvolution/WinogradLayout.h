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

// Which code a Winograd call runs: the plain C, AVX2 + FMA (F(4x4, 3x3) and its ∂W only) or
// AVX-512; each the same bits.
typedef enum { plainCode = 0, avx2Code = 1, avx512Code = 2 } VectorCode;

// M[ξ][k][t] = Σ_c U[ξ][k][c]·V[ξ][c][t] (M[ξ][k][t] += … when `accumulate`) for the `points`
// transform points ξ, `outputs` filters k, `inputs` channels c and `tiles` tiles t
// (WinogradProducts.c; U[ξ] `filterPointStride` floats after U[ξ − 1], V[ξ] `vStride` after
// V[ξ − 1], M[ξ] `mStride` after M[ξ − 1]) by `code`'s register tiles, the same bits in each.
void winogradProducts(int points, const float *u, int outputs, int inputs, const float *v, long vStride, long tiles,
                      VectorCode code, int accumulate, float *m, long mStride);

// F(4x4, 3x3)'s V[ξ][c][t] = (Bᵀ d B)[ξ] of every 6 x 6 patch d of the `images` consecutive images
// of `inputs` channels (WinogradTiles4.c; channel c's tiles image after image at
// `v[ξ·inputStride + c·(images·tiles) + t]`) by `code`, the same bits in each.
void winograd4x4TransformInputs(const float *x, int images, int inputs, int height, int width, VectorCode code, float *v,
                                long inputStride);

// `start[at]` added to an output (when there are start values), then the ReLU when `relu`
// (`v <= 0 ? 0 : v`, NaN kept): the order both tile sizes' output transforms keep.
static inline float startAndReLU(float value, const float *start, long at, int relu) {
    if (start) value += start[at];
    return relu && value <= 0 ? 0 : value;
}

// 4 x 4 output tiles of a `height x width` map (F(4x4, 3x3), WinogradTiles4.c), the last row and
// column partly outside it.
typedef struct {
    int height, width, tileRows, tileColumns;
    long tiles;
} OutputTiles;

static inline OutputTiles outputTiles(int height, int width) {
    OutputTiles g = {height, width, (height + 3) / 4, (width + 3) / 4, 0};
    g.tiles = (long)g.tileRows * g.tileColumns;
    return g;
}

// The 4 x 4 outputs `out` of tile (ty, tx) into `y`: `startAndReLU` on those inside the map,
// then stored, or with `pool` each 2 x 2 window's largest (the first largest, NaN as the
// comparisons leave it) stored into the pooled map.
static inline void storeOutputTile4(float out[4][4], OutputTiles g, int ty, int tx, const float *start, int relu, int pool,
                                    float *y) {
    for (int i = 0; i < 4; i++) {
        int row = 4 * ty + i;
        for (int j = 0; j < 4 && row < g.height; j++) {
            int col = 4 * tx + j;
            if (col >= g.width) continue;
            out[i][j] = startAndReLU(out[i][j], start, (long)row * g.width + col, relu);
            if (!pool) y[(long)row * g.width + col] = out[i][j];
        }
    }
    int pooledHeight = g.height / 2, pooledWidth = g.width / 2;
    for (int a = 0; pool && a < 2; a++) {
        for (int b = 0; b < 2; b++) {
            int py = 2 * ty + a, px = 2 * tx + b;
            if (py >= pooledHeight || px >= pooledWidth) continue;
            float best = out[2 * a][2 * b];
            best = out[2 * a][2 * b + 1] > best ? out[2 * a][2 * b + 1] : best;
            best = out[2 * a + 1][2 * b] > best ? out[2 * a + 1][2 * b] : best;
            y[(long)py * pooledWidth + px] = out[2 * a + 1][2 * b + 1] > best ? out[2 * a + 1][2 * b + 1] : best;
        }
    }
}

// The code a Winograd call runs for `kernels` (0: the fastest this CPU has, 1: plain C, 2: at
// most AVX2 + FMA).
VectorCode winogradCode(int kernels);

// F(4x4, 3x3)'s input transform (as `winograd4x4TransformInputs`) and output transform (Aᵀ M A
// of the products `m` of `images` images and `outputs` channels, then as `shears_winograd4x4`)
// by AVX2 + FMA, 8 tiles a vector (WinogradTiles4AVX2.c); the same bits as the plain C.
void winograd4x4InputsAVX2(const float *x, int images, int inputs, int height, int width, float *v, long inputStride);
void winograd4x4OutputsAVX2(float *m, long outputStride, int images, int outputs, int height, int width, const float *start,
                            int relu, int pool, float *y);

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
