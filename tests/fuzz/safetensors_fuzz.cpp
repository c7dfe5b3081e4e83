#include "kernels/error.h"
#include "kernels/safetensors_file.h"
#include "tests/fuzz/memory_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  MemoryFile file(data, size);
  try {
    const pgpp::kernels::SafetensorsFile st(file.path());
    volatile std::byte sink{};
    for (const auto& t : st.tensors()) {
      if (t.nbytes) sink = t.data[0] ^ t.data[t.nbytes - 1];
    }
  } catch (const pgpp::Error&) {
  }
  return 0;
}
