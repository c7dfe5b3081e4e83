// The checks every GPU operation on a weight matrix makes before it launches anything
// (kernels/cuda/weight_types.h): they need no GPU, so they are verified on every machine.
// A weight the GPU cannot use must be refused with a message naming the operation, the type
// and the reason, never reach a kernel.
#include <gtest/gtest.h>

#include <string>

#include "kernels/cuda/weight_types.h"
#include "kernels/error.h"
#include "kernels/matmul.h"
#include "tests/kernels/random_weights.h"

namespace pgpp::kernels::cuda {
namespace {

std::string error_of(auto&& call) {
  try {
    call();
  } catch (const pgpp::Error& e) {
    return e.what();
  }
  return "no error";
}

void expect_mentions(const std::string& message, std::initializer_list<const char*> words) {
  for (const char* w : words) EXPECT_NE(message.find(w), std::string::npos) << message;
}

TEST(CudaWeightChecks, EveryCpuWeightTypeDispatchesToItsOwnKernel) {
  for (DType t : testing::kWeightTypes) {
    DType seen = DType::I8;
    with_weight_type(t, "matmul", [&](auto tag) { seen = decltype(tag)::value; });
    EXPECT_EQ(seen, t) << dtype_name(t);
    EXPECT_NO_THROW(check_matrix(t, 4 * dtype_traits(t).block_size, 3,
                                 row_bytes(t, 4 * dtype_traits(t).block_size), "matmul"))
        << dtype_name(t);
  }
}

TEST(CudaWeightChecks, TypesTheGpuCannotDecodeAreRefusedByName) {
  expect_mentions(error_of([] { with_weight_type(DType::Q8_1, "matmul Q8_1 4x32", [](auto) {}); }),
                  {"CUDA matmul", "Q8_1", "not supported on the GPU"});
  expect_mentions(error_of([] { check_matrix(DType::I32, 8, 2, 32, "get_rows of the embedding"); }),
                  {"CUDA get_rows of the embedding", "I32", "not supported"});
  // An id this build has no name for (IQ2_XXS is 16) still gets one, never a crash.
  expect_mentions(error_of([] { check_matrix(static_cast<DType>(16), 256, 2, 66, "matmul"); }),
                  {"CUDA matmul", "type 16"});
  expect_mentions(error_of([] { with_weight_type(static_cast<DType>(16), "matmul", [](auto) {}); }),
                  {"type 16"});
}

TEST(CudaWeightChecks, MisshapenMatricesAreRefusedWithTheirShape) {
  expect_mentions(error_of([] { check_matrix(DType::Q4_K, 100, 4, 144, "matmul"); }),
                  {"CUDA matmul", "4x100", "Q4_K", "whole blocks of 256"});
  expect_mentions(error_of([] { check_matrix(DType::Q4_0, 64, 4, 18, "matmul"); }),
                  {"CUDA matmul", "rows of 18 bytes", "take 36"});
  expect_mentions(error_of([] { check_matrix(DType::F16, 0, 4, 0, "matmul"); }),
                  {"CUDA matmul", "4x0"});
  // Plain types take any row length.
  EXPECT_NO_THROW(check_matrix(DType::F32, 4097, 3, 4 * 4097, "matmul"));
}

}  // namespace
}  // namespace pgpp::kernels::cuda
