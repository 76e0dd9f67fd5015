// Direct 3x3 convolution (stride 1 or 2, padding 1) without a patch matrix.
//
// The image is copied once into a zero-padded "flat" layout per channel: rows of W + 1 floats,
// a zero column first, the height padded by a zero row above and below, so that row r,
// column q holds x[r − 1][q − 1]. With this stride the zero column closing one row is the
// one opening the next, so output pixel o = y·(W + 1) + x (x ≤ W; x = W is a junk column that
// is never copied out) reads its tap (i, j) at o + i·(W + 1) + j of every channel: the whole
// convolution is a one-dimensional correlation with nine fixed offsets. A tile of 4 filters
// x 24 consecutive outputs (12 AVX2 registers of 8 floats) then accumulates, channel by
// channel and tap by tap, three unaligned loads of the padded input times four broadcast
// weights: 12 FMAs per 7 loads, with no copy of patches and no packing of them, each output
// stored once. Written as inline assembly because compilers spill the 12 accumulators when
// the loads are spelled as intrinsics (measured: 0.7–0.9x of OpenBLAS with the spills,
// 1.1–1.5x without; docs/performance.md, "A direct convolution").
//
// Stride 2 reads every other row and column, which no single row stride turns into fixed
// offsets; the input's four phases do: phase (a, b) holds padded[2r + a][2s + b] in rows of
// Wo + 1 floats (Ho + 1 rows), so that output o = y·(Wo + 1) + x reads its tap (i, j) at
// o + (i/2)·(Wo + 1) + j/2 of phase (i mod 2, j mod 2). The four phases of a channel sit one
// after another, so every tap is one of three bases (the channel's first phase, its second,
// and their distance doubled) plus a fixed offset, and the same tiles run with nine other
// addresses. The copy into phases costs what the padded copy does; no FMA is spent on the
// skipped positions.
//
// Order of the sums, for every output: channel by channel, and within a channel the taps
// (i, j) in row-major order, each a fused multiply-add (one rounding) into the running sum,
// which starts at 0; then the start value is added and the ReLU applied. The portable path
// does the same with fmaf, so both give the same bits.

#include "CDirectConvolution.h"
#include "DirectLayout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

// Padded-image geometry of one channel.
typedef struct {
    int outHeight;    // Ho: H, or ⌊(H − 1)/2⌋ + 1 with stride 2
    int outWidth;     // Wo, likewise
    long rowStride;   // Wo + 1
    long phase;       // stride 2: floats per phase, (Ho + 1)(Wo + 1); stride 1: 0
    long plane;       // floats per channel: (H + 2)(W + 1) + 1, or the four phases
    long outputs;     // Ho(Wo + 1) flat outputs, junk columns included
    long outputPlane; // scratch floats per filter: the outputs rounded up to a vector
} Geometry;

static Geometry geometry(int height, int width, int stride) {
    Geometry g;
    g.outHeight = stride == 1 ? height : (height - 1) / 2 + 1;
    g.outWidth = stride == 1 ? width : (width - 1) / 2 + 1;
    g.rowStride = (long)g.outWidth + 1;
    g.phase = stride == 1 ? 0 : ((long)g.outHeight + 1) * g.rowStride;
    g.plane = stride == 1 ? ((long)height + 2) * g.rowStride + 1 : 4 * g.phase;
    g.outputs = (long)g.outHeight * g.rowStride;
    g.outputPlane = (g.outputs + floatsPerVector - 1) / floatsPerVector * floatsPerVector;
    return g;
}

size_t shears_direct3x3_packed_count(int inputs, int outputs) {
    return (size_t)filterBlocks(outputs) * (size_t)inputs * taps * filtersPerTile;
}

size_t shears_direct3x3_scratch_count(int inputs, int outputs, int height, int width, int stride) {
    Geometry g = geometry(height, width, stride);
    return (size_t)(inputs * g.plane + tailFloats) + (size_t)(filterBlocks(outputs) * filtersPerTile * g.outputPlane);
}

