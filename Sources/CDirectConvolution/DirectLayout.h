// Internal to CDirectConvolution: what its files share of the padded flat layout
// (DirectConvolution.c describes it) and the register tiles that sum over it.
#ifndef SHEARS_DIRECT_LAYOUT_H
#define SHEARS_DIRECT_LAYOUT_H

enum { floatsPerVector = 8, taps = 9, filtersPerTile = 4 };

// Floats read past the last channel's plane by a kernel's last run (at most a vector's worth of
// junk outputs, each reading up to 2(W + 1) + 2 further on, all within `plane` but for the
// rounding): kept zero so that junk lanes hold finite values.
enum { tailFloats = 2 * floatsPerVector };

// Which taps the tiles sum per input channel, and where each reads (DirectConvolution.c):
// the nine of a stride-1 conv, the nine of a stride-2 conv in its input's four phases, or
// those of one phase of a stride-2 conv's input gradient (DirectStridedGradient.c), which
// reads 4, 2, 2 or 1 of the rotated filters' taps.
typedef enum {
    stride1Taps,
    stride2Taps,
    gradientPhase00Taps,
    gradientPhase01Taps,
    gradientPhase10Taps,
    gradientPhase11Taps,
} TapLayout;

// The flat layout the tiles run over: channel stride `plane` floats (`phase` floats between a
// stride-2 input's phases, else 0), rows of `rowStride`, `outputs` flat outputs (junk columns
// included), each output channel's sums `outputPlane` floats apart in `out`.
typedef struct {
    long plane, phase, rowStride, outputs, outputPlane;
} TileGeometry;

// Blocks of `filtersPerTile` output channels (the last padded with zero filters).
static inline long filterBlocks(int outputs) { return (outputs + filtersPerTile - 1) / filtersPerTile; }

// `out[o][p] = Σ_c Σ_taps w·padded[c][p + offset]` for every output channel `o` and flat output
// `p` of `t`, over `layout`'s taps, channel by channel and tap by tap with fused multiply-adds
// from 0; by the AVX2 tiles where the CPU runs them and `portable` is 0, else by plain C in the
// same order (the same bits). `packed` from `shears_direct3x3_pack`.
void directTiles(const float *padded, int inputs, TileGeometry t, TapLayout layout, const float *packed, int outputs,
                 int portable, float *out);

// `shears_direct3x3`'s stride-1 convolution of one image with one input channel, without pooling,
// by AVX-512 code that skips the padded copy and writes `y` directly (DirectSingleChannel.c; the
// same bits): 1 when it ran, 0 on a CPU without AVX-512 (nothing written).
int directSingleChannel(const float *x, int height, int width, const float *packed, int outputs, const float *start,
                        int relu, float *y);

// 1 when this CPU and its OS run AVX-512F code (x86-64; read once and cached as
// `shears_direct3x3_fast` is), else 0: the weight gradient's wider tiles (DirectWeightGradient.c).
int directKernelsHaveAVX512(void);

#endif
