// Weight gradient of a stride-1, padding-1 3x3 conv by Winograd's F(3x3, 4x4), the transpose of
// the forward pass's F(4x4, 3x3) (WinogradTiles4.c; Lavin & Gray 2016, §4.3's matrices). Per
// 4 x 4 tile of the output gradient h (zero past the map) and the 6 x 6 input patch d under it,
//
//     ∂w[i][j] += Σ_a,b h[a][b]·d[a + i][b + j],
//
// a correlation of d with h giving 3 x 3 values. The forward pass's identity
// y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A is trilinear in (y's weights, g, d): Σ y·h = Σ_ξ (A h Aᵀ)[ξ]·
// (G g Gᵀ)[ξ]·(Bᵀ d B)[ξ], so its derivative in g is
//
//     ∂w = Gᵀ [Σ_tiles (A h Aᵀ) ⊙ (Bᵀ d B)] G,
//
// with the forward pass's Bᵀ (6 x 6), G (6 x 3) and A (6 x 4, Aᵀ's transpose):
//
//     A = [1 0 0 0;  1 1 1 1;  1 −1 1 −1;  1 2 4 8;  1 −2 4 −8;  0 0 0 1].
//
// Per transform point ξ the sum over tiles is a product S[ξ] (C x K) += V[ξ] (C x tiles) ·
// Y[ξ] (tiles x K), V the forward pass's transformed input patches (`winograd4x4TransformInputs`)
// and Y the transformed output gradients (16 channels to a vector by the AVX-512 code, 8 by the
// AVX2 code, both read from a channels-last copy of ∂Y), stored tile-major (`Y[ξ][t][k]`): `winogradProducts`
// with the tiles as the channels summed over, 36 multiplications per tile and weight pair where
// the direct kernels spend 144. The sums S are kept across groups of images and turned into
// ∂w once per pass (`shears_winograd4x4_weight_gradient_finish`).
//
// Order of every sum, the same in the AVX-512 and AVX2 code and the plain C (hence the same bits):
// `gradientColumn` as written, down each column of h, then along each row; the products as
// `winogradProducts` (from the sums so far); the finish in double.

#include "CDirectConvolution.h"
#include "DirectLayout.h"
#include "WinogradLayout.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { gradientPoints = 36 };

// 4 x 4 tiles of a `height x width` map (the last row and column partly outside it).
static long tilesPerImage(int height, int width) { return (long)((height + 3) / 4) * ((width + 3) / 4); }

// Output channels rounded up to a vector: the channels-last copy's pixel stride.
static long paddedOutputs(int outputs) { return (outputs + tilesPerVector - 1) / tilesPerVector * tilesPerVector; }

size_t shears_winograd4x4_weight_scratch_count(int images, int inputs, int outputs, int height, int width) {
    long all = images * tilesPerImage(height, width);
    long copy = (long)images * height * width * paddedOutputs(outputs);
    return (size_t)(gradientPoints * (all * ((long)inputs + outputs) + 2 * pointPadding) + copy);
}

size_t shears_winograd4x4_weight_sums_count(int inputs, int outputs) {
    return (size_t)(gradientPoints * filterPointStride(inputs, outputs));
}

// A h for one column h of an output-gradient tile (or, second, one row of A h): 9 operations.
static inline void gradientColumn(const float h[4], float u[6]) {
    float even = h[0] + h[2], odd = h[1] + h[3];
    float near = fmaf(4.0f, h[2], h[0]), far = fmaf(8.0f, h[3], h[1] + h[1]);
    u[0] = h[0];
    u[1] = even + odd;
    u[2] = even - odd;
    u[3] = near + far;
    u[4] = near - far;
    u[5] = h[3];
}

