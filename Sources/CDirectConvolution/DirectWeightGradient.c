// Weight gradient of the direct convolution for a group of images, channels last:
//   ∂w[f][c][i][j] += Σ_n Σ_y,x ∂y[n][f][y][x]·x̃[n][s·y + i][s·x + j][c],
// with x̃ the input zero-padded by one pixel and stored channels last, ∂y stored position-major
// with its filters padded to a vector of 8 (`flat[n][y][x][f]`), and s the stride (1, or 2 for
// resnet-s's downsampling convs: the same tiles, stepping two pixels and two rows of x̃ per
// output position and row). For each tap this is a filters x positions by positions x
// channels product summed over the positions. A
// register tile holds 2 vectors of filters x up to 6 channels (AVX2: 12 accumulators of 8) or
// x up to 12 channels (AVX-512: 24 of 16, the last vector's loads masked to the filters left)
// and, per position, loads the 2 vectors of ∂y and broadcasts one input per channel: no
// packing, no horizontal sums, and no FMA on a padding column or row (positions are walked row
// by row; the padding is only read through the taps). Positions go in bands of a few rows, the
// nine taps of a band one after another, so that the band's inputs and gradients stay in L1;
// the accumulators wait in a small buffer between bands. Channels are split into tiles as even
// as the tile allows (32 → 11, 11, 10), so that no tile runs on a few accumulators.
// Measured (`shears bench conv`, ∂W alone, docs/performance.md, "∂W channels last"): 0.73–0.95
// of kernel rows' GEMM time on the 3x3 convs of vgg-s and resnet-s (par on 64 → 128 at 7 x 7),
// 0.5–0.8 of the previous direct kernel's (flat runs with a junk column, 4 filters x 3
// channels, summed across lanes at the end).
//
// Order of the sums, for every weight and group: the group's positions in order (image by image,
// row by row), each a fused multiply-add into a running sum that starts at 0, the padding taps
// included (they add exact zeros); the sum is then added to ∂w. The AVX-512 and AVX2 tiles do
// this in their lanes and the portable path with fmaf, so all three give the same bits.

#include "CDirectConvolution.h"
#include "DirectLayout.h"
#include "VectorLanes.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum {
    // The most vectors of filters, and of channels, of a tile.
    tileVectors = 2,
    narrowTileChannels = 12,
    // Positions per band (rounded down to whole rows, at least one) and per group of images.
    bandPositions = 96,
    groupPositions = 256,
};

static long roundUp(long count, long multiple) { return (count + multiple - 1) / multiple * multiple; }

// The channels-last layout of a group of `images` images of `height x width`, and of their
// `outHeight x outWidth` output gradients at `stride`.
typedef struct {
    int images, height, width, channels, filters, stride, outHeight, outWidth;
    long paddedFilters; // filters rounded up to a vector: the flat gradients' position stride
    long rowFloats;     // (W + 2)·C: one padded input row
    long imageRows;     // H + 1: an image's rows and the zero row after it (the next one's top padding)
    int bandRows;       // output rows per band
} Layout;

static Layout layout(int images, int channels, int filters, int height, int width, int stride) {
    Layout l = {images, height, width, channels, filters, stride, (height - 1) / stride + 1, (width - 1) / stride + 1};
    l.paddedFilters = roundUp(filters, floatsPerVector);
    l.rowFloats = ((long)width + 2) * channels;
    l.imageRows = (long)height + 1;
    int rows = bandPositions / l.outWidth;
    l.bandRows = rows < 1 ? 1 : rows > l.outHeight ? l.outHeight : rows;
    return l;
}

static long paddedFloats(Layout l) { return ((long)l.images * l.imageRows + 1) * l.rowFloats; }

static long outputPositions(Layout l) { return (long)l.outHeight * l.outWidth; }

static long flatFloats(Layout l) { return l.images * outputPositions(l) * l.paddedFilters; }

int shears_direct3x3_weight_gradient_group(int height, int width, int stride) {
    long positions = outputPositions(layout(1, 1, 1, height, width, stride));
    long group = (groupPositions + positions - 1) / positions;
    return group < 1 ? 1 : (int)group;
}

