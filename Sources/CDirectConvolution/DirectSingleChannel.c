// The direct 3x3, stride-1 convolution of an image with one channel (a first layer on grey
// images), by AVX-512 code that reads the image itself and writes the outputs themselves.
//
// With one channel the register tiles of DirectConvolution.c do 9 taps of work per output and
// then pay their fixed costs: the padded copy of the image, each tile's 12 stores, and a second
// pass (`copyOut`) adding the start values and the ReLU while dropping the junk column. Here a
// chunk of up to 32 columns of one output row loads its nine taps once (18 vectors, masked where
// a tap falls outside the map: the lanes load zeros, as the padded copy holds), then every
// filter, 4 at a time, sums them and adds its start value, applies the ReLU and stores its row.
//
// Order of the sums, as DirectConvolution.c's for every output: from 0, the taps (i, j) in
// row-major order, each a fused multiply-add (a tap outside the map adds w·0, as the padded
// layout's zeros do), then the start value added, then the ReLU: the same bits as its tiles and
// its plain C.

#include "CDirectConvolution.h"
#include "DirectLayout.h"
#include "VectorLanes.h"

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f")))

// Filter `o`'s weight of tap `tap` in `shears_direct3x3_pack`'s layout for one input channel.
static inline float packedWeight(const float *packed, int o, int tap) {
    return packed[((long)(o / filtersPerTile) * taps + tap) * filtersPerTile + o % filtersPerTile];
}

// Filters `first` … `first + count − 1` (`count` ≤ 4) over one chunk: `halves` vectors (1 or 2)
// of taps, each filter's sums plus `start` (at `at` of each filter's map), the ReLU, stored
// under `columns`. Inlined with constant `count` and `halves`, so the accumulators stay in
// registers.
static AVX512 inline __attribute__((always_inline)) void filterRows(const __m512 tap[taps][2], int halves, const float *packed,
                                                                    int first, int count, long pixels, long at,
                                                                    const __mmask16 columns[2], const float *start, int relu,
                                                                    float *y) {
    __m512 sums[filtersPerTile][2];
    for (int f = 0; f < count; f++) {
        for (int h = 0; h < halves; h++) sums[f][h] = _mm512_setzero_ps();
    }
    for (int t = 0; t < taps; t++) {
        for (int f = 0; f < count; f++) {
            __m512 weight = _mm512_set1_ps(packedWeight(packed, first + f, t));
            for (int h = 0; h < halves; h++) sums[f][h] = _mm512_fmadd_ps(tap[t][h], weight, sums[f][h]);
        }
    }
    for (int f = 0; f < count; f++) {
        long offset = (first + f) * pixels + at;
        for (int h = 0; h < halves; h++) {
            __m512 value = sums[f][h];
            if (start) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(columns[h], start + offset + 16 * h));
            if (relu) value = clamped(value);
            _mm512_mask_storeu_ps(y + offset + 16 * h, columns[h], value);
        }
    }
}

// Every filter over one chunk of `halves` vectors: blocks of 4, then the last 1, 2 or 3
// together (a pruned width's).
static AVX512 inline __attribute__((always_inline)) void chunkFilters(const __m512 tap[taps][2], int halves,
                                                                      const float *packed, int outputs, long pixels, long at,
                                                                      const __mmask16 columns[2], const float *start, int relu,
                                                                      float *y) {
    int o = 0;
    for (; o + filtersPerTile <= outputs; o += filtersPerTile) {
        filterRows(tap, halves, packed, o, filtersPerTile, pixels, at, columns, start, relu, y);
    }
    switch (outputs - o) {
    case 3:
        filterRows(tap, halves, packed, o, 3, pixels, at, columns, start, relu, y);
        break;
    case 2:
        filterRows(tap, halves, packed, o, 2, pixels, at, columns, start, relu, y);
        break;
    case 1:
        filterRows(tap, halves, packed, o, 1, pixels, at, columns, start, relu, y);
        break;
    }
}

static AVX512 void singleChannelAVX512(const float *x, int height, int width, const float *packed, int outputs,
                                       const float *start, int relu, float *y) {
    long pixels = (long)height * width;
    for (int row = 0; row < height; row++) {
        for (int column = 0; column < width; column += 32) {
            __m512 tap[taps][2];
            for (int i = 0; i < 3; i++) {
                int source = row + i - 1, inside = source >= 0 && source < height;
                for (int j = 0; j < 3; j++) {
                    long left = column + j - 1;  // x's column in lane 0
                    const float *line = x + (long)(inside ? source : 0) * width + left;
                    for (int h = 0; h < 2; h++) {
                        __mmask16 lanes = inside ? laneRange(-left - 16 * h, width - left - 16 * h) : 0;
                        tap[3 * i + j][h] = _mm512_maskz_loadu_ps(lanes, line + 16 * h);
                    }
                }
            }
            __mmask16 columns[2] = {firstLanes(width - column), firstLanes(width - column - 16)};
            long at = (long)row * width + column;
            if (width - column > 16) {
                chunkFilters(tap, 2, packed, outputs, pixels, at, columns, start, relu, y);
            } else {
                chunkFilters(tap, 1, packed, outputs, pixels, at, columns, start, relu, y);
            }
        }
    }
}
#endif

int directSingleChannel(const float *x, int height, int width, const float *packed, int outputs, const float *start,
                        int relu, float *y) {
#if defined(__x86_64__)
    if (directKernelsHaveAVX512()) {
        singleChannelAVX512(x, height, width, packed, outputs, start, relu, y);
        return 1;
    }
#endif
    (void)x, (void)height, (void)width, (void)packed, (void)outputs, (void)start, (void)relu, (void)y;
    return 0;
}
