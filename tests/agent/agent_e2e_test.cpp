// The agent end to end (issue 4 acceptance): kube-sim as the API server, the real kubectl as
// the actor making changes, `plumbline agent` as a separate process writing JSON lines.
#include <chrono>
#include <string>
#include <vector>

#include "cli/cli_support.h"
#include "support/agent_process.h"
#include "support/kube_sim.h"

namespace plumbline::testing {
namespace {

std::string ExampleDir(const std::string& relative) {
  return std::string(PLUMBLINE_SOURCE_DIR) + "/examples/shop/" + relative;
}

std::string Field(const Value& event, std::initializer_list<std::string_view> path) {
  const Value* v = &event;
  for (auto key : path) {
    if (v == nullptr || !v->is_object()) {
      return "";
    }
    v = v->Find(key);
  }
  return v != nullptr && v->is_string() ? v->text() : "";
}

std::string Describe(const std::vector<Value>& events) {
  std::string out;
  for (const auto& e : events) {
    out += hashing::ToJson(e) + "\n";
  }
  return out;
}

// The shop example applied the way Argo CD applies it.
struct AppFixture {
  Fixture f;
  std::string kubeconfig;

  AppFixture() {
    f.KubectlOk({"create", "namespace", "shop"});
    f.KubectlOk({"apply", "--server-side", "--field-manager=argocd-controller", "-n", "shop", "-f",
                 ExampleDir("git")});
    kubeconfig = WriteKubeconfig(f.box, f.sim.url());
  }

