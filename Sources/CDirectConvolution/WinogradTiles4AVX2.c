// F(4x4, 3x3)'s transforms (WinogradTiles4.c) on CPUs with AVX2 and FMA but not AVX-512, so that
// they run Winograd tiles too, not only the direct kernels (docs/performance.md, "Without
// AVX-512"). On maps of 3 to `mostRowTileColumns` tile columns the input transform runs down six
// zero-padded copies of the rows of a tile row on whole vectors, then along the rows with each
// tile's six columns picked by 4 x 4 transposes, 8 tiles a vector; on narrower and wider maps it
// copies each channel's patches into one list per patch position (k, j) in plain C and
// transforms them 8 tiles a vector in place. The output transform reads 8 tiles of a tile row
// from the products, transforms them and transposes them back into 32 columns of each output
// row, where the start values, the ReLU and the 2 x 2 pool are applied. The one-dimensional
// transforms are `inputColumn` and `outputColumn` of WinogradTiles4.c, in the same order (first
// down the columns, then along the rows) and the pool compares as `storeOutputTile4`: the same
// bits as the plain C. Stores run past a row's last tile only into floats written later or into
// V's and M's padding between points (AMD's masked stores are slow); partial rows of an output
// map are stored in halves and quarters.

#include "CDirectConvolution.h"
#include "DirectLayout.h"
#include "WinogradLayout.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

enum { lanesAVX2 = 8 };

// The first `count` of 8 lanes (all from 8 on), as a mask for `_mm256_maskload_ps`.
static AVX2 inline __m256i firstLanesAVX2(long count) {
    int clamped = count >= lanesAVX2 ? lanesAVX2 : count <= 0 ? 0 : (int)count;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(clamped), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// `inputColumn` (Bᵀ d) on 8 tiles.
static AVX2 inline void inputColumnAVX2(const __m256 d[6], __m256 v[6]) {
    const __m256 four = _mm256_set1_ps(4.0f), minusFour = _mm256_set1_ps(-4.0f), minusFive = _mm256_set1_ps(-5.0f);
    __m256 t1 = _mm256_fmadd_ps(minusFour, d[2], d[4]), t2 = _mm256_fmadd_ps(minusFour, d[1], d[3]);
    __m256 t3 = _mm256_sub_ps(d[4], d[2]), t4 = _mm256_sub_ps(d[3], d[1]);
    t4 = _mm256_add_ps(t4, t4);
    v[0] = _mm256_fmadd_ps(four, d[0], _mm256_fmadd_ps(minusFive, d[2], d[4]));
    v[1] = _mm256_add_ps(t1, t2);
    v[2] = _mm256_sub_ps(t1, t2);
    v[3] = _mm256_add_ps(t3, t4);
    v[4] = _mm256_sub_ps(t3, t4);
    v[5] = _mm256_fmadd_ps(four, d[1], _mm256_fmadd_ps(minusFive, d[3], d[5]));
}

// `outputColumn` (Aᵀ m) on 8 tiles.
static AVX2 inline void outputColumnAVX2(const __m256 m[6], __m256 y[4]) {
    __m256 a = _mm256_add_ps(m[1], m[2]), b = _mm256_sub_ps(m[1], m[2]);
    __m256 c = _mm256_add_ps(m[3], m[4]), d = _mm256_sub_ps(m[3], m[4]);
    y[0] = _mm256_add_ps(_mm256_add_ps(m[0], a), c);
    y[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d, b);
    y[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), c, a);
    y[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d, b), m[5]);
}

// Floats `low`…`low + 3` in the lower half, `high`…`high + 3` in the upper.
static AVX2 inline __m256 loadHalves(const float *low, const float *high) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(low)), _mm_loadu_ps(high), 1);
}

