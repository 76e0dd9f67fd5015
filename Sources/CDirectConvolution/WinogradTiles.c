// Winograd F(2x2, 3x3) convolution of one image (stride 1, padding 1), Lavin & Gray 2016, §4.1
// (their eq. 8): per 2x2 output tile, Y = Aᵀ[U ⊙ V]A with U = G g Gᵀ (the filter, transformed
// once per pass) and V = Bᵀ d B (the tile's 4x4 input patch d), summed over channels in the
// transform domain:
//
//     M[ξ][k][t] = Σ_c U[ξ][k][c]·V[ξ][c][t]     (ξ = 0…15, k a filter, t a tile),
//
// 16 multiplications per tile and channel where the direct convolution spends 36.
//
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//     Aᵀ = [1 1 1 0; 0 1 −1 −1].
//
// Unlike `WinogradConvolution` (Swift, its 16 products as BLAS GEMMs over all tiles of a batch),
// everything here stays in one image's cache (a small group's on maps of fewer than 96 tiles,
// whose tiles are multiplied together): the input transform reads each padded row once,
// split into its even and odd columns so that the four columns a tile row needs are two
// unaligned loads of each (on maps of at most 16 columns, into chunks that put several tile
// rows in one vector); the 16 products are `winogradProducts`' register tiles of up to 6 filters x
// 64 tiles (WinogradProducts.c, shared with F(4x4, 3x3)); the output transform adds
// the start values, applies the ReLU and, when asked, max-pools each tile — a 2x2 output tile
// is exactly a 2x2 pooling window — before anything is stored.
//
// Order of every sum, the same in the AVX-512 code and the portable C (hence the same bits):
// the transforms as written below, left to right; each product sum channel by channel with
// fused multiply-adds from 0; then the start value added, the ReLU (`v <= 0 ? 0 : v`) and the
// pool (top left, top right, bottom left, bottom right by `>`, keeping the first largest).

#include "CDirectConvolution.h"
#include "DirectLayout.h"
#include "WinogradLayout.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Tiles a group of images should have at least (`shears_winograd3x3_group`): a 7 x 7 image has
// 16, one vector, and the products' register tiles want 4 vectors (64 tiles) to hold 24
// accumulators; more images per group pay for themselves until V and M leave L2.
enum { groupTiles = 96 };

// Scratch: the rows of the input transform (`winogradRowFloats`), then the transformed input
// V[16][inputs][tiles] and the products M[16][outputs][tiles] of a group of images, their
// tiles side by side.

size_t shears_winograd3x3_filter_count(int inputs, int outputs) {
    return (size_t)(transformPoints * filterPointStride(inputs, outputs));
}

size_t shears_winograd3x3_scratch_count(int images, int inputs, int outputs, int height, int width) {
    TileLayout g = tileLayout(height, width);
    return (size_t)(winogradRowFloats(g) + transformPoints * images * g.tiles * ((long)inputs + outputs));
}

void shears_winograd3x3_transform_filters(const float *w, int filters, int channels, int rotated, float *u) {
    int outputs = rotated ? channels : filters, inputs = rotated ? filters : channels;
    long pointStride = filterPointStride(inputs, outputs);
    for (int o = 0; o < outputs; o++) {
        for (int c = 0; c < inputs; c++) {
            // g[i][j]: the 3x3 filter from input channel c to output o of the convolution run.
            float g[3][3];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    g[i][j] = rotated ? w[((long)c * channels + o) * 9 + (2 - i) * 3 + (2 - j)]
                                      : w[((long)o * channels + c) * 9 + i * 3 + j];
                }
            }
            float t[4][3];  // G g
            for (int j = 0; j < 3; j++) {
                t[0][j] = g[0][j];
                t[1][j] = 0.5f * (g[0][j] + g[1][j] + g[2][j]);
                t[2][j] = 0.5f * (g[0][j] - g[1][j] + g[2][j]);
                t[3][j] = g[2][j];
            }
            for (int i = 0; i < 4; i++) {  // (G g) Gᵀ
                float row[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]),
                                t[i][2]};
                for (int j = 0; j < 4; j++) u[(i * 4 + j) * pointStride + (long)o * inputs + c] = row[j];
            }
        }
    }
    clearFilterPadding(u, transformPoints, inputs, outputs);
}

