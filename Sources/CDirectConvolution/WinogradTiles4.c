// Winograd F(4x4, 3x3) convolution of a group of images (stride 1, padding 1), Lavin & Gray
// 2016, §4.3 (F(4x4, 3x3)'s matrices, from the points 0, ±1, ±2 and ∞, nested as their eq. 8): per
// 4x4 output tile, Y = Aᵀ[U ⊙ V]A with U = G g Gᵀ and V = Bᵀ d B (d the tile's 6x6 input
// patch), summed over channels in the transform domain by `winogradProducts`, 36
// multiplications per tile and channel where F(2x2, 3x3) spends 64 for the same 16 outputs and
// the direct convolution 144:
//
//     Bᵀ = [4  0 −5  0 1 0;  0 −4 −4  1 1 0;  0 4 −4 −1 1 0;
//           0 −2 −1  2 1 0;  0  2 −1 −2 1 0;  0 4  0 −5 0 1],
//     G  = [1/4 0 0; −1/6 −1/6 −1/6; −1/6 1/6 −1/6; 1/24 1/12 1/6; 1/24 −1/12 1/6; 0 0 1],
//     Aᵀ = [1 1 1 1 1 0;  0 1 −1 2 −2 0;  0 1 1 4 4 0;  0 1 −1 8 −8 1].
//
// The larger tile trades accuracy for multiplications: its transforms have entries up to 8 and
// 1/24, so the rounding error is several times F(2x2)'s (the tests bound it).
//
// Tiles of 4 columns leave at most 7 per row on the reference models' maps (28 x 28), too few
// for a vector along a tile row as WinogradTiles.c has. The AVX-512 input transform takes one of
// three shapes by the map's width: on maps of 3 to 7 tile columns, per tile row, `inputColumn`
// down the six padded rows on whole 32-column rows, then each result's columns picked per tile,
// two tile rows to a vector, and transformed along (`transformRows`); on maps of 1 or 2 tile
// columns, 16 consecutive tiles
// of the group at a time, their patch elements gathered (`transformBlock`); on wider maps, each
// padded row's columns picked into one list per patch position (k, j) (`gatherPatchLists`),
// then transformed 16 tiles at a time. The products are transformed into one list per output
// position and scattered back to rows (`scatterOutputRows`), where the start values, the ReLU and
// the 2x2 pooling (a 4x4 output tile holds 4 windows) are applied. V's and M's points are
// `pointPadding` floats further apart than their rows need.
//
// Order of every sum, the same in the AVX-512 code and the portable C (hence the same bits):
// the one-dimensional transforms `inputColumn` and `outputColumn` as written, first down the
// patch's columns, then along its rows; the products as `winogradProducts`; then the start
// value added, the ReLU and the pool as WinogradTiles.c.

#include "CDirectConvolution.h"
#include "DirectLayout.h"
#include "WinogradLayout.h"

#include <math.h>
#include <stdint.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { patchPoints = 36, chunkTiles = 8 };

// The most tile columns of a map whose patches are gathered (`transformBlock`), 16 tiles at a
// time, and of one transformed by `transformRows` (a padded row's 4·7 + 2 columns fit two
// vectors). Measured (one core, groups of 4 images, the whole F(4x4) call), `transformRows` with
// one tile row per vector against the patch lists: 0.77x on 29 → 10 channels on 28 x 28 maps,
// 0.83–0.88x on 16 → 16 to 32 → 32; against the gathers 0.87–0.89x on 3 tile columns (10 to 12
// wide), 0.89–0.90x on 14 x 14, but 1.04–1.40x on 7 x 7 and 1.10x on 8 x 8 (2 tile columns),
// where the gathers stay; then two tile rows per vector a further 0.91–0.95x.
enum { gatheredTileColumns = 2, rowTileColumns = 7 };

// Tiles a group should have at least (`shears_winograd4x4_group`): the products' register
// tiles take 64 tiles (groups of 32, 64 and 128 tiles measured alike on 14 x 14 and 7 x 7 maps).
enum { groupTiles4 = 64 };