// packed[block][input][tap][lane] = weight of filter block·4 + lane (zero past the last).
void shears_direct3x3_pack(const float *w, int filters, int channels, int rotated, float *packed) {
    int outputs = rotated ? channels : filters, inputs = rotated ? filters : channels;
    for (long block = 0; block < filterBlocks(outputs); block++) {
        for (int input = 0; input < inputs; input++) {
            for (int tap = 0; tap < taps; tap++) {
                float *lanes = packed + ((block * inputs + input) * taps + tap) * filtersPerTile;
                for (int lane = 0; lane < filtersPerTile; lane++) {
                    long output = block * filtersPerTile + lane;
                    if (output >= outputs) {
                        lanes[lane] = 0;
                    } else if (rotated) {
                        lanes[lane] = w[((long)input * channels + output) * taps + (taps - 1 - tap)];
                    } else {
                        lanes[lane] = w[((long)output * channels + input) * taps + tap];
                    }
                }
            }
        }
    }
}

// x (`inputs x height x width`) into the padded layout, and the zero tail after it.
static void padInput(const float *x, int inputs, int height, int width, Geometry g, float *padded) {
    size_t rowBytes = (size_t)width * sizeof(float);
    for (int c = 0; c < inputs; c++) {
        float *plane = padded + c * g.plane;
        const float *source = x + (long)c * height * width;
        memset(plane, 0, (size_t)(g.rowStride + 1) * sizeof(float));
        for (int y = 0; y < height; y++) {
            float *row = plane + (y + 1) * g.rowStride + 1;
            memcpy(row, source + (long)y * width, rowBytes);
            row[width] = 0;
        }
        memset(plane + (height + 1) * g.rowStride + 1, 0, (size_t)g.rowStride * sizeof(float));
    }
    memset(padded + inputs * g.plane, 0, tailFloats * sizeof(float));
}

// One input line into its two column phases for stride 2: `left[q]` = line[2q − 1] (phase
// column 0, whose first column is the left padding) and `right[q]` = line[2q] (phase column
// 1), zero past the line, `rowStride` floats each. One pass over the line's pairs.
static void splitLine(const float *line, int width, long rowStride, float *left, float *right) {
    long pairs = width / 2, q = pairs;
    left[0] = 0;
    for (long t = 0; t < pairs; t++) {
        right[t] = line[2 * t];
        left[t + 1] = line[2 * t + 1];
    }
    if (width % 2) right[q++] = line[width - 1];
    for (long t = q; t < rowStride; t++) right[t] = 0;
    for (long t = pairs + 1; t < rowStride; t++) left[t] = 0;
}

// x into its four phases for stride 2: phase (a, b) of channel c, row r, column s holds
// x[2r + a − 1][2s + b − 1], zero outside the image; then the zero tail.
static void splitPhases(const float *x, int inputs, int height, int width, Geometry g, float *padded) {
    for (int c = 0; c < inputs; c++) {
        const float *source = x + (long)c * height * width;
        for (int a = 0; a < 2; a++) {
            float *left = padded + c * g.plane + 2 * a * g.phase, *right = left + g.phase;
            for (long r = 0; r <= g.outHeight; r++, left += g.rowStride, right += g.rowStride) {
                long y = 2 * r + a - 1;
                if (y < 0 || y >= height) {
                    memset(left, 0, (size_t)g.rowStride * sizeof(float));
                    memset(right, 0, (size_t)g.rowStride * sizeof(float));
                } else {
                    splitLine(source + y * width, width, g.rowStride, left, right);
                }
            }
        }
    }
    memset(padded + inputs * g.plane, 0, tailFloats * sizeof(float));
}

// y = out + start, then the ReLU, dropping the junk column of every row. Each row is copied
// (or added to its start) and then clamped in place, two loops simple enough to vectorise.
static void copyOut(const float *out, Geometry g, int outputs, int height, int width,
                    const float *start, int relu, float *y) {
    long pixels = (long)height * width;
    for (int o = 0; o < outputs; o++) {
        for (int row = 0; row < height; row++) {
            const float *source = out + o * g.outputPlane + row * g.rowStride;
            float *target = y + o * pixels + (long)row * width;
            if (start) {
                const float *offset = start + o * pixels + (long)row * width;
                for (int x = 0; x < width; x++) target[x] = source[x] + offset[x];
            } else {
                memcpy(target, source, (size_t)width * sizeof(float));
            }
            if (!relu) continue;
            // As Swift's max(value, 0): NaN stays NaN, −0 becomes 0.
            for (int x = 0; x < width; x++) target[x] = target[x] <= 0 ? 0 : target[x];
        }
    }
}