// Y of every tile of `images` images of `outputs` channels (`dy`, NCHW): `y[ξ·pointStride +
// t·outputs + k]` for tile t of the group and channel k.
static void gradientTransformPortable(const float *dy, int images, int outputs, int height, int width, float *y,
                                      long pointStride) {
    int tileRows = (height + 3) / 4, tileColumns = (width + 3) / 4;
    long pixels = (long)height * width, t = 0;
    for (int image = 0; image < images; image++) {
        for (int ty = 0; ty < tileRows; ty++) {
            for (int tx = 0; tx < tileColumns; tx++, t++) {
                for (int k = 0; k < outputs; k++) {
                    const float *plane = dy + ((long)image * outputs + k) * pixels;
                    float h[4][4], w[6][4], column[4], out[6];
                    for (int a = 0; a < 4; a++) {
                        for (int b = 0; b < 4; b++) {
                            int row = 4 * ty + a, col = 4 * tx + b;
                            h[a][b] = row < height && col < width ? plane[(long)row * width + col] : 0;
                        }
                    }
                    for (int b = 0; b < 4; b++) {
                        for (int a = 0; a < 4; a++) column[a] = h[a][b];
                        gradientColumn(column, out);
                        for (int p = 0; p < 6; p++) w[p][b] = out[p];
                    }
                    for (int p = 0; p < 6; p++) {
                        gradientColumn(w[p], out);
                        for (int q = 0; q < 6; q++) y[(p * 6 + q) * pointStride + t * outputs + k] = out[q];
                    }
                }
            }
        }
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f")))

// `gradientColumn` on 16 channels.
static AVX512 inline void gradientColumnAVX512(const __m512 h[4], __m512 u[6]) {
    __m512 even = _mm512_add_ps(h[0], h[2]), odd = _mm512_add_ps(h[1], h[3]);
    __m512 near = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), h[2], h[0]);
    __m512 far = _mm512_fmadd_ps(_mm512_set1_ps(8.0f), h[3], _mm512_add_ps(h[1], h[1]));
    u[0] = h[0];
    u[1] = _mm512_add_ps(even, odd);
    u[2] = _mm512_sub_ps(even, odd);
    u[3] = _mm512_add_ps(near, far);
    u[4] = _mm512_sub_ps(near, far);
    u[5] = h[3];
}

// 16 vectors in place transposed: lane j of r[i] into lane i of r[j].
static AVX512 inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    // 128-bit lane q of r[4a + b] now holds column 4q + b of rows 4a … 4a + 3; the two shuffles
    // of 128-bit lanes gather each column's four pieces in order.
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
    }
}

// The group's output gradients channels last, `copy[(image·pixels + p)·paddedOutputs(outputs) + k]`
// (zero for k ≥ outputs), by 16 x 16 blocks transposed in registers.
static AVX512 void gradientsChannelsLast(const float *dy, int images, int outputs, long pixels, float *copy) {
    long stride = paddedOutputs(outputs);
    for (int image = 0; image < images; image++) {
        for (int k0 = 0; k0 < outputs; k0 += tilesPerVector) {
            for (long p0 = 0; p0 < pixels; p0 += tilesPerVector) {
                __mmask16 columns = firstLanes(pixels - p0);
                __m512 r[16];
                for (int k = 0; k < 16; k++) {
                    r[k] = k0 + k < outputs ? _mm512_maskz_loadu_ps(columns, dy + ((long)image * outputs + k0 + k) * pixels + p0)
                                            : _mm512_setzero_ps();
                }
                transpose16(r);
                for (int p = 0; p < 16 && p0 + p < pixels; p++) {
                    _mm512_storeu_ps(copy + ((long)image * pixels + p0 + p) * stride + k0, r[p]);
                }
            }
        }
    }
}

// `gradientTransformPortable` with 16 channels to a vector, from the channels-last copy: each
// tile's 16 values of a block of channels loaded, transformed, and stored as 36 runs of channels.
static AVX512 void gradientTransformAVX512(const float *dy, int images, int outputs, int height, int width, float *copy,
                                           float *y, long pointStride) {
    int tileRows = (height + 3) / 4, tileColumns = (width + 3) / 4;
    long pixels = (long)height * width, t = 0, stride = paddedOutputs(outputs);
    gradientsChannelsLast(dy, images, outputs, pixels, copy);
    for (int image = 0; image < images; image++) {
        for (int ty = 0; ty < tileRows; ty++) {
            for (int tx = 0; tx < tileColumns; tx++, t++) {
                for (int k0 = 0; k0 < outputs; k0 += tilesPerVector) {
                    __mmask16 lanes = firstLanes(outputs - k0);
                    const float *first = copy + (long)image * pixels * stride + k0;
                    __m512 h[4][4], w[6][4], column[4], out[6];
                    for (int a = 0; a < 4; a++) {
                        for (int b = 0; b < 4; b++) {
                            int row = 4 * ty + a, col = 4 * tx + b;
                            h[a][b] = row < height && col < width ? _mm512_loadu_ps(first + ((long)row * width + col) * stride)
                                                                  : _mm512_setzero_ps();
                        }
                    }
                    for (int b = 0; b < 4; b++) {
                        for (int a = 0; a < 4; a++) column[a] = h[a][b];
                        gradientColumnAVX512(column, out);
                        for (int p = 0; p < 6; p++) w[p][b] = out[p];
                    }
                    for (int p = 0; p < 6; p++) {
                        gradientColumnAVX512(w[p], out);
                        for (int q = 0; q < 6; q++) {
                            _mm512_mask_storeu_ps(y + (p * 6 + q) * pointStride + t * outputs + k0, lanes, out[q]);
                        }
                    }
                }
            }
        }
    }
}