size_t shears_direct3x3_weight_gradient_scratch_count(int inputs, int outputs, int height, int width, int stride) {
    Layout l = layout(shears_direct3x3_weight_gradient_group(height, width, stride), inputs, outputs, height, width, stride);
    return (size_t)(paddedFloats(l) + flatFloats(l));
}

// Where the positions of a channels-last image go: rows `rowFloats` apart, positions
// `pixelFloats` apart within a row of `width`.
typedef struct {
    int width;
    long rowFloats, pixelFloats;
} PositionLayout;

// The next position's (row, column).
static void advance(PositionLayout t, long *row, long *column) {
    if (++*column == t.width) {
        *column = 0;
        ++*row;
    }
}

#if defined(__x86_64__)
// `target[k][c] ← source[c·stride + k]` for c, k < 8: an 8 x 8 block of 8 channels' runs of 8
// positions (`stride` floats apart) into 8 positions' runs of 8 channels.
__attribute__((target("avx2"))) static void transposeBlock(const float *source, long stride, float *const *target) {
    __m256 r[8];
    for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(source + k * stride);
    transpose8(r);
    for (int k = 0; k < 8; k++) _mm256_storeu_ps(target[k], r[k]);
}
#endif

// `target[offset(p) + c] ← source[c·stride + p]` for `channels` channels of `positions`
// positions (`offset` as `layout` says): an NCHW image into a channels-last layout, by 8 x 8
// blocks where the CPU has AVX2, 8 channels at a time so that the reads are 8 sequential streams.
static void toChannelsLast(const float *source, long stride, int channels, long positions, PositionLayout layout,
                           int portable, float *target) {
    int c0 = 0;
#if defined(__x86_64__)
    if (!portable && shears_direct3x3_fast()) {
        for (; c0 + 8 <= channels; c0 += 8) {
            long p0 = 0, row = 0, column = 0;
            for (; p0 + 8 <= positions; p0 += 8) {
                float *pixels[8];
                for (int k = 0; k < 8; k++) {
                    pixels[k] = target + row * layout.rowFloats + column * layout.pixelFloats + c0;
                    advance(layout, &row, &column);
                }
                transposeBlock(source + c0 * stride + p0, stride, pixels);
            }
            for (; p0 < positions; p0++) {
                float *pixel = target + row * layout.rowFloats + column * layout.pixelFloats;
                for (int c = c0; c < c0 + 8; c++) pixel[c] = source[c * stride + p0];
                advance(layout, &row, &column);
            }
        }
    }
#endif
    for (; c0 < channels; c0++) {
        long row = 0, column = 0;
        for (long p = 0; p < positions; p++) {
            target[row * layout.rowFloats + column * layout.pixelFloats + c0] = source[c0 * stride + p];
            advance(layout, &row, &column);
        }
    }
}

// The group's inputs (`x`, NCHW) into the padded channels-last layout: padded row
// `g·(H + 1) + y + 1` holds image g's row y between a zero pixel on each side; rows
// `g·(H + 1)` are zero.
static void padChannelsLast(const float *x, Layout l, int portable, float *padded) {
    long pixel = l.channels, positions = (long)l.height * l.width;
    PositionLayout interior = {l.width, l.rowFloats, pixel};
    for (int g = 0; g <= l.images; g++) memset(padded + g * l.imageRows * l.rowFloats, 0, (size_t)l.rowFloats * sizeof(float));
    for (int g = 0; g < l.images; g++) {
        float *first = padded + (g * l.imageRows + 1) * l.rowFloats;
        for (int y = 0; y < l.height; y++) {
            memset(first + y * l.rowFloats, 0, (size_t)pixel * sizeof(float));
            memset(first + y * l.rowFloats + (l.width + 1) * pixel, 0, (size_t)pixel * sizeof(float));
        }
        toChannelsLast(x + (long)g * l.channels * positions, positions, l.channels, positions, interior, portable,
                       first + pixel);
    }
}