// Bᵀ d B for the 4 x 4 patch `d`, into `v[ξ·stride]`.
static inline void transformPatch(float d[4][4], float *v, long stride) {
    float s[4][4];  // d B, row by row
    for (int i = 0; i < 4; i++) {
        s[i][0] = d[i][0] - d[i][2];
        s[i][1] = d[i][1] + d[i][2];
        s[i][2] = d[i][2] - d[i][1];
        s[i][3] = d[i][1] - d[i][3];
    }
    for (int j = 0; j < 4; j++) {  // Bᵀ (d B)
        v[(0 * 4 + j) * stride] = s[0][j] - s[2][j];
        v[(1 * 4 + j) * stride] = s[1][j] + s[2][j];
        v[(2 * 4 + j) * stride] = s[2][j] - s[1][j];
        v[(3 * 4 + j) * stride] = s[1][j] - s[3][j];
    }
}

static void inputTransformPortable(const float *x, TileLayout g, float *v, long pointStride) {
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int tx = 0; tx < g.tileColumns; tx++) {
            float d[4][4];
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    int row = 2 * ty + i - 1, column = 2 * tx + j - 1;
                    int inside = row >= 0 && row < g.height && column >= 0 && column < g.width;
                    d[i][j] = inside ? x[(long)row * g.width + column] : 0;
                }
            }
            transformPatch(d, v + (long)ty * g.tileColumns + tx, pointStride);
        }
    }
}

// Aᵀ M A of output `o`'s tiles (`m` its products, `pointStride` apart), plus start, ReLU, pool.
static void outputTransformPortable(const float *m, long pointStride, TileLayout g, const float *start, int relu,
                                    int pool, float *y) {
    long pooledWidth = g.width / 2;
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int tx = 0; tx < g.tileColumns; tx++) {
            float e[16], r[2][4], out[2][2];
            for (int point = 0; point < transformPoints; point++) e[point] = m[point * pointStride + (long)ty * g.tileColumns + tx];
            for (int j = 0; j < 4; j++) {
                r[0][j] = e[j] + e[4 + j] + e[8 + j];
                r[1][j] = e[4 + j] - e[8 + j] - e[12 + j];
            }
            for (int i = 0; i < 2; i++) {
                long at = (long)(2 * ty + i) * g.width + 2 * tx;
                out[i][0] = r[i][0] + r[i][1] + r[i][2];
                out[i][1] = r[i][1] - r[i][2] - r[i][3];
                if (2 * ty + i >= g.height) continue;
                out[i][0] = startAndReLU(out[i][0], start, at, relu);
                if (2 * tx + 1 < g.width) out[i][1] = startAndReLU(out[i][1], start, at + 1, relu);
            }
            if (pool) {
                if (ty >= g.height / 2 || tx >= pooledWidth) continue;
                float best = out[0][0];
                best = out[0][1] > best ? out[0][1] : best;
                best = out[1][0] > best ? out[1][0] : best;
                y[(long)ty * pooledWidth + tx] = out[1][1] > best ? out[1][1] : best;
                continue;
            }
            for (int i = 0; i < 2 && 2 * ty + i < g.height; i++) {
                long at = (long)(2 * ty + i) * g.width + 2 * tx;
                y[at] = out[i][0];
                if (2 * tx + 1 < g.width) y[at + 1] = out[i][1];
            }
        }
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f")))