#define AVX2 __attribute__((target("avx2,fma")))
enum { channelsAVX2 = 8 };

// `gradientColumn` on 8 channels.
static AVX2 inline void gradientColumnAVX2(const __m256 h[4], __m256 u[6]) {
    __m256 even = _mm256_add_ps(h[0], h[2]), odd = _mm256_add_ps(h[1], h[3]);
    __m256 near = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), h[2], h[0]);
    __m256 far = _mm256_fmadd_ps(_mm256_set1_ps(8.0f), h[3], _mm256_add_ps(h[1], h[1]));
    u[0] = h[0];
    u[1] = _mm256_add_ps(even, odd);
    u[2] = _mm256_sub_ps(even, odd);
    u[3] = _mm256_add_ps(near, far);
    u[4] = _mm256_sub_ps(near, far);
    u[5] = h[3];
}

// `gradientsChannelsLast` by 8 x 8 blocks (channels from `outputs` on: zero, up to a multiple of 8).
static AVX2 void gradientsChannelsLastAVX2(const float *dy, int images, int outputs, long pixels, float *copy) {
    long stride = paddedOutputs(outputs);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int image = 0; image < images; image++) {
        for (int k0 = 0; k0 < outputs; k0 += channelsAVX2) {
            for (long p0 = 0; p0 < pixels; p0 += channelsAVX2) {
                long left = pixels - p0;
                __m256i columns = _mm256_cmpgt_epi32(_mm256_set1_epi32(left < channelsAVX2 ? (int)left : channelsAVX2), lane);
                __m256 r[8];
                for (int k = 0; k < channelsAVX2; k++) {
                    const float *from = dy + ((long)image * outputs + k0 + k) * pixels + p0;
                    r[k] = k0 + k >= outputs ? _mm256_setzero_ps()
                           : left >= channelsAVX2 ? _mm256_loadu_ps(from) : _mm256_maskload_ps(from, columns);
                }
                transpose8(r);
                for (int p = 0; p < channelsAVX2 && p < left; p++) {
                    _mm256_storeu_ps(copy + ((long)image * pixels + p0 + p) * stride + k0, r[p]);
                }
            }
        }
    }
}

// `gradientTransformAVX512` with 8 channels to a vector. A block's stores past `outputs` land on
// the next tile's first channels, stored after them, or past the last tile in the padding.
static AVX2 void gradientTransformAVX2(const float *dy, int images, int outputs, int height, int width, float *copy, float *y,
                                       long pointStride) {
    int tileRows = (height + 3) / 4, tileColumns = (width + 3) / 4;
    long pixels = (long)height * width, t = 0, stride = paddedOutputs(outputs);
    gradientsChannelsLastAVX2(dy, images, outputs, pixels, copy);
    for (int image = 0; image < images; image++) {
        for (int ty = 0; ty < tileRows; ty++) {
            for (int tx = 0; tx < tileColumns; tx++, t++) {
                for (int k0 = 0; k0 < outputs; k0 += channelsAVX2) {
                    const float *first = copy + (long)image * pixels * stride + k0;
                    __m256 h[4][4], w[6][4], column[4], out[6];
                    for (int a = 0; a < 4; a++) {
                        for (int b = 0; b < 4; b++) {
                            int row = 4 * ty + a, col = 4 * tx + b;
                            h[a][b] = row < height && col < width ? _mm256_loadu_ps(first + ((long)row * width + col) * stride)
                                                                  : _mm256_setzero_ps();
                        }
                    }
                    for (int b = 0; b < 4; b++) {
                        for (int a = 0; a < 4; a++) column[a] = h[a][b];
                        gradientColumnAVX2(column, out);
                        for (int p = 0; p < 6; p++) w[p][b] = out[p];
                    }
                    for (int p = 0; p < 6; p++) {
                        gradientColumnAVX2(w[p], out);
                        for (int q = 0; q < 6; q++) _mm256_storeu_ps(y + (p * 6 + q) * pointStride + t * outputs + k0, out[q]);
                    }
                }
            }
        }
    }
}
#endif

