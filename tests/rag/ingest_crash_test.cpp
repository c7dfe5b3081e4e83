// kill -9 during `pgpp ingest`, then reopen: the library passes SQLite's integrity check, holds
// only whole documents, and every passage has its full-text row and embedding.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "rag/library.h"
#include "tests/common/test_models.h"
#include "tests/rag/rag_fixture.h"
#include "tests/rag/test_pdfs.h"

namespace pgpp {
namespace {

TEST(IngestCrash, KillNineThenReopenPassesIntegrity) {
  test::default_encoder();
  const auto dir = test::make_temp_dir("ingest-kill");
  const auto log = dir / "log.txt";
  const std::string bin = std::string(PGPP_BINARY_DIR) + "/pgpp";
  const std::string lib_dir = (dir / "lib").string();
  const std::string a = test::test_pdf("chinese.pdf").string(), b = test::test_pdf("R-data.pdf").string(),
                    c = test::test_pdf("project-history.en.pdf").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    execl(bin.c_str(), bin.c_str(), "ingest", a.c_str(), b.c_str(), c.c_str(), "--library", lib_dir.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Once the first file is stored (a log line per file when stderr is not a terminal), let the
  // second get under way, then kill.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool first_done = false;
  while (!first_done && std::chrono::steady_clock::now() < deadline) {
    std::stringstream text;
    text << std::ifstream(log).rdbuf();
    first_done = text.str().find("[1/3 files]") != std::string::npos;
    if (!first_done) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(first_done) << "the first file was never stored";
  ASSERT_TRUE(WIFSIGNALED(status)) << "pgpp ingest ended before the kill; status " << status;

  rag::Library lib(std::filesystem::path(lib_dir) / "library.db");
  EXPECT_EQ(test::count(lib, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"), 0);
  const auto docs = lib.documents();
  ASSERT_GE(docs.size(), 1u);
  ASSERT_LE(docs.size(), 2u);
  int64_t passages = 0;
  for (const auto& d : docs) {
    EXPECT_GT(d.passages, 0) << d.path;
    EXPECT_EQ(test::count(lib, ("SELECT count(*) FROM pages WHERE document_id = " + std::to_string(d.id)).c_str()),
              d.pages);
    passages += d.passages;
  }
  EXPECT_EQ(lib.passage_count(), passages);
  EXPECT_EQ(test::count(lib, "SELECT count(*) FROM passages_fts"), passages);
  EXPECT_EQ(test::count(lib, "SELECT count(*) FROM embeddings"), passages);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp
