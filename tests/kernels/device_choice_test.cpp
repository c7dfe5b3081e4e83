// --device resolution: auto falls back to the CPU quietly, cuda fails saying why, and a
// misspelt device names the accepted ones. Runs everywhere; answers differ with a GPU present.
#include <gtest/gtest.h>

#include "kernels/cuda/cuda_device.h"
#include "kernels/device.h"
#include "kernels/error.h"

namespace pgpp::kernels {
namespace {

TEST(DeviceChoice, ParsesTheThreeNamesAndRejectsOthersByName) {
  EXPECT_EQ(parse_device("auto"), Device::Auto);
  EXPECT_EQ(parse_device("cpu"), Device::Cpu);
  EXPECT_EQ(parse_device("cuda"), Device::Cuda);
  try {
    parse_device("tpu");
    FAIL() << "tpu accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'tpu'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("auto, cpu or cuda"), std::string::npos) << e.what();
  }
}

TEST(DeviceChoice, CpuIsAlwaysTheCpu) {
  EXPECT_EQ(choose_device(Device::Cpu).device, Device::Cpu);
}

TEST(DeviceChoice, AutoTakesTheGpuOnlyWhenThereIsOne) {
  const auto gpu = cuda::probe_cuda_device();
  const DeviceChoice c = choose_device(Device::Auto);
  if (gpu.available) {
    EXPECT_EQ(c.device, Device::Cuda);
    EXPECT_NE(c.why.find(gpu.name), std::string::npos) << c.why;
  } else {
    EXPECT_EQ(c.device, Device::Cpu);
    EXPECT_NE(c.why.find(gpu.reason), std::string::npos) << "the fallback must say why: " << c.why;
  }
}

TEST(DeviceChoice, CudaWithoutAGpuIsAnErrorThatSaysWhy) {
  const auto gpu = cuda::probe_cuda_device();
  if (gpu.available) {
    EXPECT_EQ(choose_device(Device::Cuda).device, Device::Cuda);
    return;
  }
  try {
    choose_device(Device::Cuda);
    FAIL() << "cuda accepted without a GPU";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(gpu.reason), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pgpp::kernels
