// Internal to CDirectConvolution: the padded flat layout its kernels share
// (DirectConvolution.c describes it).
#ifndef SHEARS_DIRECT_LAYOUT_H
#define SHEARS_DIRECT_LAYOUT_H

enum { filtersPerTile = 4, floatsPerVector = 8, taps = 9 };

// Padded-image geometry of one channel.
typedef struct {
    long rowStride;   // W + 1
    long plane;       // (H + 2)(W + 1) + 1 floats per channel
    long outputs;     // H(W + 1) flat outputs, junk columns included
    long fullTiles;   // tiles of 24 outputs
    long rest;        // outputs after them
    long outputPlane; // scratch floats per filter: the outputs rounded up to a vector
} Geometry;

static inline Geometry geometry(int height, int width) {
    Geometry g;
    g.rowStride = (long)width + 1;
    g.plane = ((long)height + 2) * g.rowStride + 1;
    g.outputs = (long)height * g.rowStride;
    g.fullTiles = g.outputs / (3 * floatsPerVector);
    g.rest = g.outputs - g.fullTiles * 3 * floatsPerVector;
    g.outputPlane = (g.outputs + floatsPerVector - 1) / floatsPerVector * floatsPerVector;
    return g;
}

// Floats read past the last channel's plane by the last tile (at most a vector's worth of
// junk outputs, each reading up to 2(W + 1) + 2 further on, all within `plane` but for the
// rounding): kept zero so that junk lanes hold finite values.
enum { tailFloats = 2 * floatsPerVector };

/// Copies `inputs` planes of `x` (`inputs x height x width`) into the padded layout, then
/// zeroes `planes − inputs` more planes and the tail.
void directPadInput(const float *x, int inputs, int planes, int height, int width, Geometry g, float *padded);

#endif