// The same values as `copyOut` followed by a 2x2, stride-2 max-pool (floor: a last odd row or
// column is dropped), written straight into the pooled `y`. The two rows of a window row get
// their start value and the ReLU in place in `out` (scratch), as `copyOut` computes them; then
// each window's four values are compared in MaxPool2D's order (top left, top right, bottom
// left, bottom right) by the same `>`, keeping the first largest, so that NaN, −0 and ties come
// out as the separate passes give them. Each loop is simple enough to vectorise.
static void copyOutPooled(float *out, Geometry g, int outputs, int height, int width,
                          const float *start, int relu, float *y) {
    long pixels = (long)height * width, pooledHeight = height / 2, pooledWidth = width / 2;
    for (int o = 0; o < outputs; o++) {
        for (long row = 0; row < pooledHeight; row++) {
            float *top = out + o * g.outputPlane + 2 * row * g.rowStride, *bottom = top + g.rowStride;
            for (int half = 0; half < 2; half++) {
                float *values = half ? bottom : top;
                if (start) {
                    const float *offset = start + o * pixels + (2 * row + half) * width;
                    for (long x = 0; x < 2 * pooledWidth; x++) values[x] += offset[x];
                }
                if (relu) {
                    for (long x = 0; x < 2 * pooledWidth; x++) values[x] = values[x] <= 0 ? 0 : values[x];
                }
            }
            float *target = y + (o * pooledHeight + row) * pooledWidth;
            for (long x = 0; x < pooledWidth; x++) {
                float best = top[2 * x];
                best = top[2 * x + 1] > best ? top[2 * x + 1] : best;
                best = bottom[2 * x] > best ? bottom[2 * x] : best;
                target[x] = bottom[2 * x + 1] > best ? bottom[2 * x + 1] : best;
            }
        }
    }
}

// `layout`'s taps in the tiles' order: each one's slot in a channel's packed weights and
// where output 0 reads it, in floats from its channel's start; returns how many.
static int tapTable(TapLayout layout, TileGeometry t, int slots[taps], long offsets[taps]) {
    long s = t.rowStride;
    switch (layout) {
    case stride1Taps:
    case stride2Taps:
        for (int tap = 0; tap < taps; tap++) {
            int i = tap / 3, j = tap % 3;
            slots[tap] = tap;
            offsets[tap] = layout == stride1Taps ? i * s + j : (2 * (i % 2) + j % 2) * t.phase + (i / 2) * s + j / 2;
        }
        return taps;
    // DirectStridedGradient.c: the rotated filters' slots (8 − 3i − j for tap (i, j)) and
    // offsets into the padded output gradient.
    case gradientPhase00Taps:
        slots[0] = 8, slots[1] = 6, slots[2] = 2, slots[3] = 0;
        offsets[0] = s + 1, offsets[1] = s, offsets[2] = 1, offsets[3] = 0;
        return 4;
    case gradientPhase01Taps:
        slots[0] = 7, slots[1] = 1, offsets[0] = s + 1, offsets[1] = 1;
        return 2;
    case gradientPhase10Taps:
        slots[0] = 5, slots[1] = 3, offsets[0] = s + 1, offsets[1] = s;
        return 2;
    case gradientPhase11Taps:
        slots[0] = 4, offsets[0] = s + 1;
        return 1;
    }
    return 0;
}

// The same sums as the tiles below, in the same order, in plain C.
static void tilesPortable(const float *padded, int inputs, TileGeometry t, TapLayout layout, const float *packed,
                          int outputs, float *out) {
    int slots[taps];
    long offsets[taps];
    int count = tapTable(layout, t, slots, offsets);
    for (int o = 0; o < outputs; o++) {
        const float *weights = packed + (long)(o / filtersPerTile) * inputs * taps * filtersPerTile + o % filtersPerTile;
        for (long p = 0; p < t.outputs; p++) {
            float sum = 0;
            for (int c = 0; c < inputs; c++) {
                for (int tap = 0; tap < count; tap++) {
                    sum = fmaf(weights[(c * taps + slots[tap]) * filtersPerTile], padded[c * t.plane + p + offsets[tap]], sum);
                }
            }
            out[o * t.outputPlane + p] = sum;
        }
    }
}

