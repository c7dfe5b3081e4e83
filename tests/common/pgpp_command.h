#pragma once
// Runs the built `pgpp` binary as a person would from a shell and captures what it prints.
// Header-only: PGPP_BINARY_DIR is defined for each test program, not for the common library.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace pgpp::test {

struct PgppResult {
  int status;          // the exit status
  std::string output;  // stdout and stderr together
};

// `args` go to the shell as written (quote them); `stdin_text` is what the command reads
// (nothing by default, so an interactive command never waits on the terminal).
inline PgppResult run_pgpp(const std::string& args, const std::string& stdin_text = "") {
  std::string cmd = std::string(PGPP_BINARY_DIR) + "/pgpp " + args + " 2>&1";
  cmd = stdin_text.empty() ? cmd + " < /dev/null" : "printf '%s' '" + stdin_text + "' | " + cmd;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (p && fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = p ? pclose(p) : -1;
  return {WEXITSTATUS(status), out};
}

}  // namespace pgpp::test
