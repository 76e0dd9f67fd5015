#ifndef SHEARS_C_DIRECT_CONVOLUTION_H
#define SHEARS_C_DIRECT_CONVOLUTION_H

#include <stddef.h>

/// Direct 3x3, padding-1 convolution of one image (NCHW), stride 1 or 2 (forward and input gradient), for
/// `Conv2D`'s `ConvolutionAlgorithm.direct`. See DirectConvolution.c for the method.
///
/// Every function takes sizes that the caller (Swift, `Conv2D+Direct.swift`) has checked to be
/// positive; none allocates.

/// 1 when this CPU and its OS run the AVX2 + FMA kernels (x86-64), else 0. Without them
/// `shears_direct3x3` computes the same sums in plain C, in the same order per output.
int shears_direct3x3_fast(void);

/// Floats of packed filters for `outputs` filters reading `inputs` channels.
size_t shears_direct3x3_packed_count(int inputs, int outputs);

/// Packs `w[filters][channels][3][3]` for `shears_direct3x3`: with `rotated` 0, the conv's own
/// filters (`outputs = filters`, `inputs = channels`); with `rotated` 1, the filters of its
/// input gradient, rotated by 180° and transposed (`outputs = channels`, `inputs = filters`,
/// `w'[c][f][i][j] = w[f][c][2−i][2−j]`).
void shears_direct3x3_pack(const float *w, int filters, int channels, int rotated, float *packed);

/// Floats of scratch `shears_direct3x3` needs for one image of `height x width` at `stride`.
size_t shears_direct3x3_scratch_count(int inputs, int outputs, int height, int width, int stride);

/// `y[o][p] = start[o][p] + Σ_c,i,j w[o][c][i][j]·x[c][s·p_y + i − 1][s·p_x + j − 1]` (zero
/// outside the image) for one image and `stride` s (1 or 2), `x` `inputs x height x width`, `y`
/// `outputs x Ho x Wo` (`Ho = height` for stride 1, `⌊(height − 1)/2⌋ + 1` for stride 2; `Wo`
/// likewise), `start` the same size as `y` or NULL for zeros; then `max(0, ·)` when `relu` is 1.
/// With `pool` 1, `y` is instead that output max-pooled over 2x2 windows with stride 2
/// (`outputs x ⌊Ho/2⌋ x ⌊Wo/2⌋`, PyTorch's floor mode), computed as `MaxPool2D` would
/// from it (the same bits), without writing the unpooled output.
/// `packed` from `shears_direct3x3_pack`, `scratch` of `shears_direct3x3_scratch_count` floats.
/// `kernels` 0 runs the fastest code this CPU has, 1 the plain C loop even where the AVX2 kernels
/// would (the tests' reference: all must give the same bits), 2 at most AVX2 (not the AVX-512
/// single-channel kernel).
void shears_direct3x3(const float *x, int inputs, int height, int width, int stride, const float *packed, int outputs,
                      const float *start, int relu, int pool, int kernels, float *scratch, float *y);

/// Floats of scratch `shears_direct3x3_stride2_input_gradient` needs for one image.
size_t shears_direct3x3_stride2_input_gradient_scratch_count(int filters, int channels, int height, int width);

/// `dx[c][y][x] = Σ_f,i,j w[f][c][i][j]·dy[f][oy][ox]` over the outputs (oy, ox) with
/// `2·oy + i − 1 = y` and `2·ox + j − 1 = x`: the input gradient of `shears_direct3x3`'s stride-2
/// convolution for one image, `dy` `filters x Ho x Wo`, `dx` `channels x height x width` (every
/// value written). `packed` from `shears_direct3x3_pack` with `rotated` 1; `portable` as there,
/// `scratch` of `shears_direct3x3_stride2_input_gradient_scratch_count` floats.
void shears_direct3x3_stride2_input_gradient(const float *dy, int filters, int height, int width, const float *packed,
                                            int channels, int portable, float *scratch, float *dx);