#if defined(__x86_64__)

// The widest instruction set the kernels may use, capped by the environment variable
// `SHEARS_MAX_ISA` (as oneDNN's `ONEDNN_MAX_CPU_ISA`): "avx2" keeps them off AVX-512, "none" runs
// the plain C everywhere, so that one machine can time what a CPU without AVX-512 (or without
// AVX2) would run (`scripts/bench-compare --isa avx2`). Unset, empty or any other value: no cap
// (the `shears` command refuses other values before any kernel runs).
static int isaCapAllows(int avx512) {
    const char *cap = getenv("SHEARS_MAX_ISA");
    if (cap == NULL) return 1;
    if (strcmp(cap, "none") == 0) return 0;
    return !(avx512 && strcmp(cap, "avx2") == 0);
}

// AVX2 and FMA in the CPU, and YMM state saved by the OS (OSXSAVE, XCR0 bits 1 and 2).
static int cpuRunsAVX2FMA(void) {
    unsigned a, b, c, d;
    if (!isaCapAllows(0) || !__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!(fma && osxsave && avx)) return 0;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;
}

// AVX-512F in the CPU (CPUID leaf 7, EBX bit 16) and ZMM and opmask state saved by the OS (XCR0
// bits 1, 2 and 5–7), besides AVX2 and FMA.
static int cpuRunsAVX512(void) {
    unsigned a, b, c, d;
    if (!isaCapAllows(1) || !cpuRunsAVX2FMA() || !__get_cpuid_count(7, 0, &a, &b, &c, &d) || !((b >> 16) & 1)) return 0;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xE6) == 0xE6;
}

// Tap (i, j) of channel `%[x]` (row stride `%[rs]` bytes): V vectors of 8 outputs from the
// padded input, each times the tap's weight for each of the 4 filters of the tile.
// Vector v (2, 3 or 4, named after its register) starts (v − 2)·8 floats after tap column j.
#define ROW0(j, v) #j "*4+" #v "*32-64(%[x])"
#define ROW1(j, v) #j "*4+" #v "*32-64(%[x],%[rs],1)"
#define ROW2(j, v) #j "*4+" #v "*32-64(%[x],%[rs],2)"
#define LOAD(row, j, v) "vmovups " row(j, v) ", %%ymm1" #v "\n\t"
#define BROADCAST(tap, lane) "vbroadcastss " #tap "*16+" #lane "*4(%[w]), %%ymm15\n\t"
#define FMA(lane, v) "vfmadd231ps %%ymm1" #v ", %%ymm15, %[a" #lane #v "]\n\t"

#define FILTERS1(tap) BROADCAST(tap, 0) FMA(0, 2) BROADCAST(tap, 1) FMA(1, 2) \
    BROADCAST(tap, 2) FMA(2, 2) BROADCAST(tap, 3) FMA(3, 2)
#define FILTERS2(tap) BROADCAST(tap, 0) FMA(0, 2) FMA(0, 3) BROADCAST(tap, 1) FMA(1, 2) FMA(1, 3) \
    BROADCAST(tap, 2) FMA(2, 2) FMA(2, 3) BROADCAST(tap, 3) FMA(3, 2) FMA(3, 3)
#define FILTERS3(tap) BROADCAST(tap, 0) FMA(0, 2) FMA(0, 3) FMA(0, 4) BROADCAST(tap, 1) FMA(1, 2) FMA(1, 3) FMA(1, 4) \
    BROADCAST(tap, 2) FMA(2, 2) FMA(2, 3) FMA(2, 4) BROADCAST(tap, 3) FMA(3, 2) FMA(3, 3) FMA(3, 4)

