/// Which code the C convolution kernels (`Sources/CDirectConvolution`) run: the fastest this CPU
/// has (AVX-512, else AVX2 + FMA, else plain C), the plain C loop, or at most AVX2 + FMA even
/// where AVX-512 code would run (what a CPU without AVX-512 runs). Every choice gives the same
/// bits: the tests compare them, on this machine, for each kernel that has the code.
enum ConvolutionKernels: Int32 {
    case fastest = 0, portable = 1, avx2 = 2
}