// The first `count` (1…8) lanes of `v` stored at `p`, nothing past them.
static AVX2 inline void storeFirst(float *p, __m256 v, long count) {
    if (count >= lanesAVX2) {
        _mm256_storeu_ps(p, v);
        return;
    }
    __m128 part = _mm256_castps256_ps128(v);
    if (count >= 4) {
        _mm_storeu_ps(p, part);
        part = _mm256_extractf128_ps(v, 1);
        p += 4;
        count -= 4;
    }
    if (count >= 2) {
        _mm_storel_pi((__m64 *)p, part);
        part = _mm_movehl_ps(part, part);
        p += 2;
        count -= 2;
    }
    if (count == 1) _mm_store_ss(p, part);
}

// The most tile columns `transformRowsAVX2` takes (its row buffers live on the stack), and the
// fewest (on 1 or 2 tile columns a vector of a tile row would be mostly empty).
enum { mostRowTileColumns = 64, fewestRowTileColumns = 3 };

// Floats of each padded row copy and each row of Bᵀ d: 32 columns per 8 tiles, and the next 4
// columns `transformRowsAVX2`'s last picks read, rounded to vectors.
static inline long rowFloats(OutputTiles g) { return 32L * ((g.tileColumns + 7) / 8) + 8; }

// V of one channel of one image (`v[ξ·pointStride + first + t]` for its tile t) from its rows:
// per tile row, its six padded input rows copied into zeroed rows (padded column p holds the
// map's column p − 1) and `inputColumnAVX2` down them on whole vectors into six rows of Bᵀ d;
// then for 8 tiles at a time, each tile's columns 4tx … 4tx + 5 of each of those rows picked
// into lanes by `transposeHalves`, and `inputColumnAVX2` along them.
static AVX2 void transformRowsAVX2(const float *x, OutputTiles g, float *v, long pointStride, long first) {
    enum { mostRowFloats = 32 * ((mostRowTileColumns + 7) / 8) + 8 };
    float padded[6][mostRowFloats], down[6][mostRowFloats];
    long width = rowFloats(g);
    for (int k = 0; k < 6; k++) {
        for (long p = 0; p < width; p++) padded[k][p] = 0;
    }
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int k = 0; k < 6; k++) {
            int y = 4 * ty + k - 1;
            const float *row = x + (long)y * g.width;
            for (int column = 0; column < g.width; column++) padded[k][column + 1] = y >= 0 && y < g.height ? row[column] : 0;
        }
        for (long p = 0; p < width; p += lanesAVX2) {
            __m256 d[6], out[6];
            for (int k = 0; k < 6; k++) d[k] = _mm256_loadu_ps(&padded[k][p]);
            inputColumnAVX2(d, out);
            for (int i = 0; i < 6; i++) _mm256_storeu_ps(&down[i][p], out[i]);
        }
        float *target = v + first + (long)ty * g.tileColumns;
        for (int tx = 0; tx < g.tileColumns; tx += lanesAVX2) {
            for (int i = 0; i < 6; i++) {
                const float *base = &down[i][4 * tx];
                // Tiles 0–3 of the 8 in the lower halves, 4–7 in the upper: column j of tile t
                // is base[4t + j], and columns 4 and 5 are columns 0 and 1 of the next tile.
                __m256 c0 = loadHalves(base, base + 16), c1 = loadHalves(base + 4, base + 20);
                __m256 c2 = loadHalves(base + 8, base + 24), c3 = loadHalves(base + 12, base + 28);
                __m256 next0 = c1, next1 = c2, next2 = c3, next3 = loadHalves(base + 16, base + 32);
                transposeHalves(&c0, &c1, &c2, &c3);
                transposeHalves(&next0, &next1, &next2, &next3);
                __m256 picked[6] = {c0, c1, c2, c3, next0, next1}, out[6];
                inputColumnAVX2(picked, out);
                for (int j = 0; j < 6; j++) _mm256_storeu_ps(target + (i * 6 + j) * pointStride + tx, out[j]);
            }
        }
    }
}