// The group's output gradients (`dy`, NCHW) position-major: `flat[(g·Ho + y)·Wo + x][f]`, zero
// for f ≥ F.
static void flattenGradients(const float *dy, Layout l, int portable, float *flat) {
    long positions = outputPositions(l), all = l.images * positions;
    PositionLayout rows = {l.outWidth, l.outWidth * l.paddedFilters, l.paddedFilters};
    if (l.paddedFilters > l.filters) {
        for (long p = 0; p < all; p++) {
            memset(flat + p * l.paddedFilters + l.filters, 0, (size_t)(l.paddedFilters - l.filters) * sizeof(float));
        }
    }
    for (int g = 0; g < l.images; g++) {
        toChannelsLast(dy + (long)g * l.filters * positions, positions, l.filters, positions, rows, portable,
                       flat + g * positions * l.paddedFilters);
    }
}

// The first padded input of tap `tap` for the band starting at output row `y` of image `g`.
static const float *tapInputs(const float *padded, Layout l, int g, int y, int tap) {
    return padded + (g * l.imageRows + (long)l.stride * y + tap / 3) * l.rowFloats + (tap % 3) * (long)l.channels;
}

// The same sums as the tiles below, in the same order, in plain C.
static void gradientPortable(const float *padded, const float *flat, Layout l, float *dw) {
    long positions = outputPositions(l), pixelFloats = (long)l.stride * l.channels;
    for (int tap = 0; tap < taps; tap++) {
        for (int c = 0; c < l.channels; c++) {
            for (long f = 0; f < l.filters; f++) {
                float sum = 0;
                for (int g = 0; g < l.images; g++) {
                    for (int y = 0; y < l.outHeight; y++) {
                        const float *x = tapInputs(padded, l, g, y, tap) + c;
                        const float *d = flat + ((g * positions) + (long)y * l.outWidth) * l.paddedFilters + f;
                        for (int column = 0; column < l.outWidth; column++) {
                            sum = fmaf(x[column * pixelFloats], d[column * l.paddedFilters], sum);
                        }
                    }
                }
                dw[(f * l.channels + c) * taps + tap] += sum;
            }
        }
    }
}

#if defined(__x86_64__)

// A tile over `rows` rows of `width` positions: `acc[c][v] += x[c]·d[v]` for `channels` input
// channels (broadcast from `x`, one pixel every `channelStride` floats, rows `rowFloats` apart)
// and `vectors` vectors of filters (from `d`, one position every `filterStride` floats, rows
// contiguous); the accumulators start from and return to `sums` (`[channels][vectors]`
// vectors). `lanes` is the number of filters in the last vector: the AVX-512 tiles load only
// those (the AVX2 tiles read whole vectors of the zero-padded gradients).
typedef void (*TileFunction)(const float *x, long channelStride, long rowFloats, const float *d, long filterStride,
                             int width, int rows, int lanes, float *sums);

// The AVX2 tile, inlined with constant `channels` and `vectors` (which keeps the 12
// accumulators in registers).
__attribute__((always_inline, target("avx2,fma"))) static inline void
tileAVX2(const float *x, long channelStride, long rowFloats, const float *d, long filterStride, int width, int rows,
         int channels, int vectors, float *sums) {
    __m256 acc[narrowTileChannels][tileVectors];
    for (int c = 0; c < channels; c++) {
        for (int v = 0; v < vectors; v++) acc[c][v] = _mm256_loadu_ps(sums + (c * vectors + v) * 8);
    }
    for (int row = 0; row < rows; row++) {
        const float *pixel = x + row * rowFloats;
        for (int column = 0; column < width; column++) {
            __m256 d0 = _mm256_loadu_ps(d), d1 = vectors > 1 ? _mm256_loadu_ps(d + 8) : d0;
            for (int c = 0; c < channels; c++) {
                __m256 input = _mm256_broadcast_ss(pixel + c);
                acc[c][0] = _mm256_fmadd_ps(input, d0, acc[c][0]);
                if (vectors > 1) acc[c][1] = _mm256_fmadd_ps(input, d1, acc[c][1]);
            }
            pixel += channelStride;
            d += filterStride;
        }
    }
    for (int c = 0; c < channels; c++) {
        for (int v = 0; v < vectors; v++) _mm256_storeu_ps(sums + (c * vectors + v) * 8, acc[c][v]);
    }
}

