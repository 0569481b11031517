// Running the tools a render needs (kubectl kustomize, helm template, git). argv is passed to
// execvp directly, never through a shell. Blocking; call from the thread that renders.
#pragma once

#include <string>
#include <vector>

#include "plumbline/common/result.h"

namespace plumbline::render {

struct ProcessOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) in `cwd` (empty: current), with `input` on stdin. Errors only
// when the program cannot be started (kUnavailable when it is not installed); a non-zero exit is
// reported in exit_code. Output beyond `max_output` bytes is an error (kLimitExceeded).
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv, const std::string& cwd = "",
                                 const std::string& input = "",
                                 std::size_t max_output = 512u << 20);

// Like RunProcess, but a non-zero exit becomes an error quoting the last line of stderr.
Result<std::string> RunChecked(const std::vector<std::string>& argv, const std::string& cwd = "");

// Finds a program in PATH; empty when absent.
std::string FindProgram(const std::string& name);

}  // namespace plumbline::render
