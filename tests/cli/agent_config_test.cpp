// `plumbline agent` start-up checks: a bad configuration fails at once, exit 2, with a one-line
// message naming the key; nothing is contacted.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.h"

namespace {

using plumbline::testing::CliSandbox;
using plumbline::testing::ProcessResult;

ProcessResult RunAgentWithConfig(const CliSandbox& sb, const std::string& yaml,
                                 const std::vector<std::string>& extra = {},
                                 const CliSandbox::EnvOverrides& env = {}) {
  const std::string path = sb.Path("config.yaml");
  plumbline::testing::WriteFileForTest(path, yaml);
  std::vector<std::string> args = {"agent", "--config", path};
  args.insert(args.end(), extra.begin(), extra.end());
  return sb.Plumbline(args, env);
}

void ExpectConfigError(const ProcessResult& r, const std::string& fragment) {
  INFO(r.Describe());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(fragment) != std::string::npos);
  CHECK(r.err.find("plumbline: error: ") == 0);
}

}  // namespace

TEST_CASE("agent config: an unknown key is named", "[cli][agent-config]") {
  CliSandbox sb;
  ExpectConfigError(RunAgentWithConfig(sb, "cluster: a\ntargetz: {source: x}\n"),
                    "targetz: unknown key");
  ExpectConfigError(RunAgentWithConfig(sb, "targets: {source: x, polInterval: 5s}\n"),
                    "targets.polInterval: unknown key");
}

TEST_CASE("agent config: wrong types and durations are named", "[cli][agent-config]") {
  CliSandbox sb;
  ExpectConfigError(RunAgentWithConfig(sb, "targets: {source: x}\napi: {qps: fast}\n"),
                    "api.qps: must be a number");
  ExpectConfigError(RunAgentWithConfig(sb, "targets: {source: x, pollInterval: soon}\n"),
                    "targets.pollInterval");
}

TEST_CASE("agent config: leader election settings are checked", "[cli][agent-config]") {
  CliSandbox sb;
  ExpectConfigError(
      RunAgentWithConfig(sb, "targets: {source: x}\nleaderElection: {enabled: true, lease: a}\n"),
      "leaderElection.lease: unknown key");
  ExpectConfigError(RunAgentWithConfig(sb,
                                       "targets: {source: x}\nleaderElection: "
                                       "{enabled: true, leaseDuration: 5s, renewDeadline: 8s}\n"),
                    "the lease duration must exceed the renew deadline");
  ExpectConfigError(RunAgentWithConfig(sb,
                                       "targets: {source: x}\nleaderElection: "
                                       "{enabled: true, retryPeriod: later}\n"),
                    "leaderElection.retryPeriod");
}

TEST_CASE("agent config: ${ENV} substitution, and a missing variable", "[cli][agent-config]") {
  CliSandbox sb;
  ExpectConfigError(
      RunAgentWithConfig(sb,
                         "targets: {source: x}\nsinks:\n- {type: collector, url: "
                         "\"https://c/e\", bearerToken: \"${PLUMBLINE_TEST_TOKEN}\"}\n"),
      "sinks[0].bearerToken: environment variable PLUMBLINE_TEST_TOKEN is not set");
}

TEST_CASE("agent config: sinks are checked key by key", "[cli][agent-config]") {
  CliSandbox sb;
  const std::string targets = "targets: {source: " + sb.Path("missing-dir") + "}\n";
  ExpectConfigError(RunAgentWithConfig(sb, targets + "sinks:\n- {type: pager}\n"),
                    "sinks[0].type: \"pager\" is not a sink type");
  ExpectConfigError(RunAgentWithConfig(sb, targets + "sinks:\n- {type: webhook}\n"),
                    "sinks[0].url: is required");
  ExpectConfigError(
      RunAgentWithConfig(sb, targets + "sinks:\n- {type: slack, webhookUrl: \"https://h/x\", "
                                       "route: {kindz: [Deployment]}}\n"),
      "sinks[0].route.kindz: unknown key");
  ExpectConfigError(
      RunAgentWithConfig(sb, targets + "sinks:\n- {type: collector, url: \"https://c/e\"}\n"),
      "a collector needs spool.dir");
}

TEST_CASE("agent: --targets is required, and a bad source fails before any watch",
          "[cli][agent-config]") {
  CliSandbox sb;
  auto r = sb.Plumbline({"agent"});
  ExpectConfigError(r, "--targets SOURCE|BUNDLE is required");
  const std::string kubeconfig = sb.Path("kubeconfig");
  plumbline::testing::WriteFileForTest(
      kubeconfig,
      "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "
      "\"http://127.0.0.1:9\"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n"
      "current-context: c\nusers:\n- name: u\n  user: {}\n");
  plumbline::testing::WriteFileForTest(sb.Path("bad/x.yaml"), "apiVersion: v1\nkind: [\n");
  r = sb.Plumbline({"agent", "--targets", sb.Path("bad"), "--kubeconfig", kubeconfig,
                    "--metrics-addr", "127.0.0.1:0"});
  ExpectConfigError(r, "x.yaml");
}
