// The CUDA decode kernels' speed against their floor (kernels/cuda/NOTES.md, "Decode
// kernels"): the matrix-vector product's achieved weight bandwidth per type and token count
// on Llama 3.1 8B's matrix shapes, and one token's attention over long caches. Times are GPU
// times (CUDA events around a batch of launches), reported as manual time; bytes_per_second
// counts the weight (or KV) bytes a step must read. Skips, saying why, without a GPU.
#include <benchmark/benchmark.h>

#include "kernels/cuda/cuda_device.h"

#if defined(PGPP_HAVE_CUDA)
#include <cuda_runtime.h>

#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "kernels/cuda/decoder_ops.h"
#include "kernels/cuda/device_array.h"
#include "kernels/cuda/few_token_ops.h"
#include "kernels/float16.h"
#include "tests/kernels/random_weights.h"

namespace {

using namespace pgpp::kernels;
using namespace pgpp::kernels::cuda;

// One context for the whole program (a context per benchmark would time its creation).
CudaContext* context(benchmark::State& state) {
  static const CudaDeviceInfo info = probe_cuda_device();
  if (!info.available) {
    state.SkipWithError(("no GPU here: " + info.reason).c_str());
    return nullptr;
  }
  static auto ctx = std::make_unique<CudaContext>();
  return ctx.get();
}

// Runs `launch` `batch` times between two events per benchmark iteration; GPU time only.
template <class Launch>
void time_on_gpu(benchmark::State& state, CudaContext& ctx, int batch, Launch&& launch) {
  auto stream = static_cast<cudaStream_t>(ctx.stream());
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  launch();  // warm-up: scratch allocation, first-launch costs
  ctx.synchronize("warm-up");
  for (auto _ : state) {
    cudaEventRecord(start, stream);
    for (int i = 0; i < batch; ++i) launch();
    cudaEventRecord(stop, stream);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    state.SetIterationTime(ms / 1000.0 / batch);
  }
  ctx.synchronize("benchmark");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
}

// Args: type id, rows, cols, n_tokens.
void BM_Matvec(benchmark::State& state) {
  CudaContext* ctx = context(state);
  if (!ctx) return;
  const auto type = static_cast<DType>(state.range(0));
  const int64_t rows = state.range(1), cols = state.range(2), n_tokens = state.range(3);
  std::mt19937 rng(1);
  const auto w = testing::random_weight_rows(type, rows, cols, rng);
  const auto x = testing::random_floats(static_cast<std::size_t>(n_tokens * cols), rng);
  const auto dw = DeviceArray<uint8_t>::from(*ctx, std::span<const uint8_t>(w), "weights");
  const auto dx = DeviceArray<float>::from(*ctx, std::span<const float>(x), "x");
  DeviceArray<float> dy(static_cast<std::size_t>(n_tokens * rows), "y");
  const DeviceMatrix m{type, cols, rows, dw.data(), row_bytes(type, cols)};
  time_on_gpu(state, *ctx, 20, [&] { matmul_matvec(*ctx, m, dx.data(), n_tokens, dy.data()); });
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
  state.SetLabel(std::string(dtype_name(type)));
}

void matvec_shapes(benchmark::internal::Benchmark* b) {
  for (DType t : {DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::Q8_0, DType::F16}) {
    // Llama 3.1 8B: attention q/o, ffn gate/up, ffn down, the output head.
    for (auto [rows, cols] :
         {std::pair<int64_t, int64_t>{4096, 4096}, {14336, 4096}, {4096, 14336}, {128256, 4096}}) {
      if (t == DType::F16 && rows > 14336) continue;  // 1 GB of random halves: slow to make
      for (int64_t n : {1, 8}) b->Args({static_cast<int64_t>(t), rows, cols, n});
    }
  }
}
BENCHMARK(BM_Matvec)->Apply(matvec_shapes)->UseManualTime()->Unit(benchmark::kMicrosecond);

// Args: length, n_heads, n_kv_heads, head_dim. The cache holds 32k positions.
void BM_AttentionDecode(benchmark::State& state) {
  CudaContext* ctx = context(state);
  if (!ctx) return;
  const int64_t length = state.range(0), nh = state.range(1), nkv = state.range(2),
                hd = state.range(3);
  const int64_t capacity = 32768, row_stride = nkv * hd;
  std::vector<uint16_t> kv(static_cast<std::size_t>(capacity * row_stride));
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (auto& h : kv) h = fp32_to_fp16(dist(rng));
  const auto q = testing::random_floats(static_cast<std::size_t>(nh * hd), rng);
  const auto dk = DeviceArray<uint16_t>::from(*ctx, std::span<const uint16_t>(kv), "k");
  const auto dv = DeviceArray<uint16_t>::from(*ctx, std::span<const uint16_t>(kv), "v");
  const auto dq = DeviceArray<float>::from(*ctx, std::span<const float>(q), "q");
  const std::vector<int32_t> pos = {static_cast<int32_t>(length - 1)};
  const auto dpos = DeviceArray<int32_t>::from(*ctx, std::span<const int32_t>(pos), "positions");
  DeviceArray<float> dout(static_cast<std::size_t>(nh * hd), "out");
  const AttentionShape shape{nh, nkv, hd};
  time_on_gpu(state, *ctx, 20, [&] {
    kv_attention_decode(*ctx, shape, dq.data(), dpos.data(), capacity, dk.data(), dv.data(),
                        row_stride, 0.088f, dout.data());
  });
  state.SetBytesProcessed(state.iterations() * length * row_stride * 2 * 2);  // K and V halves
}
BENCHMARK(BM_AttentionDecode)
    ->ArgsProduct({{1, 1024, 8192, 32768}, {32}, {8}, {128}})
    ->Args({8192, 32, 32, 128})
    ->Args({8192, 32, 8, 64})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_Argmax(benchmark::State& state) {
  CudaContext* ctx = context(state);
  if (!ctx) return;
  std::mt19937 rng(3);
  const auto x = testing::random_floats(static_cast<std::size_t>(state.range(0)), rng);
  const auto dx = DeviceArray<float>::from(*ctx, std::span<const float>(x), "logits");
  DeviceArray<int32_t> dout(1, "argmax");
  time_on_gpu(state, *ctx, 20, [&] { argmax(*ctx, dx.data(), state.range(0), dout.data()); });
  state.SetBytesProcessed(state.iterations() * state.range(0) * 4);
}
BENCHMARK(BM_Argmax)->Arg(128256)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

#else

namespace {
void BM_CudaDecode(benchmark::State& state) {
  state.SkipWithError("built without CUDA");
}
BENCHMARK(BM_CudaDecode);
}  // namespace

#endif

BENCHMARK_MAIN();
