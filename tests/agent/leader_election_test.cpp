// Leader election pieces: the Lease record, the write guard of the API client, the standby's
// event window, and two electors racing for one Lease on a real kube-sim.
#include <chrono>
#include <memory>
#include <string>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#ifndef PLUMBLINE_BIN
#define PLUMBLINE_BIN "plumbline"  // cli_support.h names it; this suite runs no plumbline
#endif

#include "plumbline/agent/api_client.h"
#include "plumbline/agent/leader_elector.h"

#include "agent/agent_test_util.h"
#include "cli/cli_support.h"
#include "standby_buffer.h"
#include "support/kube_sim.h"

namespace plumbline::testing {
namespace {

using namespace std::chrono_literals;
using agent::LeaseRecord;

TEST_CASE("Lease records round-trip through the JSON the API server takes", "[agent][lease]") {
  LeaseRecord r;
  r.holder_identity = "agent-\"a\"";
  r.lease_duration_seconds = 15;
  r.acquire_time = "2026-12-08T01:00:00.000001Z";
  r.renew_time = "2026-12-08T01:00:02.000001Z";
  r.lease_transitions = 3;
  r.resource_version = "42";
  const std::string json = agent::LeaseJson(r, "plumbline", "ops");
  auto parsed = agent::ParseLease(json);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == r);
  CHECK(json.find(R"("namespace":"ops")") != std::string::npos);

  r.resource_version.clear();  // a create carries none
  CHECK(agent::LeaseJson(r, "plumbline", "ops").find("resourceVersion") == std::string::npos);