// One channel: its padded rows split into even and odd columns (E[k] = padded column 2k,
// O[k] = padded column 2k + 1, padded column q + 1 holding x[·][q]), then per tile row and 16
// tiles the patch columns 2t…2t + 3 are E[t], O[t], E[t + 1], O[t + 1]: `transformPatch`'s
// arithmetic on vectors.
static AVX512 void inputTransformAVX512(const float *x, TileLayout g, float *rows, float *v, long pointStride) {
    long stride = 2 * g.half;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int y = 0; y < g.height; y++) {
        float *evens = rows + (y + 1) * stride, *odds = evens + g.half;
        const float *in = x + (long)y * g.width;
        for (int k = 0; 2 * k < g.width; k += 16) {
            __m512 a = _mm512_maskz_loadu_ps(firstLanes(g.width - 2 * k), in + 2 * k);
            __m512 b = _mm512_maskz_loadu_ps(firstLanes(g.width - 2 * k - 16), in + 2 * k + 16);
            _mm512_storeu_ps(odds + k, _mm512_permutex2var_ps(a, even, b));
            _mm512_storeu_ps(evens + k + 1, _mm512_permutex2var_ps(a, odd, b));
        }
    }
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int t0 = 0; t0 < g.tileColumns; t0 += tilesPerVector) {
            __mmask16 lanes = firstLanes(g.tileColumns - t0);
            __m512 s[4][4];
            for (int i = 0; i < 4; i++) {
                const float *evens = rows + (2 * ty + i) * stride + t0, *odds = evens + g.half;
                __m512 d0 = _mm512_loadu_ps(evens), d1 = _mm512_loadu_ps(odds);
                __m512 d2 = _mm512_loadu_ps(evens + 1), d3 = _mm512_loadu_ps(odds + 1);
                s[i][0] = _mm512_sub_ps(d0, d2);
                s[i][1] = _mm512_add_ps(d1, d2);
                s[i][2] = _mm512_sub_ps(d2, d1);
                s[i][3] = _mm512_sub_ps(d1, d3);
            }
            float *target = v + (long)ty * g.tileColumns + t0;
            for (int j = 0; j < 4; j++) {
                _mm512_mask_storeu_ps(target + (0 * 4 + j) * pointStride, lanes, _mm512_sub_ps(s[0][j], s[2][j]));
                _mm512_mask_storeu_ps(target + (1 * 4 + j) * pointStride, lanes, _mm512_add_ps(s[1][j], s[2][j]));
                _mm512_mask_storeu_ps(target + (2 * 4 + j) * pointStride, lanes, _mm512_sub_ps(s[2][j], s[1][j]));
                _mm512_mask_storeu_ps(target + (3 * 4 + j) * pointStride, lanes, _mm512_sub_ps(s[1][j], s[3][j]));
            }
        }
    }
}

// The tiles of rows `ty`… of a narrow map held in a vector (`narrowChunk`: tile row ty + k in
// lanes k·w…k·w + w − 1, its first `tileColumns` lanes real): the mask of the real ones.
static AVX512 inline __mmask16 narrowTiles(int w, int ty, int rows, int columns) {
    __mmask16 lanes = 0;
    for (int k = 0; k < 16 / w && ty + k < rows; k++) lanes |= (__mmask16)(((1u << columns) - 1) << (k * w));
    return lanes;
}

// Stores the `lanes` of `value` at consecutive floats from `target` (moved together first when
// a tile row has fewer tiles than the chunk's w; by registers: compressing stores to memory are
// slow on Zen 4).
static AVX512 inline void storeNarrow(float *target, __mmask16 lanes, __m512 value) {
    int count = __builtin_popcount(lanes);
    if (lanes != firstLanes(count)) value = _mm512_maskz_compress_ps(lanes, value);
    _mm512_mask_storeu_ps(target, firstLanes(count), value);
}