  std::vector<std::string> AgentArgs() const {
    return {"--targets",
            ExampleDir("git"),
            "-n",
            "shop",
            "--kubeconfig",
            kubeconfig,
            "--policy",
            ExampleDir("policy.yaml"),
            "--cluster-name",
            "e2e",
            "--hmac-key-file",
            f.box.Path("hmac.key")};
  }
};

// Runs `step`, waits for exactly one new event, checks it, then runs `revert` and expects one
// Resolved for the same resource.
struct Step {
  std::vector<std::string> change;
  std::string type;
  std::string kind;
  std::string name;
  std::string path;   // expected in changes[].path ("" = not checked)
  std::string actor;  // expected changes[].actor.manager ("" = not checked)
  std::vector<std::string> revert;
};

void RunStep(AppFixture& app, AgentProcess& agent, const Step& step) {
  const std::size_t before = agent.Events().size();
  app.f.KubectlOk(step.change);
  auto events = agent.WaitForEvents(before + 1);
  INFO("step: kubectl " << step.change.at(0) << " ...\nevents:\n" << Describe(events));
  REQUIRE(events.size() == before + 1);
  const Value& e = events.back();
  CHECK(Field(e, {"type"}) == step.type);
  CHECK(Field(e, {"resource", "kind"}) == step.kind);
  CHECK(Field(e, {"resource", "name"}) == step.name);
  CHECK(Field(e, {"cluster"}) == "e2e");
  if (!step.path.empty()) {
    bool found = false;
    bool actor_ok = step.actor.empty();
    for (const Value& c : e.Find("changes")->items()) {
      if (c.GetString("path") == step.path) {
        found = true;
        if (!step.actor.empty() && c.Find("actor") != nullptr && c.Find("actor")->is_object()) {
          actor_ok = c.Find("actor")->GetString("manager") == step.actor;
        }
      }
    }
    CHECK(found);
    CHECK(actor_ok);
  }
  if (step.revert.empty()) {
    return;
  }
  app.f.KubectlOk(step.revert);
  events = agent.WaitForEvents(before + 2);
  INFO("after revert:\n" << Describe(events));
  REQUIRE(events.size() == before + 2);
  CHECK(Field(events.back(), {"type"}) == "Resolved");
  CHECK(Field(events.back(), {"resource", "name"}) == step.name);
}

TEST_CASE("agent: an app applied by Argo CD is ready with zero drift events", "[agent][e2e]") {
  AppFixture app;
  AgentProcess agent(app.f.box, app.AgentArgs());
  REQUIRE(agent.WaitReady());
  const auto events = agent.WaitForEvents(0, std::chrono::seconds(0), std::chrono::seconds(1));
  INFO(Describe(events) << agent.Log());
  CHECK(events.empty());
  // /metrics serves the resource states.
  const auto metrics = Http(agent.port(), "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("plumbline_resources{") != std::string::npos);
  CHECK(agent.Stop() == 0);
}

TEST_CASE("agent: each kubectl change yields one event, each revert one Resolved", "[agent][e2e]") {
  AppFixture app;
  AgentProcess agent(app.f.box, app.AgentArgs());
  REQUIRE(agent.WaitReady());
  const std::string image = "registry.example.com/shop/web:1.4.2";

  RunStep(
      app, agent,
      {{"set", "image", "-n", "shop", "deployment/web", "web=registry.example.com/shop/web:9.9"},
       "Drifted",
       "Deployment",
       "web",
       "/spec/template/spec/containers/0/image",
       "kubectl-set",
       {"set", "image", "-n", "shop", "deployment/web", "web=" + image}});
  RunStep(app, agent,
          {{"set", "env", "-n", "shop", "deployment/web", "DEBUG=1"},
           "Drifted",
           "Deployment",
           "web",
           "/spec/template/spec/containers/0/env/1",
           "kubectl-set",
           {"set", "env", "-n", "shop", "deployment/web", "DEBUG-"}});
  RunStep(app, agent,
          {{"label", "-n", "shop", "service/web", "team=payments"},
           "Drifted",
           "Service",
           "web",
           "/metadata/labels/team",
           "kubectl-label",
           {"label", "-n", "shop", "service/web", "team-"}});
  RunStep(app, agent,
          {{"scale", "-n", "shop", "deployment/web", "--replicas=5"},
           "Drifted",
           "Deployment",
           "web",
           "/spec/replicas",
           "kubectl",  // kubectl scale writes through /scale as manager "kubectl"
           {"scale", "-n", "shop", "deployment/web", "--replicas=3"}});
  RunStep(app, agent,
          {{"patch", "-n", "shop", "deployment/web", "--type=merge", "-p",
            R"({"spec":{"template":{"metadata":{"annotations":{"debug/trace":"on"}}}}})"},
           "Drifted",
           "Deployment",
           "web",
           "/spec/template/metadata/annotations/debug~1trace",
           "kubectl-patch",
           {"patch", "-n", "shop", "deployment/web", "--type=json", "-p",
            R"([{"op":"remove","path":"/spec/template/metadata/annotations"}])"}});
  RunStep(app, agent,
          {{"delete", "-n", "shop", "configmap/web-config"},
           "Missing",
           "ConfigMap",
           "web-config",
           "",
           "",
           {"apply", "--server-side", "--field-manager=argocd-controller", "-n", "shop", "-f",
            ExampleDir("git/config.yaml")}});
  RunStep(app, agent,
          {{"create", "configmap", "-n", "shop", "debug-notes", "--from-literal=a=b"},
           "Orphan",
           "ConfigMap",
           "debug-notes",
           "",
           "kubectl-create",
           {"delete", "-n", "shop", "configmap/debug-notes"}});
  CHECK(agent.Stop() == 0);
}

TEST_CASE("agent: status churn and a rollout restart are not drift", "[agent][e2e]") {
  AppFixture app;
  AgentProcess agent(app.f.box, app.AgentArgs());
  REQUIRE(agent.WaitReady());
  // Status-only writes through /status at 200 per second for a second.
  const auto churn = Http(app.f.sim.port(), "POST", "/_sim/churn?rate=200");
  INFO(churn.body);
  REQUIRE(churn.status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(Http(app.f.sim.port(), "POST", "/_sim/churn?rate=0").status == 200);
  app.f.KubectlOk({"rollout", "restart", "-n", "shop", "deployment/web"});
  const auto events = agent.WaitForEvents(1);
  INFO(Describe(events));
  REQUIRE(events.size() == 1);
  CHECK(Field(events[0], {"type"}) == "Info");
  CHECK(Field(events[0], {"resource", "name"}) == "web");
  CHECK(agent.Stop() == 0);
}

}  // namespace
}  // namespace plumbline::testing