size_t shears_winograd4x4_filter_count(int inputs, int outputs) {
    return (size_t)(patchPoints * filterPointStride(inputs, outputs));
}

int shears_winograd4x4_group(int height, int width) {
    long tiles = outputTiles(height, width).tiles;
    return (int)((groupTiles4 + tiles - 1) / tiles);
}

// Scratch: V[36][inputs][tiles] and M[36][outputs][tiles] of the group (the AVX-512 code's
// patch lists in V's place before they are transformed, its output lists in M's).
size_t shears_winograd4x4_scratch_count(int images, int inputs, int outputs, int height, int width) {
    long all = images * outputTiles(height, width).tiles;
    return (size_t)(patchPoints * (all * ((long)inputs + outputs) + 2 * pointPadding));
}

// G (Lavin & Gray 2016, §4.3) applied to one column (g0, g1, g2) of a filter (or, second, to
// one row of G g) into t[0…5]: G's rows are (1/4, 0, 0), (−1/6, −1/6, −1/6), (−1/6, 1/6, −1/6),
// (1/24, 1/12, 1/6), (1/24, −1/12, 1/6), (0, 0, 1).
static inline void filterColumn(float g0, float g1, float g2, float *t, long stride) {
    float outer = g0 + g2, quarter = g0 * (1.0f / 24) + g2 * (1.0f / 6), middle = g1 * (1.0f / 12);
    t[0] = g0 * 0.25f;
    t[stride] = (outer + g1) * (-1.0f / 6);
    t[2 * stride] = (outer - g1) * (-1.0f / 6);
    t[3 * stride] = quarter + middle;
    t[4 * stride] = quarter - middle;
    t[5 * stride] = g2;
}

// Pairs of channels transformed together, so that each step of the arithmetic is one loop the
// compiler runs in vectors.
enum { filterLanes = 16 };

void shears_winograd4x4_transform_filters(const float *w, int filters, int channels, int rotated, float *u) {
    int outputs = rotated ? channels : filters, inputs = rotated ? filters : channels;
    for (int o = 0; o < outputs; o++) {
        for (int c0 = 0; c0 < inputs; c0 += filterLanes) {
            int count = inputs - c0 < filterLanes ? inputs - c0 : filterLanes;
            // g[i·3 + j][l]: tap (i, j) of the filter from input channel c0 + l to output o of the
            // convolution run; t = G g, then (G g) Gᵀ stored row by row, point i·6 + j of each
            // `filterPointStride` apart.
            float g[9][filterLanes], t[6][3][filterLanes];
            for (int l = 0; l < count; l++) {
                int c = c0 + l;
                for (int tap = 0; tap < 9; tap++) {
                    g[tap][l] = rotated ? w[((long)c * channels + o) * 9 + 8 - tap] : w[((long)o * channels + c) * 9 + tap];
                }
            }
            for (int j = 0; j < 3; j++) {
                for (int l = 0; l < count; l++) filterColumn(g[j][l], g[3 + j][l], g[6 + j][l], &t[0][j][l], 3 * filterLanes);
            }
            long pointStride = filterPointStride(inputs, outputs);
            for (int i = 0; i < 6; i++) {
                float *row = u + (long)i * 6 * pointStride + (long)o * inputs + c0;
                for (int l = 0; l < count; l++) filterColumn(t[i][0][l], t[i][1][l], t[i][2][l], row + l, pointStride);
            }
        }
    }
    clearFilterPadding(u, patchPoints, inputs, outputs);
}

// Bᵀ d for one column d of a patch (or, second, one row of Bᵀ d): 12 operations.
static inline void inputColumn(const float d[6], float v[6]) {
    float t1 = fmaf(-4.0f, d[2], d[4]), t2 = fmaf(-4.0f, d[1], d[3]);
    float t3 = d[4] - d[2], t4 = d[3] - d[1];
    t4 = t4 + t4;
    v[0] = fmaf(4.0f, d[0], fmaf(-5.0f, d[2], d[4]));
    v[1] = t1 + t2;
    v[2] = t1 - t2;
    v[3] = t3 + t4;
    v[4] = t3 - t4;
    v[5] = fmaf(4.0f, d[1], fmaf(-5.0f, d[3], d[5]));
}