void shears_winograd4x4_weight_sums(const float *x, const float *dy, int images, int inputs, int outputs, int height,
                                    int width, int kernels, float *scratch, float *sums) {
    long all = images * tilesPerImage(height, width);
    long inputStride = (long)inputs * all + pointPadding, gradientStride = all * outputs + pointPadding;
    float *v = scratch, *y = v + gradientPoints * inputStride, *copy = y + gradientPoints * gradientStride;
    VectorCode code = winogradCode(kernels);
    winograd4x4TransformInputs(x, images, inputs, height, width, code, v, inputStride);
#if defined(__x86_64__)
    if (code == avx512Code) {
        gradientTransformAVX512(dy, images, outputs, height, width, copy, y, gradientStride);
    } else if (code == avx2Code) {
        gradientTransformAVX2(dy, images, outputs, height, width, copy, y, gradientStride);
    } else {
        gradientTransformPortable(dy, images, outputs, height, width, y, gradientStride);
    }
#else
    gradientTransformPortable(dy, images, outputs, height, width, y, gradientStride);
#endif
    // S[ξ][c][k] += Σ_t V[ξ][c][t]·Y[ξ][t][k]: V as the products' filters, the tiles as their
    // channels, Y's channels as their tiles.
    winogradProducts(gradientPoints, v, inputs, (int)all, y, gradientStride, outputs, code, 1, sums,
                     filterPointStride(inputs, outputs));
}

// Gᵀ s for one column s of the sums (or, second, one row of Gᵀ S), G's rows (1/4, 0, 0),
// (−1/6, −1/6, −1/6), (−1/6, 1/6, −1/6), (1/24, 1/12, 1/6), (1/24, −1/12, 1/6), (0, 0, 1); on
// `finishLanes` filters at once, so that the compiler runs each step in vectors.
enum { finishLanes = 16 };

static inline void finishColumn(double s[6][finishLanes], double z[3][finishLanes]) {
    const double sixth = 1.0 / 6, twelfth = 1.0 / 12, twentyFourth = 1.0 / 24;
    for (int l = 0; l < finishLanes; l++) {
        double outer = s[1][l] + s[2][l], inner = s[3][l] + s[4][l];
        z[0][l] = s[0][l] * 0.25 - outer * sixth + inner * twentyFourth;
        z[1][l] = (s[2][l] - s[1][l]) * sixth + (s[3][l] - s[4][l]) * twelfth;
        z[2][l] = (inner - outer) * sixth + s[5][l];
    }
}

void shears_winograd4x4_weight_gradient_finish(const float *sums, int inputs, int outputs, float *dw) {
    long pointStride = filterPointStride(inputs, outputs);
    for (int c = 0; c < inputs; c++) {
        for (int k0 = 0; k0 < outputs; k0 += finishLanes) {
            int count = outputs - k0 < finishLanes ? outputs - k0 : finishLanes;
            // s[p][q][l]: point (p, q) of filter k0 + l's sums with channel c (a run of filters).
            double s[6][6][finishLanes], r[3][6][finishLanes], column[6][finishLanes], out[3][finishLanes];
            for (int point = 0; point < gradientPoints; point++) {
                const float *run = sums + point * pointStride + (long)c * outputs + k0;
                double *lanes = s[point / 6][point % 6];
                for (int l = 0; l < count; l++) lanes[l] = run[l];
                for (int l = count; l < finishLanes; l++) lanes[l] = 0;
            }
            for (int q = 0; q < 6; q++) {
                for (int p = 0; p < 6; p++) {
                    for (int l = 0; l < finishLanes; l++) column[p][l] = s[p][q][l];
                }
                finishColumn(column, out);
                for (int i = 0; i < 3; i++) {
                    for (int l = 0; l < finishLanes; l++) r[i][q][l] = out[i][l];
                }
            }
            for (int i = 0; i < 3; i++) {
                finishColumn(r[i], out);
                for (int l = 0; l < count; l++) {
                    float *weights = dw + ((long)(k0 + l) * inputs + c) * 9 + i * 3;
                    for (int j = 0; j < 3; j++) weights[j] += (float)out[j][l];
                }
            }
        }
    }
}
