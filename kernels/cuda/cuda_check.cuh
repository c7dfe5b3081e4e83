#pragma once
// Every CUDA and cuBLAS call in the backend goes through these, so a failure becomes a
// pgpp::Error that names the operation ("CUDA matmul Q4_0 4096x4096: out of memory") instead
// of a status code found later. Included by .cu files only.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "kernels/error.h"

namespace pgpp::kernels::cuda {

inline void check_cuda(cudaError_t status, const std::string& operation) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a sticky launch error so the next call reports its own
  throw Error("CUDA " + operation + ": " + cudaGetErrorString(status));
}

// After a kernel launch: configuration errors show at once, faults of the kernel itself at the
// next synchronize (CudaContext::synchronize names that operation).
inline void check_launch(const std::string& operation) { check_cuda(cudaGetLastError(), operation); }

inline void check_cublas(cublasStatus_t status, const std::string& operation) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error("cuBLAS " + operation + ": " + cublasGetStatusString(status));
}

inline cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }
inline cublasHandle_t as_cublas(void* h) { return static_cast<cublasHandle_t>(h); }

// Blocks for n items at `per_block` items each.
inline unsigned blocks_for(long long n, int per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

}  // namespace pgpp::kernels::cuda