// Aᵀ m for one column m of the products (or, second, one row of Aᵀ M): 10 operations.
static inline void outputColumn(const float m[6], float y[4]) {
    float a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
    y[0] = (m[0] + a) + c;
    y[1] = fmaf(2.0f, d, b);
    y[2] = fmaf(4.0f, c, a);
    y[3] = fmaf(8.0f, d, b) + m[5];
}

static void inputTransformPortable(const float *x, OutputTiles g, float *v, long pointStride) {
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int tx = 0; tx < g.tileColumns; tx++) {
            float d[6][6], w[6][6], column[6], out[6];
            for (int k = 0; k < 6; k++) {
                for (int j = 0; j < 6; j++) {
                    int row = 4 * ty + k - 1, col = 4 * tx + j - 1;
                    d[k][j] = row >= 0 && row < g.height && col >= 0 && col < g.width ? x[(long)row * g.width + col] : 0;
                }
            }
            for (int j = 0; j < 6; j++) {
                for (int k = 0; k < 6; k++) column[k] = d[k][j];
                inputColumn(column, out);
                for (int i = 0; i < 6; i++) w[i][j] = out[i];
            }
            for (int i = 0; i < 6; i++) {
                inputColumn(w[i], out);
                for (int j = 0; j < 6; j++) v[(i * 6 + j) * pointStride + (long)ty * g.tileColumns + tx] = out[j];
            }
        }
    }
}

// Aᵀ M A of one output channel's tiles of one image, plus start, ReLU and pool.
static void outputTransformPortable(const float *m, long pointStride, OutputTiles g, const float *start, int relu, int pool,
                                    float *y) {
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int tx = 0; tx < g.tileColumns; tx++) {
            long t = (long)ty * g.tileColumns + tx;
            float r[4][6], out[4][4], column[6], sums[4];
            for (int j = 0; j < 6; j++) {
                for (int k = 0; k < 6; k++) column[k] = m[(k * 6 + j) * pointStride + t];
                outputColumn(column, sums);
                for (int i = 0; i < 4; i++) r[i][j] = sums[i];
            }
            for (int i = 0; i < 4; i++) outputColumn(r[i], out[i]);
            storeOutputTile4(out, g, ty, tx, start, relu, pool, y);
        }
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f")))

// `inputColumn` on 16 tiles.
static AVX512 inline void inputColumnAVX512(const __m512 d[6], __m512 v[6]) {
    const __m512 four = _mm512_set1_ps(4.0f), minusFour = _mm512_set1_ps(-4.0f), minusFive = _mm512_set1_ps(-5.0f);
    __m512 t1 = _mm512_fmadd_ps(minusFour, d[2], d[4]), t2 = _mm512_fmadd_ps(minusFour, d[1], d[3]);
    __m512 t3 = _mm512_sub_ps(d[4], d[2]), t4 = _mm512_sub_ps(d[3], d[1]);
    t4 = _mm512_add_ps(t4, t4);
    v[0] = _mm512_fmadd_ps(four, d[0], _mm512_fmadd_ps(minusFive, d[2], d[4]));
    v[1] = _mm512_add_ps(t1, t2);
    v[2] = _mm512_sub_ps(t1, t2);
    v[3] = _mm512_add_ps(t3, t4);
    v[4] = _mm512_sub_ps(t3, t4);
    v[5] = _mm512_fmadd_ps(four, d[1], _mm512_fmadd_ps(minusFive, d[3], d[5]));
}

// `outputColumn` on 16 tiles.
static AVX512 inline void outputColumnAVX512(const __m512 m[6], __m512 y[4]) {
    __m512 a = _mm512_add_ps(m[1], m[2]), b = _mm512_sub_ps(m[1], m[2]);
    __m512 c = _mm512_add_ps(m[3], m[4]), d = _mm512_sub_ps(m[3], m[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(m[0], a), c);
    y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d, b);
    y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a);
    y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d, b), m[5]);
}