// `inputTransformAVX512` for maps of at most 16 columns, whose tile rows of at most 8 tiles
// would fill half a vector or less: 16 / w tile rows at a time instead, w = `narrowChunk(g)`
// lanes each. Each padded row r is split into four chunks of w columns — E[0…w−1], O[0…w−1],
// E[1…w], O[1…w], the patch columns j = 0…3 of the tiles of a tile row — and each chunk stored
// in a list of its own for r's parity, at r / 2, so that patch row i of tile rows t, t + 1, …
// (padded rows 2t + i, 2t + 2 + i, …) is 16 consecutive floats of list (i mod 2, j) from
// t + ⌊i/2⌋. The same arithmetic as `transformPatch`; the lanes past a tile row's last tile
// are dropped as the vectors are stored. All `count` channels of an image in one call (channel c's V
// `planeStride` floats after the previous channel's), as `outputTransformNarrowAVX512` does.
static AVX512 void inputTransformNarrowAVX512(const float *planes, int count, TileLayout g, float *rows, float *vs,
                                              long planeStride, long pointStride) {
    int w = narrowChunk(g), perVector = 16 / w;
    long list = w * narrowHalfRows(g);  // floats of one chunk list
    // Lanes of one loaded row (x[y][q] in lane q, zero past the row; index 16 a zero) for the
    // padded columns (padded column q + 1 is x[y][q]): for w = 4 all four chunks, for w = 8
    // E[0…7] | O[0…7] and E[1…8] | O[1…8].
    const __m512i four = _mm512_setr_epi32(16, 1, 3, 5, 0, 2, 4, 6, 1, 3, 5, 7, 2, 4, 6, 8);
    const __m512i eightLow = _mm512_setr_epi32(16, 1, 3, 5, 7, 9, 11, 13, 0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i eightHigh = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 2, 4, 6, 8, 10, 12, 14, 16);
    const __m512 zero = _mm512_setzero_ps();
    for (int plane = 0; plane < count; plane++) {
        const float *x = planes + plane * (long)g.height * g.width;
        float *v = vs + plane * planeStride;
        for (int y = 0; y < g.height; y++) {
            long r = y + 1;
            float *target = rows + (r % 2) * 4 * list + (r / 2) * w;
            __m512 row = _mm512_maskz_loadu_ps(firstLanes(g.width), x + (long)y * g.width);
            if (w == 4) {
                __m512 chunks = _mm512_permutex2var_ps(row, four, zero);
                _mm_storeu_ps(target, _mm512_extractf32x4_ps(chunks, 0));
                _mm_storeu_ps(target + list, _mm512_extractf32x4_ps(chunks, 1));
                _mm_storeu_ps(target + 2 * list, _mm512_extractf32x4_ps(chunks, 2));
                _mm_storeu_ps(target + 3 * list, _mm512_extractf32x4_ps(chunks, 3));
                continue;
            }
            __m512 low = _mm512_permutex2var_ps(row, eightLow, zero), high = _mm512_permutex2var_ps(row, eightHigh, zero);
            _mm256_storeu_ps(target, _mm512_castps512_ps256(low));
            _mm256_storeu_ps(target + list, _mm512_castps512_ps256(_mm512_shuffle_f32x4(low, low, 0xEE)));
            _mm256_storeu_ps(target + 2 * list, _mm512_castps512_ps256(high));
            _mm256_storeu_ps(target + 3 * list, _mm512_castps512_ps256(_mm512_shuffle_f32x4(high, high, 0xEE)));
        }
        for (int ty = 0; ty < g.tileRows; ty += perVector) {
            __mmask16 lanes = narrowTiles(w, ty, g.tileRows, g.tileColumns);
            __m512 s[4][4];
            for (int i = 0; i < 4; i++) {
                const float *chunk = rows + (i % 2) * 4 * list + (ty + i / 2) * w;
                __m512 d0 = _mm512_loadu_ps(chunk), d1 = _mm512_loadu_ps(chunk + list);
                __m512 d2 = _mm512_loadu_ps(chunk + 2 * list), d3 = _mm512_loadu_ps(chunk + 3 * list);
                s[i][0] = _mm512_sub_ps(d0, d2);
                s[i][1] = _mm512_add_ps(d1, d2);
                s[i][2] = _mm512_sub_ps(d2, d1);
                s[i][3] = _mm512_sub_ps(d1, d3);
            }
            float *target = v + (long)ty * g.tileColumns;
            for (int j = 0; j < 4; j++) {
                storeNarrow(target + (0 * 4 + j) * pointStride, lanes, _mm512_sub_ps(s[0][j], s[2][j]));
                storeNarrow(target + (1 * 4 + j) * pointStride, lanes, _mm512_add_ps(s[1][j], s[2][j]));
                storeNarrow(target + (2 * 4 + j) * pointStride, lanes, _mm512_sub_ps(s[2][j], s[1][j]));
                storeNarrow(target + (3 * 4 + j) * pointStride, lanes, _mm512_sub_ps(s[1][j], s[3][j]));
            }
        }
    }
}