// The last block's 1, 2 or 3 filters of a width that is not a multiple of 4 (a pruned layer's),
// over three vectors: `FILTERS3`'s FMAs for those lanes only, in the same order.
#define FILTERS3N1(tap) BROADCAST(tap, 0) FMA(0, 2) FMA(0, 3) FMA(0, 4)
#define FILTERS3N2(tap) FILTERS3N1(tap) BROADCAST(tap, 1) FMA(1, 2) FMA(1, 3) FMA(1, 4)
#define FILTERS3N3(tap) FILTERS3N2(tap) BROADCAST(tap, 2) FMA(2, 2) FMA(2, 3) FMA(2, 4)

#define TAP1(row, j, tap) LOAD(row, j, 2) FILTERS1(tap)
#define TAP2(row, j, tap) LOAD(row, j, 2) LOAD(row, j, 3) FILTERS2(tap)
#define TAP3(row, j, tap) LOAD(row, j, 2) LOAD(row, j, 3) LOAD(row, j, 4) FILTERS3(tap)
#define TAP3N1(row, j, tap) LOAD(row, j, 2) LOAD(row, j, 3) LOAD(row, j, 4) FILTERS3N1(tap)
#define TAP3N2(row, j, tap) LOAD(row, j, 2) LOAD(row, j, 3) LOAD(row, j, 4) FILTERS3N2(tap)
#define TAP3N3(row, j, tap) LOAD(row, j, 2) LOAD(row, j, 3) LOAD(row, j, 4) FILTERS3N3(tap)
#define CHANNEL(TAP) TAP(ROW0, 0, 0) TAP(ROW0, 1, 1) TAP(ROW0, 2, 2) TAP(ROW1, 0, 3) TAP(ROW1, 1, 4) \
    TAP(ROW1, 2, 5) TAP(ROW2, 0, 6) TAP(ROW2, 1, 7) TAP(ROW2, 2, 8)

// Stride 2: tap (i, j) in phase (i mod 2, j mod 2), `%[x]` the channel's phase (0, 0), `%[x1]`
// its phase (0, 1), `%[q]` a phase's bytes (so (1, 0) and (1, 1) are `2·q` further), `j/2`
// floats and `i/2` rows (`%[rs]`) on. The `j` argument of `TAP` is unused (0).
#define PHASE00(j, v) #v "*32-64(%[x])"
#define PHASE01(j, v) #v "*32-64(%[x1])"
#define PHASE00R(j, v) "4+" #v "*32-64(%[x])"
#define PHASE10(j, v) #v "*32-64(%[x],%[q],2)"
#define PHASE11(j, v) #v "*32-64(%[x1],%[q],2)"
#define PHASE10R(j, v) "4+" #v "*32-64(%[x],%[q],2)"
#define PHASE00D(j, v) #v "*32-64(%[x],%[rs],1)"
#define PHASE01D(j, v) #v "*32-64(%[x1],%[rs],1)"
#define PHASE00DR(j, v) "4+" #v "*32-64(%[x],%[rs],1)"
#define PHASES(TAP) TAP(PHASE00, 0, 0) TAP(PHASE01, 0, 1) TAP(PHASE00R, 0, 2) TAP(PHASE10, 0, 3) TAP(PHASE11, 0, 4) \
    TAP(PHASE10R, 0, 5) TAP(PHASE00D, 0, 6) TAP(PHASE01D, 0, 7) TAP(PHASE00DR, 0, 8)

// A stride-2 conv's input gradient, one phase of it (`tapTable`'s order): offsets 0, 1, a row
// and a row + 1 of the padded output gradient, the `TAP`'s last argument the weight slot.
#define GRADIENT00(TAP) TAP(ROW1, 1, 8) TAP(ROW1, 0, 6) TAP(ROW0, 1, 2) TAP(ROW0, 0, 0)
#define GRADIENT01(TAP) TAP(ROW1, 1, 7) TAP(ROW0, 1, 1)
#define GRADIENT10(TAP) TAP(ROW1, 1, 5) TAP(ROW1, 0, 3)
#define GRADIENT11(TAP) TAP(ROW1, 1, 4)