// 16 consecutive tiles of a group (the last block's first `all − first` only): each one's
// offset in the group's input from its image's first float to its patch's top left (padded, so
// one row and one column before the tile's first input), and which lanes' patch rows k and
// columns j lie inside the map.
typedef struct {
    __m512i offsets;
    __mmask16 rows[6], columns[6];
} TileBlock;

static AVX512 TileBlock tileBlock(OutputTiles g, long first, long all, long imageFloats) {
    TileBlock block = {_mm512_setzero_si512(), {0}, {0}};
    int offsets[tilesPerVector] = {0};
    for (int l = 0; l < tilesPerVector && first + l < all; l++) {
        long image = (first + l) / g.tiles, tile = (first + l) % g.tiles;
        int top = 4 * (int)(tile / g.tileColumns) - 1, left = 4 * (int)(tile % g.tileColumns) - 1;
        offsets[l] = (int)(image * imageFloats + (long)top * g.width + left);
        for (int k = 0; k < 6; k++) {
            if (top + k >= 0 && top + k < g.height) block.rows[k] |= (__mmask16)(1u << l);
            if (left + k >= 0 && left + k < g.width) block.columns[k] |= (__mmask16)(1u << l);
        }
    }
    block.offsets = _mm512_loadu_si512(offsets);
    return block;
}

// The second half of Bᵀ d B for 16 tiles, `w` = Bᵀ d: `inputColumnAVX512` along each of its
// rows, V's point i·6 + j stored at `v[(i·6 + j)·pointStride]`. (The first half stays with each
// caller's loads: interleaving them with the arithmetic measured 4–8% faster than loading all
// 36 first.)
static AVX512 inline void storeTransformedRows(__m512 w[6][6], __mmask16 lanes, float *v, long pointStride) {
    __m512 out[6];
    for (int i = 0; i < 6; i++) {
        inputColumnAVX512(w[i], out);
        for (int j = 0; j < 6; j++) _mm512_mask_storeu_ps(v + (i * 6 + j) * pointStride, lanes, out[j]);
    }
}

// V of one channel for a block of 16 tiles (`v[ξ·pointStride + l]`, the block's first tile at
// l = 0), `x` that channel of the group's first image: the patches' 36 elements gathered
// (zero outside the map), then `inputColumn` down each of their columns and along each row.
static AVX512 void transformBlock(const float *x, TileBlock block, int width, float *v, long pointStride) {
    __mmask16 lanes = block.columns[1] | block.columns[2];  // every real tile reads its first column
    __m512 w[6][6], column[6], out[6];
    for (int j = 0; j < 6; j++) {
        for (int k = 0; k < 6; k++) {
            __m512i at = _mm512_add_epi32(block.offsets, _mm512_set1_epi32(k * width + j));
            column[k] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), block.rows[k] & block.columns[j], at, x, 4);
        }
        inputColumnAVX512(column, out);
        for (int i = 0; i < 6; i++) w[i][j] = out[i];
    }
    storeTransformedRows(w, lanes, v, pointStride);
}

// Lane t (< 8) picks lane 4t + j of a pair of vectors (32 lanes): column j of tile t when the
// pair holds 32 consecutive padded columns from tile 0's first (0 in the lanes past 8 and for
// 4t + j > 31: lanes no caller stores).
static AVX512 inline __m512i columnPick(int j) {
    __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 8, 8);
    __m512i picks = _mm512_add_epi32(_mm512_slli_epi32(lanes, 2), _mm512_set1_epi32(j));
    return _mm512_maskz_mov_epi32(_mm512_cmplt_epi32_mask(picks, _mm512_set1_epi32(32)) & 0xFF, picks);
}

