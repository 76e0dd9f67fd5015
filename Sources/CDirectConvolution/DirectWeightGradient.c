// Weight gradient of the direct convolution for a group of images, in the padded flat layout
// of DirectConvolution.c with the group's images stacked into one tall image, one shared zero
// row between neighbours, so that small maps still give long runs (a tile's fixed cost, the
// lane sums, is then paid once per group). With x̃ the stacked padded input and ∂ỹ the output
// gradient laid out like the flat outputs (row y of image g of filter f at
// (g·(H + 1) + y)·(W + 1); zero in the junk columns, in the junk row between images and past
// the end),
//   ∂w[f][c][i][j] += Σ_o ∂ỹ[f][o]·x̃[c][o + i·(W + 1) + j],
// a dot product of two contiguous runs per (f, c, tap). A tile of 4 filters x 3 channels for
// one tap keeps 12 AVX2 accumulators of 8 lanes: per 8 outputs, 3 loads of x̃ (one per
// channel) and 4 of ∂ỹ (one per filter) feed 12 FMAs, with no patch matrix.
//
// Order of the sums, for every weight and group: lane l (0…7) sums the outputs o ≡ l (mod 8)
// in increasing order with fused multiply-adds from 0; the 8 lanes are then added in order and
// the result added to ∂w. The portable path does the same with fmaf, so both give the same bits.

#include "CDirectConvolution.h"
#include "DirectLayout.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { gradientFilters = 4, gradientChannels = 3, runTarget = 768 };

static long roundUp(long count, long multiple) { return (count + multiple - 1) / multiple * multiple; }

// The stacked layout of `group` images.
typedef struct {
    long rowStride; // W + 1
    long plane;     // floats per channel: group·(H + 1) + 1 rows, and one more float
    long run;       // flat outputs from the first image's first row to the last one's last, rounded up to a vector
} Stack;

static Stack stack(int group, int height, int width) {
    Stack s;
    s.rowStride = (long)width + 1;
    s.plane = ((long)group * (height + 1) + 1) * s.rowStride + 1;
    s.run = roundUp(((long)group * (height + 1) - 1) * s.rowStride, floatsPerVector);
    return s;
}

int shears_direct3x3_weight_gradient_group(int height, int width) {
    long rowsWanted = runTarget / ((long)width + 1) + 1, group = (rowsWanted + height) / (height + 1);
    return group < 1 ? 1 : (int)group;
}

size_t shears_direct3x3_weight_gradient_scratch_count(int inputs, int outputs, int height, int width) {
    Stack s = stack(shears_direct3x3_weight_gradient_group(height, width), height, width);
    return (size_t)(roundUp(inputs, gradientChannels) * s.plane + tailFloats)
        + (size_t)(roundUp(outputs, gradientFilters) * s.run);
}

// `images` images of `channels x height x width` (NCHW) into the stacked layout: `rows`
// planes of `stride` floats (zero past `channels`), image g's row y at
// `first + (g·(H + 1) + y)·(W + 1)`, everything else zero, and `tail` zeros after the last plane.
static void stackImages(const float *source, int images, int channels, long rows, int height, int width, long first,
                        long stride, long tail, float *target) {
    memset(target, 0, (size_t)(rows * stride + tail) * sizeof(float));
    long rowStride = (long)width + 1;
    for (int g = 0; g < images; g++) {
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                memcpy(target + c * stride + first + ((long)g * (height + 1) + y) * rowStride,
                       source + (((long)g * channels + c) * height + y) * width, (size_t)width * sizeof(float));
            }
        }
    }
}

static long tapOffset(int tap, Stack s) { return (tap / 3) * s.rowStride + tap % 3; }

// The 8 lanes of one weight's partial sums, added in order.
static float laneSum(const float *lanes) {
    float sum = lanes[0];
    for (int lane = 1; lane < floatsPerVector; lane++) sum += lanes[lane];
    return sum;
}

// The same sums as the tiles below, in the same order, in plain C.
static void gradientPortable(const float *padded, int inputs, const float *flat, int outputs, Stack s, float *dw) {
    for (int f = 0; f < outputs; f++) {
        for (int c = 0; c < inputs; c++) {
            for (int tap = 0; tap < taps; tap++) {
                const float *d = flat + f * s.run, *x = padded + c * s.plane + tapOffset(tap, s);
                float lanes[floatsPerVector] = {0};
                for (long o = 0; o < s.run; o += floatsPerVector) {
                    for (int lane = 0; lane < floatsPerVector; lane++) {
                        lanes[lane] = fmaf(d[o + lane], x[o + lane], lanes[lane]);
                    }
                }
                dw[((long)f * inputs + c) * taps + tap] += laneSum(lanes);
            }
        }
    }
}