// `outputTransformPortable` for 16 tiles at a time: the even and odd output columns of a tile
// row come out in separate vectors; the start values are loaded and split the same way, and
// the outputs interleaved back as they are stored (or pooled without interleaving).
static AVX512 void outputTransformAVX512(const float *m, long pointStride, TileLayout g, const float *start, int relu,
                                         int pool, float *y) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    int rows = pool ? g.height / 2 : g.tileRows;
    long pooledWidth = g.width / 2;
    for (int ty = 0; ty < rows; ty++) {
        for (int t0 = 0; t0 < g.tileColumns; t0 += tilesPerVector) {
            const float *source = m + (long)ty * g.tileColumns + t0;
            __mmask16 lanes = firstLanes(g.tileColumns - t0);
            __m512 e[transformPoints], r[2][4], out[2][2];
            for (int point = 0; point < transformPoints; point++) {
                e[point] = _mm512_maskz_loadu_ps(lanes, source + point * pointStride);
            }
            for (int j = 0; j < 4; j++) {
                r[0][j] = _mm512_add_ps(_mm512_add_ps(e[j], e[4 + j]), e[8 + j]);
                r[1][j] = _mm512_sub_ps(_mm512_sub_ps(e[4 + j], e[8 + j]), e[12 + j]);
            }
            long columns = g.width - 2L * t0;
            __mmask16 lowColumns = firstLanes(columns), highColumns = firstLanes(columns - 16);
            for (int i = 0; i < 2 && 2 * ty + i < g.height; i++) {
                out[i][0] = _mm512_add_ps(_mm512_add_ps(r[i][0], r[i][1]), r[i][2]);
                out[i][1] = _mm512_sub_ps(_mm512_sub_ps(r[i][1], r[i][2]), r[i][3]);
                long at = (long)(2 * ty + i) * g.width + 2 * t0;
                if (start) {
                    __m512 a = _mm512_maskz_loadu_ps(lowColumns, start + at);
                    __m512 b = _mm512_maskz_loadu_ps(highColumns, start + at + 16);
                    out[i][0] = _mm512_add_ps(out[i][0], _mm512_permutex2var_ps(a, even, b));
                    out[i][1] = _mm512_add_ps(out[i][1], _mm512_permutex2var_ps(a, odd, b));
                }
                if (relu) {
                    out[i][0] = clamped(out[i][0]);
                    out[i][1] = clamped(out[i][1]);
                }
                if (pool) continue;
                _mm512_mask_storeu_ps(y + at, lowColumns, _mm512_permutex2var_ps(out[i][0], low, out[i][1]));
                _mm512_mask_storeu_ps(y + at + 16, highColumns, _mm512_permutex2var_ps(out[i][0], high, out[i][1]));
            }
            if (!pool) continue;
            __m512 best = larger(out[0][1], out[0][0]);
            best = larger(out[1][0], best);
            _mm512_mask_storeu_ps(y + ty * pooledWidth + t0, firstLanes(pooledWidth - t0), larger(out[1][1], best));
        }
    }
}