// Vectors 2, 3, 4 use ymm12–ymm14 ("ymm1" #v), the broadcast ymm15; the accumulators `a<lane><v>`
// (filter `lane` of the tile, vector `v`) take the other twelve registers.
#define ACCUMULATORS1 [a02] "+x"(a02), [a12] "+x"(a12), [a22] "+x"(a22), [a32] "+x"(a32)
#define ACCUMULATORS2 ACCUMULATORS1, [a03] "+x"(a03), [a13] "+x"(a13), [a23] "+x"(a23), [a33] "+x"(a33)
#define ACCUMULATORS3 ACCUMULATORS2, [a04] "+x"(a04), [a14] "+x"(a14), [a24] "+x"(a24), [a34] "+x"(a34)
#define ACCUMULATORS3N1 [a02] "+x"(a02), [a03] "+x"(a03), [a04] "+x"(a04)
#define ACCUMULATORS3N2 ACCUMULATORS3N1, [a12] "+x"(a12), [a13] "+x"(a13), [a14] "+x"(a14)
#define ACCUMULATORS3N3 ACCUMULATORS3N2, [a22] "+x"(a22), [a23] "+x"(a23), [a24] "+x"(a24)
#define OPERANDS [x] "r"(x), [rs] "r"(rowBytes), [w] "r"(w)
#define PHASE_OPERANDS OPERANDS, [x1] "r"(x + phase), [q] "r"(phaseBytes)
#define STORE(lane, v) _mm256_storeu_ps(out + lane * outputPlane + (v - 2) * floatsPerVector, a##lane##v);

// One tile: 4 filters x 8 outputs (`tile1`), 16 (`tile2`) or 24 (`tile3`), summed over every
// channel of the padded input `x` (channel stride `plane`, `phase` floats between a stride-2
// input's phases) into `out` (filter stride `outputPlane`) over `layout`'s taps; `w` is the
// tile's block of packed filters.
#define TILE_PARAMETERS const float *x, long plane, long phase, TapLayout layout, int inputs, long rowBytes, \
    const float *w, float *out, long outputPlane
// One channel's taps, by the layout's addresses (a branch the predictor always gets right).
// The accumulator and operand lists are named here, not passed on: their commas would split
// another macro's arguments.
#define TILE_CHANNEL(TAP, ACCUMULATORS, ...) \
    switch (layout) { \
    case stride1Taps: \
        __asm__ volatile(CHANNEL(TAP) : ACCUMULATORS : OPERANDS : __VA_ARGS__, "memory"); \
        break; \
    case stride2Taps: \
        __asm__ volatile(PHASES(TAP) : ACCUMULATORS : PHASE_OPERANDS : __VA_ARGS__, "memory"); \
        break; \
    case gradientPhase00Taps: \
        __asm__ volatile(GRADIENT00(TAP) : ACCUMULATORS : OPERANDS : __VA_ARGS__, "memory"); \
        break; \
    case gradientPhase01Taps: \
        __asm__ volatile(GRADIENT01(TAP) : ACCUMULATORS : OPERANDS : __VA_ARGS__, "memory"); \
        break; \
    case gradientPhase10Taps: \
        __asm__ volatile(GRADIENT10(TAP) : ACCUMULATORS : OPERANDS : __VA_ARGS__, "memory"); \
        break; \
    case gradientPhase11Taps: \
        __asm__ volatile(GRADIENT11(TAP) : ACCUMULATORS : OPERANDS : __VA_ARGS__, "memory"); \
        break; \
    }

__attribute__((target("avx2,fma"))) static void tile1(TILE_PARAMETERS) {
    __m256 a02 = _mm256_setzero_ps(), a12 = a02, a22 = a02, a32 = a02;
    long phaseBytes = phase * (long)sizeof(float);
    for (int c = 0; c < inputs; c++, x += plane, w += taps * filtersPerTile) {
        TILE_CHANNEL(TAP1, ACCUMULATORS1, "xmm12", "xmm15")
    }
    STORE(0, 2) STORE(1, 2) STORE(2, 2) STORE(3, 2)
}

