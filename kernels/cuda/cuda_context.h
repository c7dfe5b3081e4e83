#pragma once
// One GPU as the models use it: a stream every operation runs on in order, a cuBLAS handle bound
// to it, and scratch memory that operations reuse between calls. Created once by the program
// (like CpuBackend) and passed down; nothing here is global.
//
// This header has no CUDA types, so C++ code in llm/ and embed/ can hold a context without
// nvcc. It exists only in CUDA builds (kernels/cuda/ is compiled only with the CUDA backend).
#include <cstddef>
#include <memory>
#include <string>

#include "kernels/cuda/cuda_device.h"

namespace pgpp::kernels::cuda {

class CudaContext {
 public:
  // Opens GPU `ordinal`. Throws pgpp::Error saying why when there is none or it cannot be used.
  explicit CudaContext(int ordinal = 0);
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  const CudaDeviceInfo& device() const;
  void* stream() const;  // cudaStream_t
  void* cublas() const;  // cublasHandle_t, on stream()

  // Waits for everything queued; an error of that earlier asynchronous work is raised as a
  // pgpp::Error naming `what` (the step that waited) and the CUDA error.
  void synchronize(const std::string& what) const;

  // Device memory an operation may use until its next call; grows, never shrinks. Slots keep
  // users apart that need theirs at the same time (see the kScratch* constants of each op
  // file). Growing frees the old buffer after a synchronize, so never grow inside a graph
  // capture: run the step once before capturing it.
  void* scratch(int slot, std::size_t bytes);
  static constexpr int kScratchSlots = 8;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgpp::kernels::cuda