  CHECK_FALSE(agent::ParseLease("{").has_value());
  CHECK_FALSE(
      agent::ParseLease(R"({"kind":"ConfigMap","metadata":{"resourceVersion":"1"}})").has_value());
  CHECK_FALSE(agent::ParseLease(R"({"kind":"Lease","metadata":{}})").has_value());
  // A Lease nobody has held yet: an empty spec.
  auto empty = agent::ParseLease(R"({"kind":"Lease","metadata":{"resourceVersion":"7"}})");
  REQUIRE(empty.has_value());
  CHECK(empty->holder_identity.empty());
}

TEST_CASE("leader election settings are checked as client-go checks them", "[agent][lease]") {
  agent::LeaderElectionOptions o;
  CHECK(agent::ValidateLeaderElection(o).ok());
  o.renew_deadline = o.lease_duration;
  CHECK_FALSE(agent::ValidateLeaderElection(o).ok());
  o = {};
  o.retry_period = o.renew_deadline;
  CHECK_FALSE(agent::ValidateLeaderElection(o).ok());
  o = {};
  o.lease_name.clear();
  CHECK_FALSE(agent::ValidateLeaderElection(o).ok());
  CHECK(agent::DefaultIdentity().size() > 9);
  CHECK(agent::DefaultIdentity() != agent::DefaultIdentity());
}

TEST_CASE("the API client writes Leases and nothing else", "[agent][lease]") {
  CHECK(agent::IsLeaseTarget("POST", "/apis/coordination.k8s.io/v1/namespaces/ops/leases"));
  CHECK(agent::IsLeaseTarget("PUT", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/p"));
  CHECK_FALSE(
      agent::IsLeaseTarget("DELETE", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/p"));
  CHECK_FALSE(
      agent::IsLeaseTarget("PATCH", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/p"));
  CHECK_FALSE(agent::IsLeaseTarget("PUT", "/apis/coordination.k8s.io/v1/namespaces/ops/leases"));
  CHECK_FALSE(agent::IsLeaseTarget("POST", "/apis/coordination.k8s.io/v1/namespaces//leases"));
  CHECK_FALSE(agent::IsLeaseTarget("PUT", "/apis/apps/v1/namespaces/ops/deployments/web"));
  CHECK_FALSE(
      agent::IsLeaseTarget("PUT", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/p/status"));
  CHECK_FALSE(agent::IsLeaseTarget("POST", "/apis/coordination.k8s.io/v1/namespaces/ops/leases?x"));
  CHECK_FALSE(agent::IsLeaseTarget("PUT", "/api/v1/namespaces/ops/configmaps/p"));

  // Refused before any connection: the server address does not even exist.
  asio::io_context io;
  agent::ApiClient client(io.get_executor(), ConfigFor("http://127.0.0.1:1"));
  auto r = RunCoroutine(io, client.WriteLease("PUT", "/api/v1/namespaces/ops/configmaps/p", "{}"),
                        5000ms);
  REQUIRE(r.has_value());
  REQUIRE_FALSE(r->has_value());
  CHECK(r->error().code == ErrorCode::kInvalidArgument);
  CHECK(r->error().message.find("only reads") != std::string::npos);
  CHECK(client.connections_opened() == 0);
}

TEST_CASE("a standby keeps the events of its window, oldest first", "[agent][lease]") {
  using Clock = agent::StandbyBuffer::Clock;
  agent::StandbyBuffer buffer(10s, 3);
  const auto t0 = Clock::now();
  auto event = [](std::string id) {
    auto e = std::make_shared<DriftEvent>();
    e->id = std::move(id);
    e->type = EventType::kOrphan;
    e->resource.name = e->id;  // one resource per event
    return std::shared_ptr<const DriftEvent>(std::move(e));
  };
  buffer.Hold(event("old"), t0);
  buffer.Hold(event("a"), t0 + 8s);
  buffer.Hold(event("b"), t0 + 9s);
  buffer.Hold(event("c"), t0 + 11s);  // "old" has left the window
  CHECK(buffer.held() == 3);
  buffer.Hold(event("d"), t0 + 12s);  // the capacity drops the oldest ("a")
  const auto taken = buffer.Take(t0 + 12s);
  REQUIRE(taken.size() == 3);
  CHECK(taken[0]->id == "b");
  CHECK(taken[1]->id == "c");
  CHECK(taken[2]->id == "d");
  CHECK(buffer.held() == 0);
  buffer.Hold(event("e"), t0);
  CHECK(buffer.Take(t0 + 11s).empty());  // expired by the time of the take-over
}

TEST_CASE("a new leader re-delivers the current drift of every resource", "[agent][lease]") {
  using Clock = agent::StandbyBuffer::Clock;
  agent::StandbyBuffer buffer(10s, 100);
  auto event = [](std::string id, std::string name, EventType type) {
    auto e = std::make_shared<DriftEvent>();
    e->id = std::move(id);
    e->type = type;
    e->resource.kind = "Deployment";
    e->resource.namespace_ = "shop";
    e->resource.name = std::move(name);
    return std::shared_ptr<const DriftEvent>(std::move(e));
  };
  // Long ago (outside any window): web drifted, then api drifted and was fixed.
  buffer.Track(event("web-1", "web", EventType::kDrifted));
  buffer.Track(event("api-1", "api", EventType::kDrifted));
  buffer.Track(event("api-2", "api", EventType::kResolved));
  CHECK(buffer.drifted() == 1);
  // Just now, on standby: db went missing.
  const auto now = Clock::now();
  auto missing = event("db-1", "db", EventType::kMissing);
  buffer.Track(missing);
  buffer.Hold(missing, now);
  const auto taken = buffer.Take(now + 1s);
  REQUIRE(taken.size() == 2);  // web's drift (state), db's Missing (window), db once
  CHECK(taken[0]->id == "web-1");
  CHECK(taken[1]->id == "db-1");
  // Taking does not forget the state: a later take-over delivers it again.
  CHECK(buffer.Take(now + 20s).size() == 2);
}

TEST_CASE("two electors on one Lease: exactly one leads; a stop hands over", "[agent][lease]") {
  SimProcess sim({});
  asio::io_context io;
  agent::ApiClient client_a(io.get_executor(), ConfigFor(sim.url()));
  agent::ApiClient client_b(io.get_executor(), ConfigFor(sim.url()));
  agent::LeaderElectionOptions options;
  options.lease_name = "race";
  options.lease_namespace = "default";
  options.lease_duration = 3s;
  options.renew_deadline = 2s;
  options.retry_period = 200ms;
  int a_changes = 0;
  int b_changes = 0;
  options.identity = "a";
  agent::LeaderElector a(client_a, options, [&](bool) { ++a_changes; });
  options.identity = "b";
  agent::LeaderElector b(client_b, options, [&](bool) { ++b_changes; });
  bool a_done = false;
  bool b_done = false;
  asio::co_spawn(io, a.Run(), [&](const std::exception_ptr&) { a_done = true; });
  asio::co_spawn(io, b.Run(), [&](const std::exception_ptr&) { b_done = true; });
  REQUIRE(RunUntil(
      io, [&] { return a.leading() || b.leading(); }, 10s));
  RunFor(io, 1500ms);  // several renew periods: still one leader, no flapping
  CHECK(a.leading() != b.leading());
  CHECK(a_changes + b_changes == 1);

  agent::LeaderElector& leader = a.leading() ? a : b;
  agent::LeaderElector& standby = a.leading() ? b : a;
  leader.Stop();  // releases: the standby takes over well before the 3 s lease would expire
  const auto stopped = std::chrono::steady_clock::now();
  REQUIRE(RunUntil(
      io, [&] { return standby.leading(); }, 10s));
  CHECK(std::chrono::steady_clock::now() - stopped < 2500ms);
  CHECK_FALSE(leader.leading());
  standby.Stop();
  REQUIRE(RunUntil(
      io, [&] { return a_done && b_done; }, 10s));
  CHECK(a_changes + b_changes == 4);  // lead, release; lead, release
}

}  // namespace
}  // namespace plumbline::testing