__attribute__((target("avx2,fma"))) static void tile2(TILE_PARAMETERS) {
    __m256 a02 = _mm256_setzero_ps(), a12 = a02, a22 = a02, a32 = a02, a03 = a02, a13 = a02, a23 = a02, a33 = a02;
    long phaseBytes = phase * (long)sizeof(float);
    for (int c = 0; c < inputs; c++, x += plane, w += taps * filtersPerTile) {
        TILE_CHANNEL(TAP2, ACCUMULATORS2, "xmm12", "xmm13", "xmm15")
    }
    STORE(0, 2) STORE(1, 2) STORE(2, 2) STORE(3, 2)
    STORE(0, 3) STORE(1, 3) STORE(2, 3) STORE(3, 3)
}

__attribute__((target("avx2,fma"))) static void tile3(TILE_PARAMETERS) {
    __m256 a02 = _mm256_setzero_ps(), a12 = a02, a22 = a02, a32 = a02, a03 = a02, a13 = a02, a23 = a02, a33 = a02,
           a04 = a02, a14 = a02, a24 = a02, a34 = a02;
    long phaseBytes = phase * (long)sizeof(float);
    for (int c = 0; c < inputs; c++, x += plane, w += taps * filtersPerTile) {
        TILE_CHANNEL(TAP3, ACCUMULATORS3, "xmm12", "xmm13", "xmm14", "xmm15")
    }
    STORE(0, 2) STORE(1, 2) STORE(2, 2) STORE(3, 2)
    STORE(0, 3) STORE(1, 3) STORE(2, 3) STORE(3, 3)
    STORE(0, 4) STORE(1, 4) STORE(2, 4) STORE(3, 4)
}

// `tile3` for the first 1, 2 or 3 filters of a block only (its other lanes are zero filters):
// 3, 6 or 9 accumulators, each summed as `tile3` sums it; only those filters' outputs are stored.
__attribute__((target("avx2,fma"))) static void tile3n1(TILE_PARAMETERS) {
    __m256 a02 = _mm256_setzero_ps(), a03 = a02, a04 = a02;
    long phaseBytes = phase * (long)sizeof(float);
    for (int c = 0; c < inputs; c++, x += plane, w += taps * filtersPerTile) {
        TILE_CHANNEL(TAP3N1, ACCUMULATORS3N1, "xmm12", "xmm13", "xmm14", "xmm15")
    }
    STORE(0, 2) STORE(0, 3) STORE(0, 4)
}

__attribute__((target("avx2,fma"))) static void tile3n2(TILE_PARAMETERS) {
    __m256 a02 = _mm256_setzero_ps(), a03 = a02, a04 = a02, a12 = a02, a13 = a02, a14 = a02;
    long phaseBytes = phase * (long)sizeof(float);
    for (int c = 0; c < inputs; c++, x += plane, w += taps * filtersPerTile) {
        TILE_CHANNEL(TAP3N2, ACCUMULATORS3N2, "xmm12", "xmm13", "xmm14", "xmm15")
    }
    STORE(0, 2) STORE(0, 3) STORE(0, 4) STORE(1, 2) STORE(1, 3) STORE(1, 4)
}

__attribute__((target("avx2,fma"))) static void tile3n3(TILE_PARAMETERS) {
    __m256 a02 = _mm256_setzero_ps(), a03 = a02, a04 = a02, a12 = a02, a13 = a02, a14 = a02, a22 = a02, a23 = a02,
           a24 = a02;
    long phaseBytes = phase * (long)sizeof(float);
    for (int c = 0; c < inputs; c++, x += plane, w += taps * filtersPerTile) {
        TILE_CHANNEL(TAP3N3, ACCUMULATORS3N3, "xmm12", "xmm13", "xmm14", "xmm15")
    }
    STORE(0, 2) STORE(0, 3) STORE(0, 4) STORE(1, 2) STORE(1, 3) STORE(1, 4) STORE(2, 2) STORE(2, 3) STORE(2, 4)
}

typedef void (*FullTile)(TILE_PARAMETERS);

