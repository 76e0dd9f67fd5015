// Input gradient of a stride-2, padding-1 3x3 convolution by the direct tiles, without the
// zero-stuffed output gradient a transposed convolution would read.
//
// With the image padded by one (X[Y][Xc] = x[Y − 1][Xc − 1]), output (oy, ox) reads X at
// (2oy + i, 2ox + j), so ∂X[Y][Xc] = Σ_f Σ_(i,j) w[f][c][i][j]·∂y[f][(Y − i)/2][(Xc − j)/2] over
// the taps with Y − i and Xc − j even. Split ∂X into its phases, Y = 2r + a and Xc = 2s + b:
// phase (a, b) reads rows i ∈ {0, 2} (∂y rows r and r − 1) when a = 0, i = 1 (row r) when
// a = 1, and columns likewise, so each phase is a small stride-1 correlation of ∂y: 4, 2, 2
// and 1 taps, 9 in all per input channel, the forward pass's multiply count. ∂y is copied
// once into a zero-padded layout with rows of Wo + 2 floats (∂y[oy][ox] at
// (oy + 1)·(Wo + 2) + ox + 1), in which phase output o = r·(Wo + 2) + s reads ∂y[r − di][s − dj]
// at o + (1 − di)·(Wo + 2) + (1 − dj): fixed offsets again, summed by DirectConvolution.c's
// tiles (4 channels x 24 outputs) with the rotated filters' packing, and each phase's sums
// are scattered to every other row and column of ∂x (x[y][x] is phase ((y + 1) mod 2,
// (x + 1) mod 2), r = ⌊(y + 1)/2⌋, s = ⌊(x + 1)/2⌋; every pixel is written once).
//
// Order of the sums, for every pixel: output-gradient channel by channel, and within one the
// phase's taps in `tapTable`'s order, each a fused multiply-add from 0 (plain C the same).

#include "CDirectConvolution.h"
#include "DirectLayout.h"

#include <string.h>

// The padded output gradient and the phase outputs of one image.
static TileGeometry gradientGeometry(int height, int width, int *outHeight, int *outWidth) {
    *outHeight = (height - 1) / 2 + 1;
    *outWidth = (width - 1) / 2 + 1;
    TileGeometry t;
    t.rowStride = (long)*outWidth + 2;
    t.plane = ((long)*outHeight + 2) * t.rowStride;
    t.phase = 0;
    t.outputs = ((long)*outHeight + 1) * t.rowStride;
    t.outputPlane = (t.outputs + floatsPerVector - 1) / floatsPerVector * floatsPerVector;
    return t;
}

size_t shears_direct3x3_stride2_input_gradient_scratch_count(int filters, int channels, int height, int width) {
    int outHeight, outWidth;
    TileGeometry t = gradientGeometry(height, width, &outHeight, &outWidth);
    return (size_t)(filters * t.plane + tailFloats) + (size_t)(filterBlocks(channels) * filtersPerTile * t.outputPlane);
}

void shears_direct3x3_stride2_input_gradient(const float *dy, int filters, int height, int width, const float *packed,
                                            int channels, int portable, float *scratch, float *dx) {
    int outHeight, outWidth;
    TileGeometry t = gradientGeometry(height, width, &outHeight, &outWidth);
    float *padded = scratch, *out = scratch + filters * t.plane + tailFloats;
    // Each row written once: the zero rows above and below, the zero columns either side.
    for (int f = 0; f < filters; f++) {
        float *plane = padded + f * t.plane;
        memset(plane, 0, (size_t)t.rowStride * sizeof(float));
        for (int oy = 0; oy < outHeight; oy++) {
            float *row = plane + (oy + 1) * t.rowStride;
            row[0] = 0;
            memcpy(row + 1, dy + ((long)f * outHeight + oy) * outWidth, (size_t)outWidth * sizeof(float));
            row[outWidth + 1] = 0;
        }
        memset(plane + (outHeight + 1) * t.rowStride, 0, (size_t)t.rowStride * sizeof(float));
    }
    memset(padded + filters * t.plane, 0, tailFloats * sizeof(float));
    static const TapLayout layouts[4] = {gradientPhase00Taps, gradientPhase01Taps, gradientPhase10Taps,
                                         gradientPhase11Taps};
    for (int phase = 0; phase < 4; phase++) {
        int a = phase / 2, b = phase % 2;
        directTiles(padded, filters, t, layouts[phase], packed, channels, portable, out);
        // Pixel (y, x) of this phase: y = 2r + a − 1, x = 2s + b − 1.
        for (int c = 0; c < channels; c++) {
            for (int y = 1 - a; y < height; y += 2) {
                const float *sums = out + c * t.outputPlane + (y + 1 - a) / 2 * t.rowStride;
                float *row = dx + ((long)c * height + y) * width;
                for (int x = 1 - b, s = 1 - b; x < width; x += 2, s++) row[x] = sums[s];
            }
        }
    }
}