// One channel of one image into patch lists: list (k, j) at `lists + (k·6 + j)·stride`, tile
// t = ty·tileColumns + tx of the image at `first + t`, holding padded row 4ty + k, column
// 4tx + j (zero outside the map).
static void copyPatchLists(const float *x, OutputTiles g, float *lists, long stride, long first) {
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int k = 0; k < 6; k++) {
            int y = 4 * ty + k - 1;
            float *out = lists + k * 6 * stride + first + (long)ty * g.tileColumns;
            const float *row = x + (long)y * g.width;
            int inside = y >= 0 && y < g.height;
            for (int tx = 0; tx < g.tileColumns; tx++) {
                for (int j = 0; j < 6; j++) {
                    int column = 4 * tx + j - 1;
                    out[j * stride + tx] = inside && column >= 0 && column < g.width ? row[column] : 0;
                }
            }
        }
    }
}

// V of one channel's `all` tiles (`v[ξ·pointStride + t]`) from its patch lists, in place, 8
// tiles at a time: `inputColumnAVX2` down each patch column, then along each row. The last block
// reads and writes its first `all − t` lanes only.
static AVX2 void transformPatchListsAVX2(float *v, long all, long pointStride) {
    for (long t = 0; t < all; t += lanesAVX2) {
        int full = all - t >= lanesAVX2;
        __m256i lanes = firstLanesAVX2(all - t);
        __m256 w[6][6], column[6], out[6];
        for (int j = 0; j < 6; j++) {
            for (int k = 0; k < 6; k++) {
                const float *from = v + (k * 6 + j) * pointStride + t;
                column[k] = full ? _mm256_loadu_ps(from) : _mm256_maskload_ps(from, lanes);
            }
            inputColumnAVX2(column, out);
            for (int i = 0; i < 6; i++) w[i][j] = out[i];
        }
        for (int i = 0; i < 6; i++) {
            inputColumnAVX2(w[i], out);
            for (int j = 0; j < 6; j++) storeFirst(v + (i * 6 + j) * pointStride + t, out[j], all - t);
        }
    }
}

// `v <= 0 ? 0 : v` on 8 lanes (NaN kept), as `startAndReLU`.
static AVX2 inline __m256 clampedAVX2(__m256 value) {
    return _mm256_and_ps(value, _mm256_cmp_ps(value, _mm256_setzero_ps(), _CMP_NLE_UQ));
}

// `a > best ? a : best` on 8 lanes, as `storeOutputTile4`'s pool.
static AVX2 inline __m256 largerAVX2(__m256 a, __m256 best) {
    return _mm256_blendv_ps(best, a, _mm256_cmp_ps(a, best, _CMP_GT_OQ));
}

// Lanes 0, 2, 4, 6 of `a` then of `b` (`odd`: lanes 1, 3, 5, 7).
static AVX2 inline __m256 everyOther(__m256 a, __m256 b, int odd) {
    __m256 picked = odd ? _mm256_shuffle_ps(a, b, 0xDD) : _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(picked), 0xD8));
}

