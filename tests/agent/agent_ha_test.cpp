// Two agent replicas with Lease leader election against kube-sim (issue 5: "optional second
// replica with Lease leader election"): one leader delivers, the standby stays quiet; a leader
// killed with SIGKILL is replaced once its Lease expires and nothing detected in between is
// lost; a leader stopped with SIGTERM releases the Lease and the standby takes over at once.
#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_support.h"
#include "support/agent_process.h"
#include "support/kube_sim.h"

namespace plumbline::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string ExampleDir(const std::string& relative) {
  return std::string(PLUMBLINE_SOURCE_DIR) + "/examples/shop/" + relative;
}

const char* kImage = "registry.example.com/shop/web:1.4.2";

std::string WriteConfig(const CliSandbox& box, const std::string& identity,
                        const std::string& lease_duration, const std::string& renew_deadline) {
  const std::string path = box.Path(identity + ".yaml");
  std::ofstream out(path);
  out << "leaderElection:\n  enabled: true\n  leaseName: plumbline-test\n"
      << "  leaseNamespace: default\n  identity: " << identity
      << "\n  leaseDuration: " << lease_duration << "\n  renewDeadline: " << renew_deadline
      << "\n  retryPeriod: 300ms\n";
  return path;
}

std::vector<std::string> AgentArgs(const CliSandbox& box, const std::string& kubeconfig,
                                   const std::string& config) {
  return {"--targets",       ExampleDir("git"),    "-n",       "shop",
          "--kubeconfig",    kubeconfig,           "--policy", ExampleDir("policy.yaml"),
          "--hmac-key-file", box.Path("hmac.key"), "--config", config};
}

void ApplyApp(Fixture& f) {
  f.KubectlOk({"create", "namespace", "shop"});
  f.KubectlOk({"apply", "--server-side", "--field-manager=argocd-controller", "-n", "shop", "-f",
               ExampleDir("git")});
}

// The Lease's holder ("" when free or absent).
std::string Holder(Fixture& f) {
  auto r = f.Kubectl(
      {"get", "lease", "-n", "default", "plumbline-test", "-o", "jsonpath={.spec.holderIdentity}"});
  return r.exit_code == 0 ? r.out : "";
}

bool WaitForHolder(Fixture& f, const std::string& who, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (Holder(f) == who) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::string Describe(const std::vector<Value>& events) {
  std::string out;
  for (const auto& e : events) {
    out += std::string(e.GetString("type")) + " " +
           std::string(e.Find("resource")->GetString("name")) +
           " id=" + std::string(e.GetString("id")) + "\n";
  }
  return out;
}

bool HasEvent(const std::vector<Value>& events, const std::string& type, const std::string& name) {
  for (const auto& e : events) {
    if (e.GetString("type") == type && e.Find("resource")->GetString("name") == name) {
      return true;
    }
  }
  return false;
}

TEST_CASE("agent HA: one leader delivers; after a SIGKILL the standby takes over, losing nothing",
          "[agent][ha]") {
  Fixture f;
  ApplyApp(f);
  const std::string kubeconfig = WriteKubeconfig(f.box, f.sim.url());
  AgentProcess a(f.box, AgentArgs(f.box, kubeconfig, WriteConfig(f.box, "agent-a", "4s", "3s")),
                 "a");
  REQUIRE(a.WaitReady());
  REQUIRE(WaitForHolder(f, "agent-a", 10s));
  AgentProcess b(f.box, AgentArgs(f.box, kubeconfig, WriteConfig(f.box, "agent-b", "4s", "3s")),
                 "b");
  REQUIRE(b.WaitReady());
  CHECK(Http(a.port(), "GET", "/metrics").body.find("plumbline_leader 1") != std::string::npos);
  CHECK(Http(b.port(), "GET", "/metrics").body.find("plumbline_leader 0") != std::string::npos);

  // The leader reports the change; the standby, which saw it too, stays quiet.
  f.KubectlOk({"set", "image", "-n", "shop", "deployment/web", "web=nginx:1.27"});
  auto a_events = a.WaitForEvents(1, 15s, 1s);
  INFO("a:\n" << Describe(a_events));
  REQUIRE(a_events.size() == 1);
  CHECK(a_events[0].GetString("type") == "Drifted");
  CHECK(b.Events().empty());

  // The leader dies without releasing; the fix is made while nobody leads.
  a.Kill();
  f.KubectlOk({"set", "image", "-n", "shop", "deployment/web", std::string("web=") + kImage});
  // The standby takes the Lease once it has looked unchanged for a lease duration (4 s), and
  // delivers what it held: the Resolved nobody reported, and the Drifted again (same id).
  const auto killed = Clock::now();
  REQUIRE(WaitForHolder(f, "agent-b", 15s));
  const auto takeover = Clock::now() - killed;
  CHECK(takeover >= 3s);  // not before the Lease expired
  auto b_events = b.WaitForEvents(2, 10s, 1s);
  INFO("b:\n" << Describe(b_events));
  CHECK(HasEvent(b_events, "Resolved", "web"));
  std::set<std::string> ids;
  for (const auto* list : {&a_events, &b_events}) {
    for (const auto& e : *list) {
      ids.insert(std::string(e.GetString("id")));
    }
  }
  CHECK(ids.size() == 2);  // Drifted and Resolved, once each after de-duplication by id
  CHECK(Http(b.port(), "GET", "/metrics").body.find("plumbline_leader 1") != std::string::npos);
  const auto lease = f.GetJson({"get", "lease", "-n", "default", "plumbline-test", "-o", "json"});
  CHECK(lease.Find("spec")->Find("leaseTransitions")->text() == "1");
  CHECK(b.Stop() == 0);
}

TEST_CASE("agent HA: a leader stopped with SIGTERM releases the Lease to the standby",
          "[agent][ha]") {
  Fixture f;
  ApplyApp(f);
  const std::string kubeconfig = WriteKubeconfig(f.box, f.sim.url());
  // A long lease: without the release, the standby would wait 30 s.
  AgentProcess a(f.box, AgentArgs(f.box, kubeconfig, WriteConfig(f.box, "agent-a", "30s", "20s")),
                 "a");
  REQUIRE(a.WaitReady());
  REQUIRE(WaitForHolder(f, "agent-a", 10s));
  AgentProcess b(f.box, AgentArgs(f.box, kubeconfig, WriteConfig(f.box, "agent-b", "30s", "20s")),
                 "b");
  REQUIRE(b.WaitReady());
  REQUIRE(a.Stop() == 0);
  INFO("a's log:\n" << a.Log().substr(0, 30000));
  CHECK(a.Log().find("released leadership") != std::string::npos);
  const auto stopped = Clock::now();
  REQUIRE(WaitForHolder(f, "agent-b", 10s));
  CHECK(Clock::now() - stopped < 10s);
  f.KubectlOk({"label", "-n", "shop", "configmap/web-config", "owner=me"});
  const auto events = b.WaitForEvents(1, 15s, 500ms);
  INFO(Describe(events));
  REQUIRE(events.size() == 1);
  CHECK(events[0].GetString("type") == "Drifted");
  CHECK(b.Stop() == 0);
}

}  // namespace
}  // namespace plumbline::testing