/// Images per call of `shears_direct3x3_weight_gradient` on `height x width` maps at `stride`:
/// enough that a group has a few hundred output positions (1 from 16 x 16 up).
int shears_direct3x3_weight_gradient_group(int height, int width, int stride);

/// Floats of scratch `shears_direct3x3_weight_gradient` needs for a group of images.
size_t shears_direct3x3_weight_gradient_scratch_count(int inputs, int outputs, int height, int width, int stride);

/// `dw[o][c][i][j] += Σ_n Σ_p dy[n][o][p]·x[n][c][s·p_y + i − 1][s·p_x + j − 1]` (zero outside
/// the image) over `images` consecutive images (at most `shears_direct3x3_weight_gradient_group`),
/// `x` `images x inputs x height x width`, `dy` `images x outputs x Ho x Wo` with
/// `Ho = (height − 1)/s + 1` (the same for `Wo`), `dw` `outputs x inputs x 3 x 3`: the weight
/// gradient of `shears_direct3x3`'s convolution at stride `s` (1 or 2).
/// `kernels` 0 runs the fastest code this CPU has (AVX-512 tiles, else AVX2, else plain C),
/// 1 the plain C loop, 2 the AVX2 tiles even where AVX-512 ones would run; all give the same
/// bits. `scratch` of `shears_direct3x3_weight_gradient_scratch_count` floats.
void shears_direct3x3_weight_gradient(const float *x, int images, int inputs, int height, int width, int stride,
                                      const float *dy, int outputs, int kernels, float *scratch, float *dw);

/// 1 when this CPU and its OS run the AVX-512 Winograd kernels (x86-64), else 0. Without them
/// `shears_winograd3x3` computes the same sums in plain C, in the same order.
int shears_winograd3x3_fast(void);

/// Floats of transformed filters for `outputs` filters reading `inputs` channels (16 per pair,
/// and a few between transform points).
size_t shears_winograd3x3_filter_count(int inputs, int outputs);

/// `u[ξ][o][c] = (G g Gᵀ)[ξ]` (transform points a little more than `outputs x inputs` floats
/// apart) for every filter `g` of the convolution run (Lavin & Gray 2016,
/// eq. 8; WinogradTiles.c): with `rotated` 0, the conv's own filters `w[filters][channels][3][3]`
/// (`outputs = filters`, `inputs = channels`); with `rotated` 1, those of its input gradient,
/// `g[c][f][i][j] = w[f][c][2−i][2−j]` (`outputs = channels`, `inputs = filters`).
void shears_winograd3x3_transform_filters(const float *w, int filters, int channels, int rotated, float *u);

/// Images per call of `shears_winograd3x3` on `height x width` maps for a full use of its
/// register tiles (1 on 28 x 28 maps, 2 on 14 x 14, 6 on 7 x 7): a group's tiles are multiplied together.
int shears_winograd3x3_group(int height, int width);

/// Floats of scratch `shears_winograd3x3` needs for `images` images.
size_t shears_winograd3x3_scratch_count(int images, int inputs, int outputs, int height, int width);

/// `shears_direct3x3`'s stride-1 convolution of `images` consecutive images (the same `start`,
/// `relu` and `pool`; `x` `images x inputs x height x width`, `y` `images x outputs x height x
/// width`, or `images x outputs x ⌊height/2⌋ x ⌊width/2⌋` pooled) by Winograd's F(2x2, 3x3):
/// the same values up to the rounding of the transforms, and each image's values the same bits
/// whatever the group. `u` from `shears_winograd3x3_transform_filters`, `scratch` of
/// `shears_winograd3x3_scratch_count` floats; `kernels` 0 runs the AVX-512 code where the CPU
/// has it, 1 or 2 (there is no AVX2 code) the plain C (the same bits).
void shears_winograd3x3(const float *x, int images, int inputs, int height, int width, const float *u, int outputs,
                        const float *start, int relu, int pool, int kernels, float *scratch, float *y);