// On maps of more than `rowTileColumns` tile columns, instead of `transformRows`:
// one channel of one image into patch lists, list (k, j) at `lists + (k·6 + j)·stride`, tile
// t = ty·tileColumns + tx of the image at `first + t`, holding padded row 4ty + k, column 4tx + j.
// Each padded row r is patch row r mod 4 of tile row ⌊r/4⌋ and, when r mod 4 < 2, also patch row
// r mod 4 + 4 of tile row ⌊r/4⌋ − 1; up to 8 tiles of it at a time, their six columns picked
// from 32 loaded lanes (columns 4t…4t + 31) and, for j = 4 and 5, from 32 loaded 4 columns later.
static AVX512 void gatherPatchLists(const float *x, OutputTiles g, float *lists, long stride, long first) {
    __m512i pick0 = columnPick(0), pick1 = columnPick(1), pick2 = columnPick(2), pick3 = columnPick(3);
    for (int r = 0; r <= 4 * g.tileRows + 1; r++) {
        int y = r - 1, inside = y >= 0 && y < g.height;
        const float *row = x + (long)(inside ? y : 0) * g.width;
        // Where this row's six columns go: patch row r mod 4 of tile row ⌊r/4⌋, and patch row
        // r mod 4 + 4 of the tile row above (NULL where there is none).
        float *near = r / 4 < g.tileRows ? lists + (r % 4) * 6 * stride + first + (long)(r / 4) * g.tileColumns : NULL;
        float *far = r % 4 < 2 && r >= 4 ? lists + (r % 4 + 4) * 6 * stride + first + (long)(r / 4 - 1) * g.tileColumns : NULL;
        for (int tx = 0; tx < g.tileColumns; tx += chunkTiles) {
            __mmask16 lanes = firstLanes(g.tileColumns - tx < chunkTiles ? g.tileColumns - tx : chunkTiles);
            long column = 4L * tx - 1;  // x's column in lane 0 of the first load
            __m512 a = _mm512_setzero_ps(), b = a, c = a, d = a;  // padded columns 4tx + 0…31, then 4tx + 4…35
            if (inside) {
                a = _mm512_maskz_loadu_ps(laneRange(-column, g.width - column), row + column);
                b = _mm512_maskz_loadu_ps(laneRange(-column - 16, g.width - column - 16), row + column + 16);
                c = _mm512_maskz_loadu_ps(laneRange(-column - 4, g.width - column - 4), row + column + 4);
                d = _mm512_maskz_loadu_ps(laneRange(-column - 20, g.width - column - 20), row + column + 20);
            }
            __m512 columns[6] = {_mm512_permutex2var_ps(a, pick0, b), _mm512_permutex2var_ps(a, pick1, b),
                                 _mm512_permutex2var_ps(a, pick2, b), _mm512_permutex2var_ps(a, pick3, b),
                                 _mm512_permutex2var_ps(c, pick0, d), _mm512_permutex2var_ps(c, pick1, d)};
            for (int j = 0; j < 6; j++) {
                if (near) _mm512_mask_storeu_ps(near + j * stride + tx, lanes, columns[j]);
                if (far) _mm512_mask_storeu_ps(far + j * stride + tx, lanes, columns[j]);
            }
        }
    }
}

// `inputColumnAVX512` down the six padded rows of tile row `ty` (4ty − 1 … 4ty + 4) of a map of
// at most `rowTileColumns` tile columns: `va[i]` and `vb[i]` hold row i of Bᵀ d over padded
// columns 0…15 and 16…31 (the map's values, zero outside it).
static AVX512 inline void transformDown(const float *x, OutputTiles g, int ty, __m512 va[6], __m512 vb[6]) {
    __mmask16 low = laneRange(1, g.width + 1), high = laneRange(-15, g.width - 15);
    __m512 a[6], b[6];
    for (int k = 0; k < 6; k++) {
        int y = 4 * ty + k - 1;
        if (y < 0 || y >= g.height) {
            a[k] = b[k] = _mm512_setzero_ps();
            continue;
        }
        const float *row = x + (long)y * g.width - 1;
        a[k] = _mm512_maskz_loadu_ps(low, row);
        b[k] = high ? _mm512_maskz_loadu_ps(high, row + 16) : _mm512_setzero_ps();
    }
    inputColumnAVX512(a, va);
    inputColumnAVX512(b, vb);
}

