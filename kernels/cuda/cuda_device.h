#pragma once
// Whether a CUDA GPU can be used here. A CUDA build asks the driver at run time; a machine
// without a driver or GPU answers "none" with the reason, never an error, so the CPU backend
// takes over. A CPU-only build always answers "none".
#include <cstddef>
#include <string>

namespace pgpp::kernels::cuda {

struct CudaDeviceInfo {
  bool available = false;
  std::string reason;  // why not, when not available
  std::string name;
  int compute_capability = 0;  // e.g. 90 for H100
  std::size_t memory_bytes = 0;
  int multiprocessors = 0;
};

// Oldest GPU the CUDA backend's kernels are built for (A100).
inline constexpr int kMinComputeCapability = 80;

bool built_with_cuda();
CudaDeviceInfo probe_cuda_device(int ordinal = 0);

}  // namespace pgpp::kernels::cuda
