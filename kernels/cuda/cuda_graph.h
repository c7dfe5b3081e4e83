#pragma once
// A recorded sequence of GPU work replayed with one launch. A decode step is some 10 kernels
// per layer; launched one by one the gaps between them cost more than the small kernels
// themselves, while a graph replay submits them all at once.
//
//   graph.capture(ctx, [&] { ...queue the step's operations on ctx... });
//   graph.replay(ctx);   // as often as wanted; inputs are read from device memory
//
// Nothing captured may allocate memory or wait for the device (run the step once before
// capturing, so scratch buffers have their size).
#include <functional>

#include "kernels/cuda/cuda_context.h"

namespace pgpp::kernels::cuda {

class CudaGraph {
 public:
  CudaGraph() = default;
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  bool ready() const { return exec_ != nullptr; }
  // Records what `work` queues on ctx's stream (it does not run); replaces an earlier recording.
  void capture(CudaContext& ctx, const std::function<void()>& work);
  void replay(CudaContext& ctx);
  void reset();

 private:
  void* graph_ = nullptr;  // cudaGraph_t
  void* exec_ = nullptr;   // cudaGraphExec_t
};

// The device's copy bandwidth in bytes per second, measured: a device-to-device copy of
// `bytes`, counting bytes read plus bytes written, median of `repeats` timed with events.
// The reference decode's achieved bandwidth is reported against.
double measure_copy_bandwidth(CudaContext& ctx, std::size_t bytes = std::size_t{1} << 30,
                              int repeats = 20);

}  // namespace pgpp::kernels::cuda