// V of one channel of one image (`v[ξ·pointStride + first + t]` for its tile t) straight from
// its rows, on maps of at most `rowTileColumns` tile columns, two tile rows at a time:
// `transformDown` on each, then from row i of both, column j of every tile (padded column
// 4tx + j) picked into lane tx of the first tile row and lane tileColumns + tx of the second,
// and `inputColumnAVX512` along them. The order of `inputTransformPortable` (the same bits),
// with a third of the stores of the patch lists and their transform, and no list read back.
static AVX512 void transformRows(const float *x, OutputTiles g, float *v, long pointStride, long first) {
    int columns = g.tileColumns;
    // The second tile row's picks are the first's moved up by `columns` lanes.
    __m512i up = _mm512_sub_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                  _mm512_set1_epi32(columns));
    __m512i pick[6], pickNext[6];
    for (int j = 0; j < 6; j++) {
        pick[j] = columnPick(j);
        pickNext[j] = _mm512_permutexvar_epi32(up, pick[j]);
    }
    __mmask16 second = laneRange(columns, 2L * columns);
    for (int ty = 0; ty < g.tileRows; ty += 2) {
        __m512 va[6], vb[6], nextA[6], nextB[6];
        transformDown(x, g, ty, va, vb);
        transformDown(x, g, ty + 1, nextA, nextB);  // past the last tile row: computed, not stored
        __mmask16 lanes = firstLanes((ty + 1 < g.tileRows ? 2L : 1L) * columns);
        float *target = v + first + (long)ty * columns;
        for (int i = 0; i < 6; i++) {
            __m512 picked[6], out[6];
            for (int j = 0; j < 6; j++) {
                picked[j] = _mm512_mask_blend_ps(second, _mm512_permutex2var_ps(va[i], pick[j], vb[i]),
                                                 _mm512_permutex2var_ps(nextA[i], pickNext[j], nextB[i]));
            }
            inputColumnAVX512(picked, out);
            for (int j = 0; j < 6; j++) _mm512_mask_storeu_ps(target + (i * 6 + j) * pointStride, lanes, out[j]);
        }
    }
}

// V of one channel's `all` tiles (`v[ξ·pointStride + t]`) from its patch lists, in place (list
// (k, j) where V's point k·6 + j goes), 16 tiles at a time: each block's 36 loads come before
// its stores.
static AVX512 void transformPatchLists(float *v, long all, long pointStride) {
    for (long t = 0; t < all; t += tilesPerVector) {
        __mmask16 lanes = firstLanes(all - t);
        __m512 w[6][6], column[6], out[6];
        for (int j = 0; j < 6; j++) {
            for (int k = 0; k < 6; k++) column[k] = _mm512_maskz_loadu_ps(lanes, v + (k * 6 + j) * pointStride + t);
            inputColumnAVX512(column, out);
            for (int i = 0; i < 6; i++) w[i][j] = out[i];
        }
        storeTransformedRows(w, lanes, v + t, pointStride);
    }
}

// Aᵀ M A of one output channel's `all` tiles (`m[ξ·pointStride + t]`) into its output lists, in
// place: list (i, j), at point i·4 + j, holds output (i, j) of every tile.
static AVX512 void transformProductLists(float *m, long pointStride, long all) {
    for (long t = 0; t < all; t += tilesPerVector) {
        __mmask16 lanes = firstLanes(all - t);
        __m512 r[4][6], column[6], sums[4];
        for (int j = 0; j < 6; j++) {
            for (int k = 0; k < 6; k++) column[k] = _mm512_maskz_loadu_ps(lanes, m + (k * 6 + j) * pointStride + t);
            outputColumnAVX512(column, sums);
            for (int i = 0; i < 4; i++) r[i][j] = sums[i];
        }
        for (int i = 0; i < 4; i++) {
            outputColumnAVX512(r[i], sums);
            for (int j = 0; j < 4; j++) _mm512_mask_storeu_ps(m + (i * 4 + j) * pointStride + t, lanes, sums[j]);
        }
    }
}