// The AVX-512 tile: vectors of 16 filters, the last one's loads masked to `lanes`, and up to 24
// accumulators in the 32 registers (the broadcasts fold into the FMAs).
__attribute__((always_inline, target("avx512f"))) static inline void
tileAVX512(const float *x, long channelStride, long rowFloats, const float *d, long filterStride, int width, int rows,
           int lanes, int channels, int vectors, float *sums) {
    __mmask16 last = (__mmask16)((1u << lanes) - 1);
    __m512 acc[narrowTileChannels][tileVectors];
    for (int c = 0; c < channels; c++) {
        for (int v = 0; v < vectors; v++) acc[c][v] = _mm512_loadu_ps(sums + (c * vectors + v) * 16);
    }
    for (int row = 0; row < rows; row++) {
        const float *pixel = x + row * rowFloats;
        for (int column = 0; column < width; column++) {
            __m512 d0 = vectors > 1 ? _mm512_loadu_ps(d) : _mm512_maskz_loadu_ps(last, d);
            __m512 d1 = vectors > 1 ? _mm512_maskz_loadu_ps(last, d + 16) : d0;
            for (int c = 0; c < channels; c++) {
                __m512 input = _mm512_set1_ps(pixel[c]);
                acc[c][0] = _mm512_fmadd_ps(input, d0, acc[c][0]);
                if (vectors > 1) acc[c][1] = _mm512_fmadd_ps(input, d1, acc[c][1]);
            }
            pixel += channelStride;
            d += filterStride;
        }
    }
    for (int c = 0; c < channels; c++) {
        for (int v = 0; v < vectors; v++) _mm512_storeu_ps(sums + (c * vectors + v) * 16, acc[c][v]);
    }
}

#define AVX2_TILE(channels, vectors)                                                                                     \
    __attribute__((target("avx2,fma"))) static void avx2Tile##channels##x##vectors(                                      \
        const float *x, long channelStride, long rowFloats, const float *d, long filterStride, int width, int rows,      \
        int lanes, float *sums) {                                                                                        \
        (void)lanes;                                                                                                     \
        tileAVX2(x, channelStride, rowFloats, d, filterStride, width, rows, channels, vectors, sums);                   \
    }
#define AVX512_TILE(channels, vectors)                                                                                   \
    __attribute__((target("avx512f"))) static void avx512Tile##channels##x##vectors(                                     \
        const float *x, long channelStride, long rowFloats, const float *d, long filterStride, int width, int rows,      \
        int lanes, float *sums) {                                                                                        \
        tileAVX512(x, channelStride, rowFloats, d, filterStride, width, rows, lanes, channels, vectors, sums);          \
    }
#define TILES(TILE, vectors)                                                                                             \
    TILE(1, vectors) TILE(2, vectors) TILE(3, vectors) TILE(4, vectors) TILE(5, vectors) TILE(6, vectors)               \
    TILE(7, vectors) TILE(8, vectors) TILE(9, vectors) TILE(10, vectors) TILE(11, vectors) TILE(12, vectors)
