// The whole flow — read a real PDF, embed it, answer a question with the default models — opens
// no socket. The real `pgpp ask --ephemeral` runs in a child that first loses the network (an
// empty network namespace where the kernel allows one) and then installs a seccomp filter that
// kills the process on socket(), socketpair() or io_uring_setup(). A namespace alone would only
// make connect() fail, which a program may survive quietly; under the filter any attempt ends
// the process with SIGSYS, so the flow passing proves it made none. The filter needs no
// privilege, so the proof never depends on where the test runs; it never skips.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/model_locations.h"
#include "tests/common/test_models.h"
#include "tests/rag/test_pdfs.h"

namespace pgpp {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "offline_cli_test: add this architecture's AUDIT_ARCH value"
#endif

// In the child, between fork and exec: only async-signal-safe calls; failures become exit codes.
enum ChildExit { kSeccompFailed = 120, kExecFailed = 121 };

// Writes `text` to a /proc file; true on success.
bool write_proc(const char* path, const char* text) {
  const int fd = ::open(path, O_WRONLY);
  if (fd < 0) return false;
  const auto n = static_cast<ssize_t>(std::strlen(text));
  const bool ok = ::write(fd, text, static_cast<size_t>(n)) == n;
  ::close(fd);
  return ok;
}

// An empty network namespace: directly when privileged, else inside a new user namespace
// (unprivileged, where the kernel allows it). Returns what was done, for the test's log.
const char* leave_network(char* uid_map, char* gid_map) {
  if (::unshare(CLONE_NEWNET) == 0) return "network namespace";
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
    write_proc("/proc/self/setgroups", "deny");
    write_proc("/proc/self/uid_map", uid_map);
    write_proc("/proc/self/gid_map", gid_map);
    return "user+network namespace";
  }
  return "no namespace permitted (seccomp only)";
}

// Kills the process on any syscall that creates a socket, and on any foreign syscall ABI
// (x32, i386) through which socket() could be reached under another number.
bool forbid_sockets() {
  sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
#if defined(__x86_64__)
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u /* __X32_SYSCALL_BIT */, 3, 0),
#else
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 3, 0),  // keeps the jump offsets the same
#endif
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socketpair, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0;
}

struct Outcome {
  int status = 0;  // from waitpid
  std::string output;
  std::string isolation;
};

// Runs argv[0] with `env`, stdout and stderr to a file, without network and without sockets.
Outcome run_without_sockets(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, const std::filesystem::path& log) {
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  // Prepared before fork: the child must not allocate.
  char uid_map[64], gid_map[64];
  std::snprintf(uid_map, sizeof uid_map, "%u %u 1\n", ::getuid(), ::getuid());
  std::snprintf(gid_map, sizeof gid_map, "%u %u 1\n", ::getgid(), ::getgid());
  const auto note = log.string() + ".isolation";
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int note_fd = ::open(note.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(out, 0);
  EXPECT_GE(note_fd, 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const char* how = leave_network(uid_map, gid_map);
    (void)!::write(note_fd, how, std::strlen(how));
    ::close(note_fd);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    if (!forbid_sockets()) ::_exit(kSeccompFailed);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(kExecFailed);
  }
  ::close(out);
  ::close(note_fd);
  Outcome o;
  EXPECT_GT(pid, 0);
  if (pid > 0) ::waitpid(pid, &o.status, 0);
  std::stringstream text, how;
  text << std::ifstream(log).rdbuf();
  how << std::ifstream(note).rdbuf();
  o.output = text.str();
  o.isolation = how.str();
  return o;
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) +
           (WTERMSIG(status) == SIGSYS ? " (SIGSYS: it made a forbidden syscall — a socket)" : "");
  }
  if (WEXITSTATUS(status) == kSeccompFailed) return "the seccomp filter could not be installed";
  if (WEXITSTATUS(status) == kExecFailed) return "exec failed";
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

// The guard works: a process that opens a socket under it dies, so the test below can fail.
TEST(OfflineCli, GuardKillsAProcessThatOpensASocket) {
  const auto dir = test::make_temp_dir("offline-guard");
  // bash opens a TCP socket for a redirection to /dev/tcp/HOST/PORT.
  const auto o =
      run_without_sockets({"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9; echo survived"},
                          {"PATH=/usr/bin:/bin"}, dir / "log.txt");
  ASSERT_TRUE(WIFSIGNALED(o.status)) << describe(o.status) << "\n" << o.output;
  EXPECT_EQ(WTERMSIG(o.status), SIGSYS);
  EXPECT_EQ(o.output.find("survived"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(OfflineCli, IngestAndAskOpenNoSocket) {
  test::default_decoder();
  test::default_encoder();
  const auto pdf = test::test_pdf("project-history.en.pdf");
  const auto home = test::make_temp_dir("offline-home");
  const auto logs = test::make_temp_dir("offline-log");
  const std::string bin = std::string(PGPP_BINARY_DIR) + "/pgpp";
  const auto o =
      run_without_sockets({bin, "ask", "--ephemeral", "--pdf", pdf.string(), "-n", "24",
                           "When was the Debian project founded?"},
                          {"PATH=/usr/bin:/bin", "HOME=" + home.string(), "TMPDIR=" + home.string(),
                           "PGPP_MODELS=" + app::models_dir().string()},
                          logs / "out.txt");
  RecordProperty("isolation", o.isolation);
  std::cerr << "isolation: " << o.isolation << "\n";
  ASSERT_TRUE(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0) << describe(o.status) << "\n"
                                                                 << o.output;
  // The answer came with its sources: the flow really ran, it did not stop early.
  EXPECT_NE(o.output.find("Sources:"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("[1] project-history.en.pdf, page"), std::string::npos) << o.output;
  for (const auto& dir : {home, logs}) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pgpp
