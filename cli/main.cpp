// plumbline: the read-only Kubernetes drift auditor. Subcommands: render, diff, agent.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.h"

namespace {

constexpr const char* kUsage =
    "usage: plumbline <command> [options]\n"
    "\n"
    "commands:\n"
    "  render SOURCE... [-n NAMESPACE] [--revision REV] [-o FILE] [--policy FILE]\n"
    "                   [--hmac-key-file FILE]\n"
    "      Render manifests, Kustomize folders, Helm charts or a Git revision into a target\n"
    "      bundle (stdout unless -o).\n"
    "  diff --target PATH --live PATH [--policy FILE] [-o text|json] [-n NAMESPACE]\n"
    "                   [--hmac-key-file FILE]\n"
    "      Compare desired state (manifests or a bundle) with live objects.\n"
    "      Exit status: 0 in sync, 1 drift found, 2 error.\n"
    "  agent --targets SOURCE|BUNDLE [-n NAMESPACE] [--revision REV] [--kubeconfig FILE]\n"
    "                   [--context NAME] [--policy FILE] [--cluster-name NAME]\n"
    "                   [--events-file PATH|-] [--metrics-addr HOST:PORT] [--config FILE]\n"
    "                   [--hmac-key-file FILE] [--log-level LEVEL]\n"
    "      Watch a cluster (read-only) and report drift events as JSON lines; serves\n"
    "      /healthz, /readyz and /metrics. Stops on SIGTERM.\n"
    "  version\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  // Libraries return errors as values; an exception here is a bug or std::bad_alloc.
  try {
    if (command == "render") {
      return plumbline::cli::RenderCommand(args);
    }
    if (command == "diff") {
      return plumbline::cli::DiffCommand(args);
    }
    if (command == "agent") {
      return plumbline::cli::AgentCommand(args);
    }
    if (command == "version" || command == "--version") {
      std::puts("plumbline " PLUMBLINE_VERSION);
      return 0;
    }
  } catch (const std::exception& e) {
    return plumbline::cli::Fail(std::string("internal error: ") + e.what());
  }
  std::fputs(kUsage, stderr);
  return plumbline::cli::Fail("unknown command '" + command + "'");
}
