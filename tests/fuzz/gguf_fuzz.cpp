#include "kernels/error.h"
#include "kernels/gguf_file.h"
#include "tests/fuzz/memory_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  MemoryFile file(data, size);
  try {
    const pgpp::kernels::GgufFile gguf(file.path());
    // Touch what a model loader touches: every tensor's first and last byte.
    volatile std::byte sink{};
    for (const auto& t : gguf.tensors()) {
      if (t.nbytes) sink = t.data[0] ^ t.data[t.nbytes - 1];
    }
    for (const auto& [key, value] : gguf.metadata()) (void)pgpp::kernels::to_display_string(value);
  } catch (const pgpp::Error&) {
  }
  return 0;
}