// One image's outputs from the output lists (its tiles from `first`): per tile row and up to 8
// tiles, output row 4ty + i's 32 columns interleaved from lists (i, 0…3) — column 4t + j is
// tile t's output (i, j) — plus the start values, the ReLU, then stored, or its rows paired and
// max-pooled.
static AVX512 void scatterOutputRows(const float *lists, long stride, long first, OutputTiles g, const float *start, int relu,
                                     int pool, float *y) {
    // Column q of a chunk from lane 8·(q mod 4) + ⌊q/4⌋ of lists (i, 0) | (i, 1) (0…15) and
    // (i, 2) | (i, 3) (16…31).
    const __m512i low = _mm512_setr_epi32(0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27);
    const __m512i high = _mm512_setr_epi32(4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    int pooledHeight = g.height / 2, pooledWidth = g.width / 2;
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int tx = 0; tx < g.tileColumns; tx += chunkTiles) {
            int count = g.tileColumns - tx < chunkTiles ? g.tileColumns - tx : chunkTiles;
            __mmask16 lanes = firstLanes(count), upper = (__mmask16)(lanes << 8);
            long at = first + (long)ty * g.tileColumns + tx, columns = g.width - 4L * tx;
            __mmask16 lowColumns = firstLanes(columns), highColumns = firstLanes(columns - 16);
            __m512 rows[4][2];
            for (int i = 0; i < 4; i++) {
                const float *list = lists + (i * 4) * stride + at;
                __m512 a = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(lanes, list), upper, list + stride - 8);
                __m512 b = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(lanes, list + 2 * stride), upper, list + 3 * stride - 8);
                rows[i][0] = _mm512_permutex2var_ps(a, low, b);
                rows[i][1] = _mm512_permutex2var_ps(a, high, b);
                int row = 4 * ty + i;
                if (row >= g.height) continue;
                long offset = (long)row * g.width + 4L * tx;
                if (start) {
                    rows[i][0] = _mm512_add_ps(rows[i][0], _mm512_maskz_loadu_ps(lowColumns, start + offset));
                    if (highColumns) {
                        rows[i][1] = _mm512_add_ps(rows[i][1], _mm512_maskz_loadu_ps(highColumns, start + offset + 16));
                    }
                }
                if (relu) {
                    rows[i][0] = clamped(rows[i][0]);
                    rows[i][1] = clamped(rows[i][1]);
                }
                if (pool) continue;
                _mm512_mask_storeu_ps(y + offset, lowColumns, rows[i][0]);
                if (highColumns) _mm512_mask_storeu_ps(y + offset + 16, highColumns, rows[i][1]);
            }
            for (int a = 0; pool && a < 2 && 2 * ty + a < pooledHeight; a++) {
                __m512 top = rows[2 * a][0], topHigh = rows[2 * a][1], bottom = rows[2 * a + 1][0],
                       bottomHigh = rows[2 * a + 1][1];
                __m512 best = larger(_mm512_permutex2var_ps(top, odd, topHigh), _mm512_permutex2var_ps(top, even, topHigh));
                best = larger(_mm512_permutex2var_ps(bottom, even, bottomHigh), best);
                best = larger(_mm512_permutex2var_ps(bottom, odd, bottomHigh), best);
                _mm512_mask_storeu_ps(y + (long)(2 * ty + a) * pooledWidth + 2L * tx, firstLanes(pooledWidth - 2L * tx), best);
            }
        }
    }
}
#endif

int shears_winograd4x4_fast(void) { return winogradCode(0) != plainCode; }

VectorCode winogradCode(int kernels) {
    if (kernels == 1) return plainCode;
    if (kernels == 0 && shears_winograd3x3_fast()) return avx512Code;
    return shears_direct3x3_fast() ? avx2Code : plainCode;
}