// Every block of 4 filters over tiles of 24 outputs, the rest by one narrower tile; the last
// block of a width that is not a multiple of 4 takes its full tiles by `tile3n1`–`tile3n3`,
// spending no FMAs on its zero filters (a pruned width; docs/performance.md).
static void tilesAVX2(const float *padded, int inputs, TileGeometry t, TapLayout layout, const float *packed, int outputs,
                      float *out) {
    long rowBytes = t.rowStride * (long)sizeof(float), tileOutputs = 3 * floatsPerVector;
    long fullTiles = t.outputs / tileOutputs, rest = t.outputs - fullTiles * tileOutputs;
    long blocks = filterBlocks(outputs);
    static const FullTile narrow[filtersPerTile] = {tile3, tile3n1, tile3n2, tile3n3};
    for (long block = 0; block < blocks; block++) {
        const float *w = packed + block * inputs * taps * filtersPerTile;
        float *blockOut = out + block * filtersPerTile * t.outputPlane;
        FullTile full = block == blocks - 1 ? narrow[outputs % filtersPerTile] : tile3;
        for (long tile = 0; tile < fullTiles; tile++) {
            full(padded + tile * tileOutputs, t.plane, t.phase, layout, inputs, rowBytes, w, blockOut + tile * tileOutputs,
                 t.outputPlane);
        }
        const float *x = padded + fullTiles * tileOutputs;
        float *restOut = blockOut + fullTiles * tileOutputs;
        if (rest > 2 * floatsPerVector) {
            tile3(x, t.plane, t.phase, layout, inputs, rowBytes, w, restOut, t.outputPlane);
        } else if (rest > floatsPerVector) {
            tile2(x, t.plane, t.phase, layout, inputs, rowBytes, w, restOut, t.outputPlane);
        } else if (rest > 0) {
            tile1(x, t.plane, t.phase, layout, inputs, rowBytes, w, restOut, t.outputPlane);
        }
    }
}

// `probe()`, asked once: CPUID traps to the hypervisor in a VM (microseconds), and every call of
// the kernels asks. Workers may ask at once, so the cache is read and written atomically (they
// can only store the same answer).
static int cached(int *answer, int (*probe)(void)) {
    int known = __atomic_load_n(answer, __ATOMIC_RELAXED);
    if (known < 0) {
        known = probe();
        __atomic_store_n(answer, known, __ATOMIC_RELAXED);
    }
    return known;
}

int shears_direct3x3_fast(void) {
    static int answer = -1;
    return cached(&answer, cpuRunsAVX2FMA);
}

int directKernelsHaveAVX512(void) {
    static int answer = -1;
    return cached(&answer, cpuRunsAVX512);
}

#else

int shears_direct3x3_fast(void) { return 0; }

int directKernelsHaveAVX512(void) { return 0; }

#endif

void directTiles(const float *padded, int inputs, TileGeometry t, TapLayout layout, const float *packed, int outputs,
                 int portable, float *out) {
#if defined(__x86_64__)
    if (!portable && shears_direct3x3_fast()) {
        tilesAVX2(padded, inputs, t, layout, packed, outputs, out);
        return;
    }
#endif
    (void)portable;
    tilesPortable(padded, inputs, t, layout, packed, outputs, out);
}

void shears_direct3x3(const float *x, int inputs, int height, int width, int stride, const float *packed, int outputs,
                      const float *start, int relu, int pool, int kernels, float *scratch, float *y) {
    int portable = kernels == 1;
    // One input channel: rows without the padded copy (DirectSingleChannel.c), where AVX-512 runs.
    if (inputs == 1 && stride == 1 && !pool && kernels == 0) {
        if (directSingleChannel(x, height, width, packed, outputs, start, relu, y)) return;
    }
    Geometry g = geometry(height, width, stride);
    float *padded = scratch, *out = scratch + inputs * g.plane + tailFloats;
    if (stride == 1) {
        padInput(x, inputs, height, width, g, padded);
    } else {
        splitPhases(x, inputs, height, width, g, padded);
    }
    TileGeometry t = {g.plane, g.phase, g.rowStride, g.outputs, g.outputPlane};
    directTiles(padded, inputs, t, stride == 1 ? stride1Taps : stride2Taps, packed, outputs, portable, out);
    if (pool) {
        copyOutPooled(out, g, outputs, g.outHeight, g.outWidth, start, relu, y);
    } else {
        copyOut(out, g, outputs, g.outHeight, g.outWidth, start, relu, y);
    }
}
