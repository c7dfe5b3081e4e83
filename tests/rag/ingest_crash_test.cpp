// kill -9 during `pgpp ingest`, then reopen: the library passes SQLite's and FTS5's integrity
// checks, holds only whole documents, every passage has its full-text row and embedding, the
// saved vector index is caught up with the stored embeddings, and running the same command
// again resumes where it stopped.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "embed/encoder.h"
#include "kernels/cpu_backend.h"
#include "rag/library.h"
#include "rag/vector_index.h"
#include "tests/common/test_models.h"
#include "tests/rag/rag_fixture.h"
#include "tests/rag/test_pdfs.h"

namespace pgpp {
namespace {

std::string read_text(const std::filesystem::path& p) {
  std::stringstream text;
  text << std::ifstream(p).rdbuf();
  return text.str();
}

// Runs `pgpp ingest FILES --library DIR --json`, stdout and stderr to `log`; returns the exit
// status.
pid_t start_ingest(const std::vector<std::string>& files, const std::string& lib_dir,
                   const std::filesystem::path& log) {
  const std::string bin = std::string(PGPP_BINARY_DIR) + "/pgpp";
  std::vector<std::string> argv{bin, "ingest"};
  argv.insert(argv.end(), files.begin(), files.end());
  for (const char* a : {"--library", lib_dir.c_str(), "--json"}) argv.emplace_back(a);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    execv(bin.c_str(), args.data());
    _exit(127);
  }
  return pid;
}

// The library holds whole documents only: SQLite's own check passes; every document has all its
// pages and passages; passages, full-text rows and embeddings agree in number.
void expect_whole(rag::Library& lib, const std::string& encoder) {
  EXPECT_EQ(
      test::count(lib, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
      0);
  // FTS5's own check: its index matches the passages table it indexes (fails with an error).
  EXPECT_NO_THROW(
      lib.db().exec("INSERT INTO passages_fts(passages_fts) VALUES('integrity-check')"));
  int64_t passages = 0;
  for (const auto& d : lib.documents()) {
    EXPECT_GT(d.passages, 0) << d.path;
    EXPECT_EQ(
        test::count(
            lib,
            ("SELECT count(*) FROM pages WHERE document_id = " + std::to_string(d.id)).c_str()),
        d.pages);
    EXPECT_EQ(
        test::count(
            lib,
            ("SELECT count(*) FROM passages WHERE document_id = " + std::to_string(d.id)).c_str()),
        d.passages);
    passages += d.passages;
  }
  EXPECT_EQ(lib.passage_count(), passages);
  EXPECT_EQ(test::count(lib, "SELECT count(*) FROM passages_fts"), passages);
  EXPECT_EQ(lib.embedding_count(encoder), passages);
}

TEST(IngestCrash, KillNineThenReopenPassesIntegrityAndIngestResumes) {
  kernels::CpuBackend cpu(1);
  embed::Encoder encoder(test::default_encoder(), cpu);
  const auto dir = test::make_temp_dir("ingest-kill");
  const auto log = dir / "log.txt";
  const std::string lib_dir = (dir / "lib").string();
  const auto lib_file = std::filesystem::path(lib_dir) / "library.db";
  const std::string a = test::test_pdf("chinese.pdf").string(),
                    b = test::test_pdf("R-data.pdf").string(),
                    c = test::test_pdf("project-history.en.pdf").string();

  // A library with one document and its saved vector index, as a user has it before the crash.
  {
    int status = 0;
    waitpid(start_ingest({a}, lib_dir, log), &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(log);
  }
  ASSERT_TRUE(std::filesystem::exists(lib_file.string() + ".vectors"));

  // Add two more; kill -9 once the first of them is stored (a log line per file when stderr is
  // not a terminal), while the last is being embedded or stored.
  const pid_t pid = start_ingest({a, b, c}, lib_dir, log);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool second_done = false;
  while (!second_done && std::chrono::steady_clock::now() < deadline) {
    second_done = read_text(log).find("[2/3 files]") != std::string::npos;
    if (!second_done) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(second_done) << "the second file was never stored\n" << read_text(log);
  ASSERT_TRUE(WIFSIGNALED(status)) << "pgpp ingest ended before the kill; status " << status << "\n"
                                   << read_text(log);

  {
    rag::Library lib(lib_file);
    expect_whole(lib, encoder.identity());
    const auto docs = lib.documents();
    ASSERT_EQ(docs.size(), 2u)
        << "the document being added when killed must be absent, not partly there";
    // The saved vector index (one document) is caught up with the stored embeddings, not trusted
    // as it is: every stored passage can be found by its vector.
    rag::VectorIndex index(lib, encoder.identity());
    EXPECT_EQ(index.size(), lib.embedding_count(encoder.identity())) << index.origin_reason();
    EXPECT_NE(index.origin(), rag::IndexOrigin::kLoaded);
  }

  // The same command again resumes: what was stored is recognised and not embedded again, the
  // rest is added, and the library ends whole with all three.
  waitpid(start_ingest({a, b, c}, lib_dir, log), &status, 0);
  const std::string out = read_text(log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  const auto json_at = out.find("{\n");
  ASSERT_NE(json_at, std::string::npos) << out;
  const auto report = nlohmann::json::parse(out.substr(json_at, out.rfind('}') - json_at + 1));
  ASSERT_EQ(report["files"].size(), 3u);
  EXPECT_EQ(report["files"][0]["status"], "unchanged");
  EXPECT_EQ(report["files"][1]["status"], "unchanged");
  EXPECT_EQ(report["files"][2]["status"], "added");
  rag::Library lib(lib_file);
  expect_whole(lib, encoder.identity());
  EXPECT_EQ(lib.documents().size(), 3u);
  rag::VectorIndex index(lib, encoder.identity());
  EXPECT_EQ(index.origin(), rag::IndexOrigin::kLoaded);  // saved by the finished ingest
  EXPECT_EQ(index.size(), lib.passage_count());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp
