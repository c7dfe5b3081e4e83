#include "app/cli/device_option.h"

namespace pgpp::app {

void add_device_option(CLI::App& cmd, kernels::Device& device, const std::string& what) {
  device = kernels::Device::Auto;
  cmd.add_option_function<std::string>(
         "--device", [&device](const std::string& v) { device = kernels::parse_device(v); },
         "where " + what + " run" + (what.ends_with("s") ? "" : "s") +
             ": auto (the GPU when there is one), cpu or cuda")
      ->default_str("auto");
}

}  // namespace pgpp::app
