#include <algorithm>
#include <vector>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/cuda_graph.h"
#include "kernels/cuda/device_array.h"

namespace pgpp::kernels::cuda {

CudaGraph::~CudaGraph() { reset(); }

void CudaGraph::reset() {
  if (exec_) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec_));
  if (graph_) cudaGraphDestroy(static_cast<cudaGraph_t>(graph_));
  exec_ = graph_ = nullptr;
}

void CudaGraph::capture(CudaContext& ctx, const std::function<void()>& work) {
  reset();
  cudaStream_t s = as_stream(ctx.stream());
  // Thread-local mode: other threads' CUDA calls (another session, a copy) are not disturbed.
  check_cuda(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), "begin capturing a graph");
  cudaGraph_t graph = nullptr;
  try {
    work();
  } catch (...) {
    cudaStreamEndCapture(s, &graph);
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    throw;
  }
  check_cuda(cudaStreamEndCapture(s, &graph), "end capturing a graph");
  graph_ = graph;
  cudaGraphExec_t exec = nullptr;
  check_cuda(cudaGraphInstantiate(&exec, graph, 0), "instantiate a graph");
  exec_ = exec;
}

void CudaGraph::replay(CudaContext& ctx) {
  if (!exec_) throw Error("CUDA graph replay: nothing was captured");
  check_cuda(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec_), as_stream(ctx.stream())), "replay a graph");
}

double measure_copy_bandwidth(CudaContext& ctx, std::size_t bytes, int repeats) {
  DeviceArray<std::byte> a(bytes, "bandwidth probe"), b(bytes, "bandwidth probe");
  cudaStream_t s = as_stream(ctx.stream());
  memory::fill_bytes(ctx, a.data(), 0x5A, bytes, "bandwidth probe");
  cudaEvent_t start, stop;
  check_cuda(cudaEventCreate(&start), "create an event");
  check_cuda(cudaEventCreate(&stop), "create an event");
  std::vector<float> ms;
  for (int i = 0; i < repeats + 2; ++i) {
    check_cuda(cudaEventRecord(start, s), "record an event");
    check_cuda(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, s), "copy for the bandwidth probe");
    check_cuda(cudaEventRecord(stop, s), "record an event");
    check_cuda(cudaEventSynchronize(stop), "bandwidth probe");
    float t = 0;
    check_cuda(cudaEventElapsedTime(&t, start, stop), "read an event");
    if (i >= 2) ms.push_back(t);  // the first two warm up
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::nth_element(ms.begin(), ms.begin() + static_cast<long>(ms.size() / 2), ms.end());
  const double median_s = ms[ms.size() / 2] / 1e3;
  return 2.0 * static_cast<double>(bytes) / median_s;
}

}  // namespace pgpp::kernels::cuda
