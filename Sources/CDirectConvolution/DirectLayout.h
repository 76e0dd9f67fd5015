// Internal to CDirectConvolution: what its two kernels' files share of the padded flat layout
// (DirectConvolution.c describes it).
#ifndef SHEARS_DIRECT_LAYOUT_H
#define SHEARS_DIRECT_LAYOUT_H

enum { floatsPerVector = 8, taps = 9 };

// Floats read past the last channel's plane by a kernel's last run (at most a vector's worth of
// junk outputs, each reading up to 2(W + 1) + 2 further on, all within `plane` but for the
// rounding): kept zero so that junk lanes hold finite values.
enum { tailFloats = 2 * floatsPerVector };

#endif