#if defined(__x86_64__)

// Filter `f`'s 8 gradients (in ymm15) times the 3 channels' inputs (ymm12–ymm14).
#define GRADIENT_FMAS(f) "vfmadd231ps %%ymm12, %%ymm15, %[a" #f "0]\n\t" \
    "vfmadd231ps %%ymm13, %%ymm15, %[a" #f "1]\n\t" "vfmadd231ps %%ymm14, %%ymm15, %[a" #f "2]\n\t"

// One tile over `vectors` runs of 8 outputs: `x` the first channel's input at the tap's
// offset (channel stride `planeBytes`), `d` the first filter's flat gradient (filter stride
// `rowBytes`); the 12 accumulators' lanes go to `lanes[f][c][8]`.
__attribute__((target("avx2,fma"))) static void gradientTile(const float *x, long planeBytes, const float *d, long rowBytes,
                                                             long vectors, float *lanes) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00, a20 = a00, a21 = a00,
           a22 = a00, a30 = a00, a31 = a00, a32 = a00;
    long rowBytes3 = 3 * rowBytes;
    __asm__ volatile(
        "1:\n\t"
        "vmovups (%[x]), %%ymm12\n\t"
        "vmovups (%[x],%[ps],1), %%ymm13\n\t"
        "vmovups (%[x],%[ps],2), %%ymm14\n\t"
        "vmovups (%[d]), %%ymm15\n\t" GRADIENT_FMAS(0)
        "vmovups (%[d],%[ds],1), %%ymm15\n\t" GRADIENT_FMAS(1)
        "vmovups (%[d],%[ds],2), %%ymm15\n\t" GRADIENT_FMAS(2)
        "vmovups (%[d],%[ds3],1), %%ymm15\n\t" GRADIENT_FMAS(3)
        "add $32, %[x]\n\t"
        "add $32, %[d]\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        : [a00] "+x"(a00), [a01] "+x"(a01), [a02] "+x"(a02), [a10] "+x"(a10), [a11] "+x"(a11), [a12] "+x"(a12),
          [a20] "+x"(a20), [a21] "+x"(a21), [a22] "+x"(a22), [a30] "+x"(a30), [a31] "+x"(a31), [a32] "+x"(a32),
          [x] "+r"(x), [d] "+r"(d), [n] "+r"(vectors)
        : [ps] "r"(planeBytes), [ds] "r"(rowBytes), [ds3] "r"(rowBytes3)
        : "xmm12", "xmm13", "xmm14", "xmm15", "cc", "memory");
    __m256 all[12] = {a00, a01, a02, a10, a11, a12, a20, a21, a22, a30, a31, a32};
    for (int i = 0; i < 12; i++) _mm256_storeu_ps(lanes + i * floatsPerVector, all[i]);
}

static void gradientAVX2(const float *padded, int inputs, const float *flat, int outputs, Stack s, float *dw) {
    long planeBytes = s.plane * (long)sizeof(float), rowBytes = s.run * (long)sizeof(float);
    float lanes[gradientFilters * gradientChannels * floatsPerVector];
    for (long f0 = 0; f0 < outputs; f0 += gradientFilters) {
        for (long c0 = 0; c0 < inputs; c0 += gradientChannels) {
            for (int tap = 0; tap < taps; tap++) {
                gradientTile(padded + c0 * s.plane + tapOffset(tap, s), planeBytes, flat + f0 * s.run, rowBytes,
                             s.run / floatsPerVector, lanes);
                for (long f = f0; f < f0 + gradientFilters && f < outputs; f++) {
                    for (long c = c0; c < c0 + gradientChannels && c < inputs; c++) {
                        const float *sums = lanes + ((f - f0) * gradientChannels + (c - c0)) * floatsPerVector;
                        dw[(f * inputs + c) * taps + tap] += laneSum(sums);
                    }
                }
            }
        }
    }
}

#endif

void shears_direct3x3_weight_gradient(const float *x, int images, int inputs, int height, int width, const float *dy,
                                      int outputs, int portable, float *scratch, float *dw) {
    Stack s = stack(images, height, width);
    long planes = roundUp(inputs, gradientChannels);
    float *padded = scratch, *flat = scratch + planes * s.plane + tailFloats;
    stackImages(x, images, inputs, planes, height, width, s.rowStride + 1, s.plane, tailFloats, padded);
    stackImages(dy, images, outputs, roundUp(outputs, gradientFilters), height, width, 0, s.run, 0, flat);
#if defined(__x86_64__)
    if (!portable && shears_direct3x3_fast()) {
        gradientAVX2(padded, inputs, flat, outputs, s, dw);
        return;
    }
#endif
    (void)portable;
    gradientPortable(padded, inputs, flat, outputs, s, dw);
}
