#include "tests/common/test_models.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>

#include "app/model_locations.h"

namespace pgpp::test {

namespace {
std::filesystem::path require(const std::filesystem::path& p, const char* what) {
  if (!std::filesystem::exists(p)) {
    ADD_FAILURE() << "The default " << what << " is missing at " << p
                  << ". Run packaging/setup.sh (or set PGPP_MODELS) before the tests.";
  }
  return p;
}
}  // namespace

std::filesystem::path default_decoder() { return require(app::default_decoder_path(), "decoder"); }
std::filesystem::path default_encoder() { return require(app::default_encoder_path(), "encoder"); }

std::filesystem::path make_temp_dir(const char* tag) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("pgpp-test-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace pgpp::test
