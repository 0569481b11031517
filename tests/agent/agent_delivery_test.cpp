// The real agent delivering to a central collector through its durable spool (issue 5): the
// collector is down while the real kubectl makes changes, the agent is killed with SIGKILL with
// the events only in its spool, and restarted; the collector, back but answering 500 at first,
// receives every event, none lost after de-duplication by id.
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <simdjson.h>
#include <sys/socket.h>

#include "cli/cli_support.h"
#include "exporters/test_support.h"
#include "support/agent_process.h"
#include "support/free_port.h"
#include "support/kube_sim.h"

namespace plumbline::testing {
namespace {

std::string ExampleDir(const std::string& relative) {
  return std::string(PLUMBLINE_SOURCE_DIR) + "/examples/shop/" + relative;
}

const char* kImage = "registry.example.com/shop/web:1.4.2";

// Every event id the receiver accepted (a batch is a JSON array of CloudEvents).
std::set<std::string> AcceptedIds(const TestReceiver& receiver) {
  std::set<std::string> ids;
  simdjson::dom::parser parser;
  for (const auto& r : receiver.requests) {
    if (r.status != 200) {
      continue;
    }
    simdjson::dom::array batch;
    REQUIRE(parser.parse(r.body).get(batch) == simdjson::SUCCESS);
    for (auto e : batch) {
      std::string_view id;
      REQUIRE(e["id"].get(id) == simdjson::SUCCESS);
      ids.insert(std::string(id));
    }
  }
  return ids;
}

std::uint64_t SpooledBytes(const std::string& dir) {
  std::uint64_t total = 0;
  // One subfolder per durable sink (spool/collector/...).
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".seg") {
      total += e.file_size();
    }
  }
  return total;
}

TEST_CASE("agent + collector: SIGKILL with events in the spool loses none", "[agent][delivery]") {
  Fixture f;
  f.KubectlOk({"create", "namespace", "shop"});
  f.KubectlOk({"apply", "--server-side", "--field-manager=argocd-controller", "-n", "shop", "-f",
               ExampleDir("git")});
  const std::uint16_t collector_port =
      FreeLoopbackPort();  // nothing listens yet: the collector is down
  const std::string spool = f.box.Path("spool");
  const std::vector<std::string> args = {
      "--targets",
      ExampleDir("git"),
      "-n",
      "shop",
      "--kubeconfig",
      WriteKubeconfig(f.box, f.sim.url()),
      "--policy",
      ExampleDir("policy.yaml"),
      "--hmac-key-file",
      f.box.Path("hmac.key"),
      "--collector-url",
      "http://127.0.0.1:" + std::to_string(collector_port) + "/v1/events",
      "--spool-dir",
      spool};

  std::set<std::string> published;
  {
    AgentProcess agent(f.box, args, "first");
    REQUIRE(agent.WaitReady());
    // Three changes and their reverts: six transitions, six events.
    for (const char* image : {"nginx:1.27", "nginx:1.28", "nginx:1.29"}) {
      f.KubectlOk({"set", "image", "-n", "shop", "deployment/web", std::string("web=") + image});
      f.KubectlOk({"set", "image", "-n", "shop", "deployment/web", std::string("web=") + kImage});
    }
    const auto events = agent.WaitForEvents(6, std::chrono::seconds(20));
    REQUIRE(events.size() == 6);
    for (const auto& e : events) {
      published.insert(std::string(e.GetString("id")));
    }
    REQUIRE(published.size() == 6);
    CHECK(SpooledBytes(spool) > 6 * 500);  // six CloudEvents of over 500 bytes each
    agent.Kill();  // no Close, no final fsync: what is in the spool's files is all there is
  }

  // The collector comes back, failing twice before it accepts.
  asio::io_context io;
  TestReceiver receiver(io, collector_port);
  receiver.Script({{500, "", ""}, {503, "1", ""}});
  AgentProcess restarted(f.box, args, "second");
  const bool all = RunUntil(
      io,
      [&] {
        const auto ids = AcceptedIds(receiver);
        return std::includes(ids.begin(), ids.end(), published.begin(), published.end());
      },
      std::chrono::seconds(30));
  INFO("agent log:\n" << restarted.Log().substr(0, 20000));
  CHECK(all);
  CHECK(receiver.requests.size() >= 3);  // the 500 and the 503 were retried
  CHECK(restarted.Log().find("resuming from spool") != std::string::npos);
  // Nothing but these six: the restarted agent finds the app in sync and adds no event.
  RunFor(io, std::chrono::milliseconds(500));
  CHECK(AcceptedIds(receiver) == published);
  for (const auto& r : receiver.requests) {
    CHECK(r.Header("content-type") == "application/cloudevents-batch+json; charset=utf-8");
  }
  CHECK(restarted.Stop() == 0);
}

}  // namespace
}  // namespace plumbline::testing
