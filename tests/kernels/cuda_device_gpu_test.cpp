// GPU tests skip, and say why, on a machine without a usable CUDA GPU; everything else fails.
#include <gtest/gtest.h>

#include "kernels/cuda/cuda_device.h"

namespace pgpp::kernels::cuda {
namespace {

TEST(CudaDevice, ProbeNeverThrowsAndExplainsAbsence) {
  const auto info = probe_cuda_device();
  if (!info.available) {
    EXPECT_FALSE(info.reason.empty());
    GTEST_SKIP() << "no GPU here: " << info.reason;
  }
  EXPECT_FALSE(info.name.empty());
  EXPECT_GE(info.compute_capability, 50);
  EXPECT_GT(info.memory_bytes, 0u);
}

TEST(CudaDevice, AnOrdinalPastTheLastGpuIsReportedNotThrown) {
  const auto info = probe_cuda_device(1000);
  EXPECT_FALSE(info.available);
  EXPECT_FALSE(info.reason.empty());
}

}  // namespace
}  // namespace pgpp::kernels::cuda
