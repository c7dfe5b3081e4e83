#pragma once
// An array in GPU memory, owned: freed when the object goes. Host-side C++ (no CUDA types), so
// model code compiled by the host compiler can hold its weights and caches in these.
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_context.h"

namespace pgpp::kernels::cuda {

namespace memory {
// Each throws pgpp::Error naming `what` (e.g. "weights of blk.3.ffn_up") on failure.
void* allocate(std::size_t bytes, const std::string& what);
void release(void* p) noexcept;
// Queued on the context's stream; the host source may be reused when this returns.
void upload(CudaContext& ctx, void* dst, const void* src, std::size_t bytes, const std::string& what);
// Waits for the stream, then copies.
void download(CudaContext& ctx, void* dst, const void* src, std::size_t bytes, const std::string& what);
// Fills with the byte `value` on the stream.
void fill_bytes(CudaContext& ctx, void* dst, int value, std::size_t bytes, const std::string& what);
}  // namespace memory

template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(std::size_t n, const std::string& what)
      : data_(static_cast<T*>(memory::allocate(n * sizeof(T), what))), size_(n) {}
  ~DeviceArray() { memory::release(data_); }
  DeviceArray(DeviceArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      memory::release(data_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  // A new array holding a copy of `host`.
  static DeviceArray from(CudaContext& ctx, std::span<const T> host, const std::string& what) {
    DeviceArray a(host.size(), what);
    a.upload(ctx, host);
    return a;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return size_ * sizeof(T); }

  void upload(CudaContext& ctx, std::span<const T> host, std::size_t offset = 0) {
    memory::upload(ctx, data_ + offset, host.data(), host.size_bytes(), "copy to the GPU");
  }
  std::vector<T> download(CudaContext& ctx) const {
    std::vector<T> out(size_);
    memory::download(ctx, out.data(), data_, bytes(), "copy from the GPU");
    return out;
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace pgpp::kernels::cuda