// Output rows `first`, `first + 2`, … of a narrow map as `outputTransformNarrowAVX512` lays
// them out in a vector: one row of up to 16 columns for w = 8, two of up to 8 for w = 4.
static AVX512 inline __m512 narrowRows(const float *plane, TileLayout g, int w, int first) {
    if (w == 4) return rowPair(plane, g, first);
    return first < g.height ? _mm512_maskz_loadu_ps(firstLanes(g.width), plane + (long)first * g.width) : _mm512_setzero_ps();
}

// `outputTransformAVX512` for maps of at most 16 columns, 16 / w tile rows at a time as
// `inputTransformNarrowAVX512` has them (tile row ty + k in lanes k·w…): output row 2ty + i of
// the tiles' even columns in out[i][0], odd in out[i][1]. Interleaving them gives, for w = 8,
// rows 2t + i and 2t + 2 + i in two vectors; for w = 4, rows 2t + i and 2t + 2 + i in one
// vector and 2t + 4 + i, 2t + 6 + i in another. The start values are loaded that way and split
// back; pooled rows are gathered from the lanes of real tiles as they are stored. All `planes`
// output channels of an image in one call (plane o's products `planeStride` floats after the
// previous plane's, its start values `startStride` and its outputs `outputStride`): a narrow
// plane is one to four vectors, and a call per plane spent on its set-up about what it spent
// on them.
static AVX512 void outputTransformNarrowAVX512(const float *m, long pointStride, long planeStride, int planes,
                                               TileLayout g, const float *start, long startStride, int relu, int pool,
                                               float *y, long outputStride) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    int w = narrowChunk(g), perVector = 16 / w, pooledRows = g.height / 2, pooledWidth = g.width / 2;
    __mmask16 columns = firstLanes(g.width);
    for (int plane = 0; plane < planes; plane++) {
        const float *offset = start ? start + plane * startStride : NULL;
        float *target = y + plane * outputStride;
        for (int ty = 0; ty < g.tileRows; ty += perVector) {
            __mmask16 lanes = narrowTiles(w, ty, g.tileRows, g.tileColumns), loaded = firstLanes(__builtin_popcount(lanes));
            int expands = lanes != loaded;
            const float *products = m + plane * planeStride + (long)ty * g.tileColumns;
            __m512 e[transformPoints], r[2][4], out[2][2];
            for (int point = 0; point < transformPoints; point++) {
                e[point] = _mm512_maskz_loadu_ps(loaded, products + point * pointStride);
                if (expands) e[point] = _mm512_maskz_expand_ps(lanes, e[point]);
            }
            for (int j = 0; j < 4; j++) {
                r[0][j] = _mm512_add_ps(_mm512_add_ps(e[j], e[4 + j]), e[8 + j]);
                r[1][j] = _mm512_sub_ps(_mm512_sub_ps(e[4 + j], e[8 + j]), e[12 + j]);
            }
            for (int i = 0; i < 2; i++) {
                out[i][0] = _mm512_add_ps(_mm512_add_ps(r[i][0], r[i][1]), r[i][2]);
                out[i][1] = _mm512_sub_ps(_mm512_sub_ps(r[i][1], r[i][2]), r[i][3]);
                if (offset) {
                    __m512 near = narrowRows(offset, g, w, 2 * ty + i), far = narrowRows(offset, g, w, 2 * ty + perVector + i);
                    out[i][0] = _mm512_add_ps(out[i][0], _mm512_permutex2var_ps(near, even, far));
                    out[i][1] = _mm512_add_ps(out[i][1], _mm512_permutex2var_ps(near, odd, far));
                }
                if (relu) {
                    out[i][0] = clamped(out[i][0]);
                    out[i][1] = clamped(out[i][1]);
                }
            }
            if (pool) {
                __m512 best = larger(out[0][1], out[0][0]);
                best = larger(out[1][0], best);
                storeNarrow(target + (long)ty * pooledWidth, narrowTiles(w, ty, pooledRows, pooledWidth),
                            larger(out[1][1], best));
                continue;
            }
            for (int i = 0; i < 2; i++) {
                __m512 halves[2] = {_mm512_permutex2var_ps(out[i][0], low, out[i][1]),
                                    _mm512_permutex2var_ps(out[i][0], high, out[i][1])};
                for (int h = 0; h < 2; h++) {
                    for (int k = 0; k < perVector / 2; k++) {  // tile row ty + h·perVector/2 + k
                        int row = 2 * (ty + h * perVector / 2 + k) + i;
                        if (row >= g.height) continue;
                        __m512 value = k == 0 ? halves[h] : _mm512_shuffle_f32x4(halves[h], halves[h], 0xEE);
                        _mm512_mask_storeu_ps(target + (long)row * g.width, columns, value);
                    }
                }
            }
        }
    }
}
#endif

