// The CPU-only build's answer to "is there a GPU?".
#include "kernels/cuda/cuda_device.h"

namespace pgpp::kernels::cuda {

bool built_with_cuda() { return false; }

CudaDeviceInfo probe_cuda_device(int) {
  CudaDeviceInfo info;
  info.reason = "this build has no CUDA backend (configured without nvcc or with PGPP_CUDA=OFF)";
  return info;
}

}  // namespace pgpp::kernels::cuda
