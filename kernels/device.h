#pragma once
// Where the models run: the user's --device choice and what it becomes on this machine.
// auto takes the GPU when this build has the CUDA backend and a usable GPU is present, else the
// CPU, with no error; cuda insists, and fails with the reason when it cannot be had.
#include <string>
#include <string_view>

namespace pgpp::kernels {

enum class Device { Auto, Cpu, Cuda };

// "auto", "cpu" or "cuda"; throws pgpp::Error naming the accepted values otherwise.
Device parse_device(std::string_view name);
std::string_view device_name(Device d);

struct DeviceChoice {
  Device device = Device::Cpu;  // Cpu or Cuda, never Auto
  std::string why;              // e.g. "cuda: NVIDIA H100 80GB HBM3" or "cpu: no CUDA GPU (...)"
};

// Resolves `requested` on this machine. Throws pgpp::Error when cuda is asked for and there is no
// usable GPU, saying why.
DeviceChoice choose_device(Device requested);

}  // namespace pgpp::kernels