// One output channel of one image from its products (`m[ξ·pointStride + first + t]` for its tile
// t), 8 tiles of a tile row at a time: Aᵀ M A, each output row's 32 columns of them put together
// by `transposeHalves`, then the start values, the ReLU, and stored or pooled.
static AVX2 void transformOutputsAVX2(const float *m, long pointStride, long first, OutputTiles g, const float *start,
                                      int relu, int pool, float *y) {
    int pooledHeight = g.height / 2, pooledWidth = g.width / 2;
    for (int ty = 0; ty < g.tileRows; ty++) {
        for (int tx = 0; tx < g.tileColumns; tx += lanesAVX2) {
            const float *from = m + first + (long)ty * g.tileColumns + tx;
            __m256 r[4][6], column[6], rows[4][4];
            for (int j = 0; j < 6; j++) {
                for (int k = 0; k < 6; k++) column[k] = _mm256_loadu_ps(from + (k * 6 + j) * pointStride);
                __m256 sums[4];
                outputColumnAVX2(column, sums);
                for (int i = 0; i < 4; i++) r[i][j] = sums[i];
            }
            long left = g.width - 4L * tx;  // the map's columns from this block's first
            for (int i = 0; i < 4; i++) {
                __m256 o[4];
                outputColumnAVX2(r[i], o);
                transposeHalves(&o[0], &o[1], &o[2], &o[3]);  // tile t's 4 outputs in o[t mod 4], half ⌊t/4⌋
                rows[i][0] = _mm256_permute2f128_ps(o[0], o[1], 0x20);
                rows[i][1] = _mm256_permute2f128_ps(o[2], o[3], 0x20);
                rows[i][2] = _mm256_permute2f128_ps(o[0], o[1], 0x31);
                rows[i][3] = _mm256_permute2f128_ps(o[2], o[3], 0x31);
                int row = 4 * ty + i;
                if (row >= g.height) continue;
                long offset = (long)row * g.width + 4L * tx;
                for (int q = 0; q < 4 && 8 * q < left; q++) {
                    if (start) {
                        const float *at = start + offset + 8 * q;
                        __m256 add = left - 8 * q >= lanesAVX2 ? _mm256_loadu_ps(at)
                                                               : _mm256_maskload_ps(at, firstLanesAVX2(left - 8 * q));
                        rows[i][q] = _mm256_add_ps(rows[i][q], add);
                    }
                    if (relu) rows[i][q] = clampedAVX2(rows[i][q]);
                    if (!pool) storeFirst(y + offset + 8 * q, rows[i][q], left - 8 * q);
                }
            }
            for (int a = 0; pool && a < 2 && 2 * ty + a < pooledHeight; a++) {
                long pooledLeft = pooledWidth - 2L * tx;
                for (int h = 0; h < 2 && 8 * h < pooledLeft; h++) {
                    __m256 *top = rows[2 * a] + 2 * h, *bottom = rows[2 * a + 1] + 2 * h;
                    __m256 best = largerAVX2(everyOther(top[0], top[1], 1), everyOther(top[0], top[1], 0));
                    best = largerAVX2(everyOther(bottom[0], bottom[1], 0), best);
                    best = largerAVX2(everyOther(bottom[0], bottom[1], 1), best);
                    storeFirst(y + (long)(2 * ty + a) * pooledWidth + 2L * tx + 8 * h, best, pooledLeft - 8 * h);
                }
            }
        }
    }
}

void winograd4x4InputsAVX2(const float *x, int images, int inputs, int height, int width, float *v, long inputStride) {
    OutputTiles g = outputTiles(height, width);
    long all = images * g.tiles, pixels = (long)height * width;
    if (g.tileColumns >= fewestRowTileColumns && g.tileColumns <= mostRowTileColumns) {
        for (int c = 0; c < inputs; c++) {
            for (int image = 0; image < images; image++) {
                transformRowsAVX2(x + ((long)image * inputs + c) * pixels, g, v + c * all, inputStride, image * g.tiles);
            }
        }
        return;
    }
    // Every channel's lists written before any is transformed: a vector read right after the
    // narrow stores that wrote it would wait for them.
    for (int c = 0; c < inputs; c++) {
        for (int image = 0; image < images; image++) {
            copyPatchLists(x + ((long)image * inputs + c) * pixels, g, v + c * all, inputStride, image * g.tiles);
        }
    }
    for (int c = 0; c < inputs; c++) transformPatchListsAVX2(v + c * all, all, inputStride);
}

void winograd4x4OutputsAVX2(float *m, long outputStride, int images, int outputs, int height, int width, const float *start,
                            int relu, int pool, float *y) {
    OutputTiles g = outputTiles(height, width);
    long all = images * g.tiles, pixels = (long)height * width;
    long outputPixels = pool ? (long)(height / 2) * (width / 2) : pixels;
    for (int o = 0; o < outputs; o++) {
        for (int image = 0; image < images; image++) {
            transformOutputsAVX2(m + o * all, outputStride, image * g.tiles, g, start ? start + o * pixels : NULL, relu, pool,
                                 y + ((long)image * outputs + o) * outputPixels);
        }
    }
}

#endif
