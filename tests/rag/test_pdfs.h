#pragma once
// The real PDFs the rag tests read, fetched by packaging/fetch-test-pdfs.sh (run by
// packaging/setup.sh). A test that needs one FAILS when it is missing; it never skips.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace pgpp::test {

inline std::filesystem::path test_pdfs_dir() {
  if (const char* d = std::getenv("PGPP_TEST_PDFS"); d && *d) return d;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::filesystem::path(x) / "pgpp/test-pdfs";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/") / ".local/share/pgpp/test-pdfs";
}

// Path of a test PDF by its name in the folder ("R-data.pdf"); adds a failure when missing.
inline std::filesystem::path test_pdf(const std::string& name) {
  const auto p = test_pdfs_dir() / name;
  if (!std::filesystem::exists(p)) {
    ADD_FAILURE() << "Test PDF " << p << " is missing. Run packaging/fetch-test-pdfs.sh "
                  << "(or packaging/setup.sh) before the tests.";
  }
  return p;
}

}  // namespace pgpp::test
