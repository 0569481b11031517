// The plumbline subcommands. Each takes its arguments (after the subcommand name) and returns
// the process exit status; errors are printed to stderr as one line.
#pragma once

#include <string>
#include <vector>

namespace plumbline::cli {

int RenderCommand(const std::vector<std::string>& args);
int DiffCommand(const std::vector<std::string>& args);
int AgentCommand(const std::vector<std::string>& args);

// Prints "plumbline: error: <message>" and returns 2.
int Fail(const std::string& message);

}  // namespace plumbline::cli