/// Floats of F(4x4, 3x3)-transformed filters for `outputs` filters reading `inputs` channels
/// (36 per pair, and a few between transform points).
size_t shears_winograd4x4_filter_count(int inputs, int outputs);

/// `u[ξ][o][c] = (G g Gᵀ)[ξ]` with F(4x4, 3x3)'s 6 x 3 `G` (Lavin & Gray 2016, §4.3;
/// WinogradTiles4.c), computed in double: as `shears_winograd3x3_transform_filters`, `rotated`
/// 1 for the input gradient's filters.
void shears_winograd4x4_transform_filters(const float *w, int filters, int channels, int rotated, float *u);

/// Images per call of `shears_winograd4x4` on `height x width` maps for full register tiles in
/// its products (2 on 28 x 28 maps, 4 on 14 x 14, 16 on 7 x 7).
int shears_winograd4x4_group(int height, int width);

/// Floats of scratch `shears_winograd4x4` needs for `images` images.
size_t shears_winograd4x4_scratch_count(int images, int inputs, int outputs, int height, int width);

/// `shears_winograd3x3`'s convolution (the same arguments, start values, ReLU and pooling) by
/// Winograd's F(4x4, 3x3): 36 products per 4 x 4 output tile and channel instead of F(2x2,
/// 3x3)'s 64, with larger rounding errors; each image's values the same bits whatever the
/// group. `kernels` 0 runs the fastest code this CPU has (AVX-512, else AVX2 + FMA, else plain C),
/// 1 the plain C, 2 at most AVX2 + FMA; all the same bits. `u` from
/// `shears_winograd4x4_transform_filters`, `scratch` of `shears_winograd4x4_scratch_count` floats.
void shears_winograd4x4(const float *x, int images, int inputs, int height, int width, const float *u, int outputs,
                        const float *start, int relu, int pool, int kernels, float *scratch, float *y);

/// Whether this CPU and its OS run `shears_winograd4x4`'s vector code, AVX-512 or AVX2 + FMA
/// (x86-64, read once).
int shears_winograd4x4_fast(void);

/// Floats of scratch `shears_winograd4x4_weight_sums` needs for `images` images.
size_t shears_winograd4x4_weight_scratch_count(int images, int inputs, int outputs, int height, int width);

/// Floats of the transform-domain sums `S[ξ][c][k]` of `shears_winograd4x4_weight_sums` (36 per
/// channel and filter, and a few between transform points).
size_t shears_winograd4x4_weight_sums_count(int inputs, int outputs);

/// `S[ξ] += Σ_tiles (Bᵀ d B)[ξ]·(A h Aᵀ)[ξ]` over the 4 x 4 tiles of `images` consecutive images
/// (`x` their inputs, `dy` their output gradients, both NCHW) of a stride-1, padding-1 3x3 conv:
/// its weight gradient by Winograd's F(3x3, 4x4), the transpose of `shears_winograd4x4`
/// (WinogradWeightGradient.c), 36 products per tile and weight pair instead of the direct
/// kernels' 144; `shears_winograd4x4_weight_gradient_finish` turns the sums into ∂W. `sums` of
/// `shears_winograd4x4_weight_sums_count` floats (zero before the first group), `scratch` of
/// `shears_winograd4x4_weight_scratch_count` floats; `kernels` as `shears_winograd4x4`'s (all the
/// same bits).
void shears_winograd4x4_weight_sums(const float *x, const float *dy, int images, int inputs, int outputs, int height,
                                    int width, int kernels, float *scratch, float *sums);

/// `dw[k][c] += Gᵀ S[·][c][k] G` (3 x 3, in double) for the sums of
/// `shears_winograd4x4_weight_sums`; `dw` is `outputs x inputs x 3 x 3`.
void shears_winograd4x4_weight_gradient_finish(const float *sums, int inputs, int outputs, float *dw);

#endif
