#include <array>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/device_array.h"

namespace pgpp::kernels::cuda {

struct CudaContext::Impl {
  CudaDeviceInfo info;
  int ordinal = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  std::array<void*, kScratchSlots> scratch{};
  std::array<std::size_t, kScratchSlots> scratch_bytes{};
};

CudaContext::CudaContext(int ordinal) : impl_(std::make_unique<Impl>()) {
  impl_->info = probe_cuda_device(ordinal);
  if (!impl_->info.available) throw Error("cannot use the GPU: " + impl_->info.reason);
  impl_->ordinal = ordinal;
  check_cuda(cudaSetDevice(ordinal), "select GPU " + std::to_string(ordinal));
  check_cuda(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking), "create a stream");
  try {
    check_cublas(cublasCreate(&impl_->cublas), "create a handle");
    check_cublas(cublasSetStream(impl_->cublas, impl_->stream), "bind the handle to the stream");
  } catch (...) {
    if (impl_->cublas) cublasDestroy(impl_->cublas);
    cudaStreamDestroy(impl_->stream);
    throw;
  }
}

CudaContext::~CudaContext() {
  cudaStreamSynchronize(impl_->stream);
  for (void* p : impl_->scratch) cudaFree(p);
  cublasDestroy(impl_->cublas);
  cudaStreamDestroy(impl_->stream);
}

const CudaDeviceInfo& CudaContext::device() const { return impl_->info; }
void* CudaContext::stream() const { return impl_->stream; }
void* CudaContext::cublas() const { return impl_->cublas; }

void CudaContext::synchronize(const std::string& what) const {
  check_cuda(cudaStreamSynchronize(impl_->stream), what);
}

void* CudaContext::scratch(int slot, std::size_t bytes) {
  if (slot < 0 || slot >= kScratchSlots) throw Error("CUDA scratch slot " + std::to_string(slot) + " out of range");
  const auto s = static_cast<std::size_t>(slot);
  if (bytes > impl_->scratch_bytes[s]) {
    synchronize("scratch growth");  // earlier work may still read the old buffer
    cudaFree(impl_->scratch[s]);
    impl_->scratch[s] = nullptr;
    impl_->scratch_bytes[s] = 0;
    // Round up so a slowly growing user does not reallocate every call.
    const std::size_t rounded = (bytes + (1u << 20) - 1) & ~static_cast<std::size_t>((1u << 20) - 1);
    check_cuda(cudaMalloc(&impl_->scratch[s], rounded),
               "allocate " + std::to_string(rounded >> 20) + " MiB of scratch");
    impl_->scratch_bytes[s] = rounded;
  }
  return impl_->scratch[s];
}

namespace memory {

void* allocate(std::size_t bytes, const std::string& what) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  check_cuda(cudaMalloc(&p, bytes), "allocate " + std::to_string(bytes) + " bytes for " + what);
  return p;
}

void release(void* p) noexcept {
  if (p) cudaFree(p);
}

void upload(CudaContext& ctx, void* dst, const void* src, std::size_t bytes, const std::string& what) {
  if (bytes == 0) return;
  // A pageable source has been staged when this returns, so the caller may reuse it at once.
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, as_stream(ctx.stream())), what);
}

void download(CudaContext& ctx, void* dst, const void* src, std::size_t bytes, const std::string& what) {
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, as_stream(ctx.stream())), what);
  ctx.synchronize(what);
}

void fill_bytes(CudaContext& ctx, void* dst, int value, std::size_t bytes, const std::string& what) {
  if (bytes == 0) return;
  check_cuda(cudaMemsetAsync(dst, value, bytes, as_stream(ctx.stream())), what);
}

}  // namespace memory
}  // namespace pgpp::kernels::cuda
