// cudaStream_t for the launchers' plain C++ headers: the real declaration with CUDA, a matching
// forward declaration without it (the CPU reference library builds everywhere).
#pragma once

#if defined(__CUDACC__) || __has_include(<cuda_runtime_api.h>)
#include <cuda_runtime_api.h>
#else
struct CUstream_st;
using cudaStream_t = CUstream_st*;
#endif
