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
  info.name = prop.name;
  info.compute_capability = prop.major * 10 + prop.minor;
  info.memory_bytes = prop.totalGlobalMem;
  info.multiprocessors = prop.multiProcessorCount;
  // The kernels are built for sm_80 and sm_90 (with PTX that newer GPUs compile at load); an
  // older GPU would fail at the first kernel with "no kernel image", so it is not offered.
  if (info.compute_capability < kMinComputeCapability) {
    info.reason = info.name + " has compute capability " + std::to_string(prop.major) + "." +
                  std::to_string(prop.minor) + "; the CUDA backend needs 8.0 (A100) or newer";
    return info;
  }
  info.available = true;
  return info;
}

}  // namespace pgpp::kernels::cuda
