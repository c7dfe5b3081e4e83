#include "app/cli/command_info.h"

#include <fmt/format.h>

#include <thread>

#include "kernels/cpu_features.h"
#include "kernels/cuda/cuda_device.h"
#include "kernels/device.h"

namespace pgpp::app {

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Show the CPU features and GPU this build can use");
  cmd->callback([] {
    const auto cpu = kernels::detect_cpu_features();
    fmt::print("cpu features    {}\n", cpu.describe());
    fmt::print("simd level      {} (best here: {})\n",
               kernels::simd_level_name(kernels::default_simd_level()),
               kernels::simd_level_name(cpu.best_level()));
    fmt::print("threads         {}\n", std::thread::hardware_concurrency());
    const auto gpu = kernels::cuda::probe_cuda_device();
    if (gpu.available) {
      fmt::print("gpu             {} (sm_{}, {:.1f} GiB, {} SMs)\n", gpu.name,
                 gpu.compute_capability, gpu.memory_bytes / double(1ull << 30), gpu.multiprocessors);
    } else {
      fmt::print("gpu             none: {}\n", gpu.reason);
    }
    fmt::print("--device auto   {}\n", kernels::choose_device(kernels::Device::Auto).why);
  });
}

}  // namespace pgpp::app
