// `pgpp ask --ephemeral` keeps its promise: run the real binary on a real PDF with the real
// models under a fresh HOME, TMPDIR and working directory, and check that all three stay empty.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "app/model_locations.h"
#include "tests/common/test_models.h"
#include "tests/rag/test_pdfs.h"

namespace pgpp {
namespace {

std::vector<std::string> everything_under(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) out.push_back(e.path().string());
  return out;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(EphemeralCli, AskWritesNoFileAnywhere) {
  test::default_decoder();
  test::default_encoder();
  const auto pdf = test::test_pdf("project-history.en.pdf");
  const auto home = test::make_temp_dir("eph-home");
  const auto tmp = test::make_temp_dir("eph-tmp");
  const auto work = test::make_temp_dir("eph-work");
  const auto outdir = test::make_temp_dir("eph-out");
  const std::string bin = std::string(PGPP_BINARY_DIR) + "/pgpp";
  // env -i: nothing of the caller's environment (XDG_* folders included) leaks in.
  const std::string cmd = "cd " + quoted(work.string()) + " && env -i PATH=/usr/bin:/bin HOME=" + quoted(home.string()) +
                          " TMPDIR=" + quoted(tmp.string()) + " PGPP_MODELS=" + quoted(app::models_dir().string()) +
                          " " + quoted(bin) + " ask --ephemeral --pdf " + quoted(pdf.string()) +
                          " -n 24 'When was the Debian project founded?' > " + quoted((outdir / "out.txt").string()) +
                          " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::stringstream out;
  out << std::ifstream(outdir / "out.txt").rdbuf();
  ASSERT_EQ(rc, 0) << cmd << "\n" << out.str();
  EXPECT_NE(out.str().find("Sources:"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("[1] project-history.en.pdf, page"), std::string::npos) << out.str();
  for (const auto& dir : {home, tmp, work}) {
    const auto files = everything_under(dir);
    EXPECT_TRUE(files.empty()) << dir << " got " << files.size() << " entries, first: " << files.front();
  }
  for (const auto& dir : {home, tmp, work, outdir}) std::filesystem::remove_all(dir);
}


// A locked PDF asked about in memory: refused with the way to give its password, then read with it.
TEST(EphemeralCli, LockedPdfNamesThePasswordOptionAndOpensWithIt) {
  test::default_encoder();
  const auto pdf = test::test_pdf("password.pdf");
  const auto outdir = test::make_temp_dir("eph-locked");
  const std::string bin = std::string(PGPP_BINARY_DIR) + "/pgpp";
  auto run = [&](const std::string& extra, std::string& out) {
    const std::string cmd = quoted(bin) + " ask --ephemeral --retrieve-only --pdf " + quoted(pdf.string()) + extra +
                            " 'What is this document about?' > " + quoted((outdir / "out.txt").string()) + " 2>&1";
    const int rc = std::system(cmd.c_str());
    std::stringstream text;
    text << std::ifstream(outdir / "out.txt").rdbuf();
    out = text.str();
    return rc;
  };
  std::string out;
  EXPECT_NE(run("", out), 0) << out;
  EXPECT_NE(out.find("password.pdf"), std::string::npos) << out;
  EXPECT_NE(out.find("password required"), std::string::npos) << out;
  EXPECT_NE(out.find("give it with --password"), std::string::npos) << out;
  ASSERT_EQ(run(" --password test", out), 0) << out;
  EXPECT_NE(out.find("[1] password.pdf, page"), std::string::npos) << out;
  std::filesystem::remove_all(outdir);
}

}  // namespace
}  // namespace pgpp
