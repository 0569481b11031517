// The agent under API server faults (issue 4 acceptance): dropped watches, a 410 storm, 429 and
// 503 with Retry-After, a kube-sim restart with a fresh history, and TLS with a bearer token.
// In each, a change made with the real kubectl must yield exactly one event and no duplicates.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "cli/cli_support.h"
#include "support/agent_process.h"
#include "support/free_port.h"
#include "support/kube_sim.h"

namespace plumbline::testing {
namespace {

std::string ExampleDir(const std::string& relative) {
  return std::string(PLUMBLINE_SOURCE_DIR) + "/examples/shop/" + relative;
}

const char* kImage = "registry.example.com/shop/web:1.4.2";

std::string Describe(const std::vector<Value>& events) {
  std::string out;
  for (const auto& e : events) {
    const Value* r = e.Find("resource");
    out += std::string(e.GetString("type")) + " " + std::string(r->GetString("kind")) + "/" +
           std::string(r->GetString("name")) +
           " rv=" + std::string(r->GetString("resourceVersion")) +
           " id=" + std::string(e.GetString("id")) + "\n";
  }
  return out;
}

// No event id twice (a restarted watch or relist must not repeat a transition).
void CheckUniqueIds(const std::vector<Value>& events) {
  std::set<std::string> ids;
  for (const auto& e : events) {
    CHECK(ids.insert(std::string(e.GetString("id"))).second);
  }
}

std::vector<std::string> AgentArgs(const CliSandbox& box, const std::string& kubeconfig) {
  return {"--targets",       ExampleDir("git"),    "-n",          "shop",
          "--kubeconfig",    kubeconfig,           "--policy",    ExampleDir("policy.yaml"),
          "--hmac-key-file", box.Path("hmac.key"), "--log-level", "debug"};
}

void ApplyApp(Fixture& f, const std::vector<std::string>& connection = {}) {
  auto args = connection;
  args.insert(args.end(), {"create", "namespace", "shop"});
  f.KubectlOk(args);
  args = connection;
  args.insert(args.end(), {"apply", "--server-side", "--field-manager=argocd-controller", "-n",
                           "shop", "-f", ExampleDir("git")});
  f.KubectlOk(args);
}

// Sets the web image and expects exactly one Drifted for it; then back, one Resolved.
void ImageRoundTrip(Fixture& f, AgentProcess& agent, const std::string& image,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20),
                    const std::vector<std::string>& connection = {}) {
  const std::size_t before = agent.Events().size();
  auto args = connection;
  args.insert(args.end(), {"set", "image", "-n", "shop", "deployment/web", "web=" + image});
  f.KubectlOk(args);
  auto events = agent.WaitForEvents(before + 1, timeout);
  INFO(Describe(events) << agent.Log().substr(0, 20000));
  REQUIRE(events.size() == before + 1);
  CHECK(events.back().GetString("type") == "Drifted");
  args = connection;
  args.insert(args.end(),
              {"set", "image", "-n", "shop", "deployment/web", std::string("web=") + kImage});
  f.KubectlOk(args);
  events = agent.WaitForEvents(before + 2, timeout);
  INFO(Describe(events));
  REQUIRE(events.size() == before + 2);
  CHECK(events.back().GetString("type") == "Resolved");
  CheckUniqueIds(events);
}

TEST_CASE("agent: dropped watches and a 410 storm lose and repeat nothing", "[agent][faults]") {
  Fixture f;
  ApplyApp(f);
  AgentProcess agent(f.box, AgentArgs(f.box, WriteKubeconfig(f.box, f.sim.url())));
  REQUIRE(agent.WaitReady());
  REQUIRE(Http(f.sim.port(), "POST", "/_sim/drop-watches").status == 200);
  ImageRoundTrip(f, agent, "registry.example.com/shop/web:2.0");
  // Compaction: every watch is dropped and resumes with 410, so the agent relists.
  for (int i = 0; i < 3; ++i) {
    REQUIRE(Http(f.sim.port(), "POST", "/_sim/compact").status == 200);
  }
  ImageRoundTrip(f, agent, "registry.example.com/shop/web:2.1");
  // A change that lands while the watches are down is found by the relist, once.
  const std::size_t before = agent.Events().size();
  REQUIRE(Http(f.sim.port(), "POST", "/_sim/stall-watches?on=true").status == 200);
  f.KubectlOk({"label", "-n", "shop", "configmap/web-config", "owner=me"});
  REQUIRE(Http(f.sim.port(), "POST", "/_sim/compact").status == 200);
  REQUIRE(Http(f.sim.port(), "POST", "/_sim/stall-watches?on=false").status == 200);
  const auto events =
      agent.WaitForEvents(before + 1, std::chrono::seconds(20), std::chrono::seconds(1));
  INFO(Describe(events));
  REQUIRE(events.size() == before + 1);
  CHECK(events.back().GetString("type") == "Drifted");
  CHECK(events.back().Find("resource")->GetString("name") == "web-config");
  CheckUniqueIds(events);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("agent: 429 and 503 with Retry-After are waited out", "[agent][faults]") {
  Fixture f;
  ApplyApp(f);
  AgentProcess agent(f.box, AgentArgs(f.box, WriteKubeconfig(f.box, f.sim.url())));
  REQUIRE(agent.WaitReady());
  for (const char* fault : {"/_sim/fault?status=429&retryAfter=1&form=status&count=6",
                            "/_sim/fault?status=503&retryAfter=1&form=text&count=6"}) {
    INFO(fault);
    REQUIRE(Http(f.sim.port(), "POST", fault).status == 200);
    REQUIRE(Http(f.sim.port(), "POST", "/_sim/drop-watches").status == 200);
    ImageRoundTrip(f, agent, "registry.example.com/shop/web:3.0", std::chrono::seconds(30));
    REQUIRE(Http(f.sim.port(), "POST", "/_sim/fault?clear=true").status == 200);
  }
  const auto log = agent.Log();
  CHECK(log.find("429") != std::string::npos);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("agent: a kube-sim restart with a fresh history", "[agent][faults]") {
  CliSandbox state_dir;
  const std::string state = state_dir.Path("state.json");
  const std::string listen = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  auto sim =
      std::make_unique<Fixture>(std::vector<std::string>{"--listen", listen, "--state", state});
  REQUIRE(sim->sim.url() == "http://" + listen);
  ApplyApp(*sim);
  CliSandbox box;
  AgentProcess agent(box, AgentArgs(box, WriteKubeconfig(box, sim->sim.url())));
  REQUIRE(agent.WaitReady());
  REQUIRE(sim->sim.Stop());
  sim = std::make_unique<Fixture>(std::vector<std::string>{"--listen", listen, "--state", state});
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ImageRoundTrip(*sim, agent, "registry.example.com/shop/web:4.0", std::chrono::seconds(40));
  CHECK(agent.Stop() == 0);
}

TEST_CASE("agent: TLS with the cluster CA and a bearer token", "[agent][faults]") {
  if (FindProgramForTest("openssl").empty()) {
    WARN("openssl CLI absent: TLS test skipped");
    return;
  }
  CliSandbox keys;
  auto gen = keys.Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                       keys.Path("key.pem"), "-out", keys.Path("cert.pem"), "-days", "1", "-subj",
                       "/CN=kube-sim", "-addext", "subjectAltName=IP:127.0.0.1"});
  INFO(gen.Describe());
  REQUIRE(gen.exit_code == 0);
  Fixture f({"--tls-cert", keys.Path("cert.pem"), "--tls-key", keys.Path("key.pem"), "--token",
             "s3cret"});
  const std::string kubeconfig = f.box.Path("kubeconfig-tls");
  WriteFileForTest(kubeconfig,
                   "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n"
                   "    server: " +
                       f.sim.url() + "\n    certificate-authority: " + keys.Path("cert.pem") +
                       "\nusers:\n- name: u\n  user:\n    token: s3cret\n"
                       "contexts:\n- name: sim\n  context:\n    cluster: sim\n"
                       "    user: u\ncurrent-context: sim\n");
  // Fixture::Kubectl adds --server itself unless told "none"; the kubeconfig has it here.
  auto kubectl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--kubeconfig", kubeconfig});
    auto r = f.Kubectl(args, "none");
    INFO(r.Describe());
    REQUIRE(r.exit_code == 0);
  };
  kubectl({"create", "namespace", "shop"});
  kubectl({"apply", "--server-side", "--field-manager=argocd-controller", "-n", "shop", "-f",
           ExampleDir("git")});
  AgentProcess agent(f.box, AgentArgs(f.box, kubeconfig));
  REQUIRE(agent.WaitReady());
  CHECK(agent.Events().empty());
  kubectl({"set", "image", "-n", "shop", "deployment/web", "web=registry.example.com/shop/web:5"});
  const auto events = agent.WaitForEvents(1);
  INFO(Describe(events));
  REQUIRE(events.size() == 1);
  CHECK(events[0].GetString("type") == "Drifted");
  CHECK(agent.Stop() == 0);
}

}  // namespace
}  // namespace plumbline::testing