void winogradTransformInputs(const float *planes, int count, TileLayout g, int fast, float *rows, float *v,
                             long planeStride, long pointStride) {
#if defined(__x86_64__)
    if (fast && narrowChunk(g)) {
        inputTransformNarrowAVX512(planes, count, g, rows, v, planeStride, pointStride);
        return;
    }
#endif
    for (int c = 0; c < count; c++) {
        const float *plane = planes + c * (long)g.height * g.width;
#if defined(__x86_64__)
        if (fast) {
            inputTransformAVX512(plane, g, rows, v + c * planeStride, pointStride);
            continue;
        }
#endif
        inputTransformPortable(plane, g, v + c * planeStride, pointStride);
    }
}

int shears_winograd3x3_fast(void) { return directKernelsHaveAVX512(); }

int shears_winograd3x3_group(int height, int width) {
    long tiles = tileLayout(height, width).tiles;
    return (int)((groupTiles + tiles - 1) / tiles);
}

void shears_winograd3x3(const float *x, int images, int inputs, int height, int width, const float *u, int outputs,
                        const float *start, int relu, int pool, int kernels, float *scratch, float *y) {
    TileLayout g = tileLayout(height, width);
    long all = images * g.tiles;  // the group's tiles, image after image
    float *rows = scratch, *v = rows + winogradRowFloats(g), *m = v + transformPoints * (long)inputs * all;
    long inputStride = (long)inputs * all, outputStride = (long)outputs * all;
    long pixels = (long)height * width, outputPixels = pool ? (long)(height / 2) * (width / 2) : pixels;
    int fast = 0;
#if defined(__x86_64__)
    fast = kernels == 0 && shears_winograd3x3_fast();
#endif
    memset(rows, 0, sizeof(float) * winogradRowFloats(g));
    for (int image = 0; image < images; image++) {
        winogradTransformInputs(x + (long)image * inputs * pixels, inputs, g, fast, rows, v + image * g.tiles, all,
                                inputStride);
    }
    winogradProducts(transformPoints, u, outputs, inputs, v, inputStride, all, fast ? avx512Code : plainCode, 0, m,
                     outputStride);
    for (int image = 0; image < images; image++) {
#if defined(__x86_64__)
        if (fast && narrowChunk(g)) {
            outputTransformNarrowAVX512(m + image * g.tiles, outputStride, all, outputs, g, start, pixels, relu, pool,
                                        y + (long)image * outputs * outputPixels, outputPixels);
            continue;
        }
#endif
        for (int o = 0; o < outputs; o++) {
            const float *products = m + o * all + image * g.tiles, *offset = start ? start + o * pixels : NULL;
            float *target = y + ((long)image * outputs + o) * outputPixels;
#if defined(__x86_64__)
            if (fast) {
                outputTransformAVX512(products, outputStride, g, offset, relu, pool, target);
                continue;
            }
#endif
            outputTransformPortable(products, outputStride, g, offset, relu, pool, target);
        }
    }
}
