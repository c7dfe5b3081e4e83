#include <cuda_runtime.h>

#include "kernels/cuda/cuda_device.h"

namespace pgpp::kernels::cuda {

bool built_with_cuda() { return true; }

CudaDeviceInfo probe_cuda_device(int ordinal) {
  CudaDeviceInfo info;
  int count = 0;
  // Without a driver this fails (cudaErrorInsufficientDriver or NoDevice); it must be asked
  // before anything creates a context or a cuBLAS handle.
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    info.reason = std::string("no usable CUDA driver or GPU (") + cudaGetErrorString(err) + ")";
    cudaGetLastError();
    return info;
  }
  if (ordinal >= count) {
    info.reason = "no CUDA GPU number " + std::to_string(ordinal) + " (found " +
                  std::to_string(count) + ")";
    return info;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, ordinal) != cudaSuccess) {
    info.reason = "cannot read the GPU's properties";
    return info;
  }
  info.available = true;
  info.name = prop.name;
  info.compute_capability = prop.major * 10 + prop.minor;
  info.memory_bytes = prop.totalGlobalMem;
  info.multiprocessors = prop.multiProcessorCount;
  return info;
}

}  // namespace pgpp::kernels::cuda
