#include "kernels/device.h"

#include "kernels/cuda/cuda_device.h"
#include "kernels/error.h"

namespace pgpp::kernels {

Device parse_device(std::string_view name) {
  if (name == "auto") return Device::Auto;
  if (name == "cpu") return Device::Cpu;
  if (name == "cuda" || name == "gpu") return Device::Cuda;
  throw Error("unknown device '" + std::string(name) + "' (use auto, cpu or cuda)");
}

std::string_view device_name(Device d) {
  switch (d) {
    case Device::Auto:
      return "auto";
    case Device::Cpu:
      return "cpu";
    case Device::Cuda:
      return "cuda";
  }
  return "?";
}

DeviceChoice choose_device(Device requested) {
  if (requested == Device::Cpu) return {Device::Cpu, "cpu: asked for"};
  const cuda::CudaDeviceInfo gpu = cuda::probe_cuda_device();
  if (gpu.available) return {Device::Cuda, "cuda: " + gpu.name};
  if (requested == Device::Cuda) throw Error("--device cuda: " + gpu.reason);
  return {Device::Cpu, "cpu: " + gpu.reason};
}

}  // namespace pgpp::kernels
