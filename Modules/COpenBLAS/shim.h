// OpenBLAS's CBLAS (with openblas_get_config & co.) first, then netlib LAPACKE.
// `link "openblas"` comes first in the module map so that BLAS calls, and LAPACKE's own
// LAPACK calls, resolve to OpenBLAS whatever Debian's alternatives select.
#include <cblas.h>
#include <lapacke.h>