#define TABLE(prefix, vectors)                                                                                           \
    {prefix##1x##vectors, prefix##2x##vectors, prefix##3x##vectors,  prefix##4x##vectors,                               \
     prefix##5x##vectors, prefix##6x##vectors, prefix##7x##vectors,  prefix##8x##vectors,                               \
     prefix##9x##vectors, prefix##10x##vectors, prefix##11x##vectors, prefix##12x##vectors}
TILES(AVX2_TILE, 1)
AVX2_TILE(1, 2) AVX2_TILE(2, 2) AVX2_TILE(3, 2) AVX2_TILE(4, 2) AVX2_TILE(5, 2) AVX2_TILE(6, 2)
TILES(AVX512_TILE, 1)
TILES(AVX512_TILE, 2)

// One instruction set's tiles: `vectorFloats` filters per vector, and the tiles by channel
// count (1…`wideChannels` for 2 vectors, 1…`narrowTileChannels` for 1).
typedef struct {
    int vectorFloats, wideChannels;
    TileFunction wide[narrowTileChannels], narrow[narrowTileChannels];
} TileSet;

// 2 x 8 filters x 6 channels fill AVX2's 16 registers (12 accumulators, 2 gradients, a broadcast).
static const TileSet avx2Tiles = {8, 6, {avx2Tile1x2, avx2Tile2x2, avx2Tile3x2, avx2Tile4x2, avx2Tile5x2, avx2Tile6x2},
                                  TABLE(avx2Tile, 1)};
static const TileSet avx512Tiles = {16, 12, TABLE(avx512Tile, 2), TABLE(avx512Tile, 1)};

// Every weight's sum over the group by `set`'s tiles: blocks of 2 vectors of filters (1 for the
// last when fewer remain) times channel counts as even as the tiles allow, each over the bands
// of every image, the nine taps of a band in turn, the sums then added to `dw`.
static void gradientTiles(const float *padded, const float *flat, Layout l, const TileSet *set, float *dw) {
    long positions = outputPositions(l);
    float sums[taps][narrowTileChannels * tileVectors * 16];
    for (long f0 = 0; f0 < l.filters; f0 += tileVectors * set->vectorFloats) {
        long remaining = l.filters - f0;
        int vectors = remaining > set->vectorFloats ? tileVectors : 1;
        int filters = remaining < vectors * set->vectorFloats ? (int)remaining : vectors * set->vectorFloats;
        int lanes = filters - (vectors - 1) * set->vectorFloats, vectorFloats = vectors * set->vectorFloats;
        int most = vectors == tileVectors ? set->wideChannels : narrowTileChannels;
        int tiles = (l.channels + most - 1) / most;
        for (int t = 0, c0 = 0; t < tiles; t++) {
            int channels = (int)((long)l.channels * (t + 1) / tiles) - c0;
            TileFunction tile = (vectors == tileVectors ? set->wide : set->narrow)[channels - 1];
            memset(sums, 0, sizeof sums);
            for (int g = 0; g < l.images; g++) {
                for (int y = 0; y < l.outHeight; y += l.bandRows) {
                    int rows = l.outHeight - y < l.bandRows ? l.outHeight - y : l.bandRows;
                    const float *d = flat + (g * positions + (long)y * l.outWidth) * l.paddedFilters + f0;
                    for (int tap = 0; tap < taps; tap++) {
                        tile(tapInputs(padded, l, g, y, tap) + c0, (long)l.stride * l.channels, l.stride * l.rowFloats,
                             d, l.paddedFilters, l.outWidth, rows, lanes, sums[tap]);
                    }
                }
            }
            for (int tap = 0; tap < taps; tap++) {
                for (int c = 0; c < channels; c++) {
                    for (int f = 0; f < filters; f++) {
                        dw[((f0 + f) * l.channels + c0 + c) * taps + tap] += sums[tap][c * vectorFloats + f];
                    }
                }
            }
            c0 += channels;
        }
    }
}

#endif

void shears_direct3x3_weight_gradient(const float *x, int images, int inputs, int height, int width, int stride,
                                      const float *dy, int outputs, int kernels, float *scratch, float *dw) {
    Layout l = layout(images, inputs, outputs, height, width, stride);
    float *padded = scratch, *flat = scratch + paddedFloats(l);
    int portable = kernels == 1;
    padChannelsLast(x, l, portable, padded);
    flattenGradients(dy, l, portable, flat);
#if defined(__x86_64__)
    if (!portable && shears_direct3x3_fast()) {
        gradientTiles(padded, flat, l, kernels == 0 && directKernelsHaveAVX512() ? &avx512Tiles : &avx2Tiles, dw);
        return;
    }
#endif
    gradientPortable(padded, flat, l, dw);
}