void winograd4x4TransformInputs(const float *x, int images, int inputs, int height, int width, VectorCode code, float *v,
                                long inputStride) {
    OutputTiles g = outputTiles(height, width);
    long all = images * g.tiles;  // the group's tiles, image after image
    long pixels = (long)height * width;
#if defined(__x86_64__)
    int gathered = g.tileColumns <= gatheredTileColumns, rows = !gathered && g.tileColumns <= rowTileColumns;
    // Offsets into the group's input must fit the gathers' 32-bit indices (else AVX2's lists).
    if (code == avx512Code && gathered && (long)images * inputs * pixels >= INT32_MAX) code = avx2Code;
    if (code == avx2Code) {
        winograd4x4InputsAVX2(x, images, inputs, height, width, v, inputStride);
        return;
    }
    if (code == avx512Code && rows) {
        for (int c = 0; c < inputs; c++) {
            for (int image = 0; image < images; image++) {
                transformRows(x + ((long)image * inputs + c) * pixels, g, v + c * all, inputStride, image * g.tiles);
            }
        }
        return;
    }
    if (code == avx512Code && !gathered) {
        // Every channel's lists written before any is transformed: a vector read right after the
        // narrow stores that wrote it would wait for them.
        for (int c = 0; c < inputs; c++) {
            for (int image = 0; image < images; image++) {
                gatherPatchLists(x + ((long)image * inputs + c) * pixels, g, v + c * all, inputStride, image * g.tiles);
            }
        }
        for (int c = 0; c < inputs; c++) transformPatchLists(v + c * all, all, inputStride);
        return;
    }
    for (long first = 0; code == avx512Code && first < all; first += tilesPerVector) {
        TileBlock block = tileBlock(g, first, all, (long)inputs * pixels);
        for (int c = 0; c < inputs; c++) transformBlock(x + c * pixels, block, width, v + c * all + first, inputStride);
    }
    if (code == avx512Code) return;
#endif
    for (int c = 0; c < inputs; c++) {
        for (int image = 0; image < images; image++) {
            inputTransformPortable(x + ((long)image * inputs + c) * pixels, g, v + c * all + image * g.tiles, inputStride);
        }
    }
}

void shears_winograd4x4(const float *x, int images, int inputs, int height, int width, const float *u, int outputs,
                        const float *start, int relu, int pool, int kernels, float *scratch, float *y) {
    OutputTiles g = outputTiles(height, width);
    long all = images * g.tiles;  // the group's tiles, image after image
    long inputStride = (long)inputs * all + pointPadding, outputStride = (long)outputs * all + pointPadding;
    float *v = scratch, *m = v + patchPoints * inputStride;
    long pixels = (long)height * width, outputPixels = pool ? (long)(height / 2) * (width / 2) : pixels;
    VectorCode code = winogradCode(kernels);
    winograd4x4TransformInputs(x, images, inputs, height, width, code, v, inputStride);
    winogradProducts(patchPoints, u, outputs, inputs, v, inputStride, all, code, 0, m, outputStride);
#if defined(__x86_64__)
    if (code == avx2Code) {
        winograd4x4OutputsAVX2(m, outputStride, images, outputs, height, width, start, relu, pool, y);
        return;
    }
    if (code == avx512Code) {
        for (int o = 0; o < outputs; o++) transformProductLists(m + o * all, outputStride, all);
        for (int o = 0; o < outputs; o++) {
            for (int image = 0; image < images; image++) {
                scatterOutputRows(m + o * all, outputStride, image * g.tiles, g, start ? start + o * pixels : NULL, relu, pool,
                                  y + ((long)image * outputs + o) * outputPixels);
            }
        }
        return;
    }
#endif
    for (int o = 0; o < outputs; o++) {
        for (int image = 0; image < images; image++) {
            outputTransformPortable(m + o * all + image * g.tiles, outputStride, g, start ? start + o * pixels : NULL, relu,
                                    pool, y + ((long)image * outputs + o) * outputPixels);
        }
    }
}
