// Reflector against the real kube-sim, with the real kubectl making the changes: paginated LIST
// and watch-list, events after the sync, dropped watches, compaction (410), Retry-After, large
// objects, resync and stop.
#include <algorithm>
#include <chrono>
#include <string>
#include <utility>  // before Asio (asio#944)
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#ifndef PLUMBLINE_BIN
#define PLUMBLINE_BIN "plumbline"
#endif
#include "plumbline/agent/api_client.h"
#include "plumbline/agent/reflector.h"

#include "agent/agent_test_util.h"
#include "cli/cli_support.h"
#include "support/fake_api_server.h"
#include "support/kube_sim.h"
#include "support/recording_handler.h"

namespace plumbline::testing {
namespace {

using agent::ApiClient;
using agent::ApiResource;
using agent::Reflector;
using agent::ReflectorOptions;

const ApiResource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};

ReflectorOptions FastOptions(bool watch_list) {
  ReflectorOptions o;
  o.use_watch_list = watch_list;
  o.backoff.initial = std::chrono::milliseconds(50);
  o.backoff.max = std::chrono::milliseconds(200);
  o.random = [] { return 0.5; };
  return o;
}

std::string ConfigMapLine(const std::string& ns, const std::string& name,
                          const std::string& value) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","namespace":")" + ns + R"("},"data":{"v":")" + value + "\"}}\n";
}

void Load(Fixture& f, const std::string& lines) {
  auto r = Http(f.sim.port(), "POST", "/_sim/load", lines);
  INFO(r.body);
  REQUIRE(r.status == 200);
}

void Control(Fixture& f, const std::string& path) {
  auto r = Http(f.sim.port(), "POST", path);
  INFO(path << ": " << r.body);
  REQUIRE(r.status == 200);
}

// Counts what a reflector reports.
struct WatchTelemetry : Telemetry {
  void ApiRequest(std::string_view verb, std::string_view /*resource*/, int code,
                  double /*seconds*/) override {
    requests.push_back(std::string(verb) + " " + std::to_string(code));
  }
  void WatchRestarted(std::string_view resource, std::string_view reason) override {
    CHECK(resource == "/v1/configmaps");
    restarts.emplace_back(reason);
  }
  void WatchRelisted(std::string_view /*resource*/) override { ++relists; }
  void WatchBookmark(std::string_view /*resource*/, double /*unix_seconds*/) override {
    ++bookmarks;
  }
  void WatchEventReceived(std::string_view /*resource*/, double /*unix_seconds*/) override {
    ++events;
  }
  void WatchSynced(std::string_view /*resource*/, bool synced) override {
    synced_reports.push_back(synced);
  }
  int Restarts(const std::string& reason) const {
    return static_cast<int>(std::count(restarts.begin(), restarts.end(), reason));
  }
  std::vector<std::string> requests;
  std::vector<std::string> restarts;
  std::vector<bool> synced_reports;
  int relists = 0;
  int bookmarks = 0;
  int events = 0;
};

// One reflector running on its own io_context, stopped and drained at the end.
struct Running {
  asio::io_context io;
  WatchTelemetry telemetry;
  ApiClient client;
  RecordingHandler handler;
  Reflector reflector;
  bool done = false;

  Running(const std::string& url, ReflectorOptions options,
          agent::ApiClientOptions client_options = {})
      : client(io.get_executor(), ConfigFor(url), client_options, telemetry),
        reflector(client, kConfigMaps, handler, std::move(options), telemetry) {
    asio::co_spawn(io, reflector.Run(), [this](const std::exception_ptr& e) {
      CHECK(!e);
      done = true;
    });
  }
  ~Running() {
    reflector.Stop();
    RunUntil(
        io, [this] { return done; }, std::chrono::milliseconds(3000));
  }
  bool Until(const std::function<bool()>& pred,
             std::chrono::milliseconds t = std::chrono::seconds(5)) {
    return RunUntil(io, pred, t);
  }
};

TEST_CASE("Reflector syncs a paginated LIST of 1200 ConfigMaps, then sees kubectl changes",
          "[agent][reflector]") {
  Fixture f;
  f.KubectlOk({"create", "namespace", "load"});
  std::string lines;
  for (int i = 0; i < 1200; ++i) {
    lines += ConfigMapLine("load", "cm-" + std::to_string(i), std::to_string(i));
  }
  Load(f, lines);

  const bool watch_list = GENERATE(false, true);
  INFO("watch-list: " << watch_list);
  auto options = FastOptions(watch_list);
  options.namespace_ = "load";
  Running r(f.sim.url(), options);
  REQUIRE(r.Until([&] { return r.reflector.synced(); }));
  CHECK(r.handler.resyncs == 1);
  CHECK(r.handler.synced == 1);
  CHECK(r.handler.objects.size() == 1201);  // + kube-root-ca.crt
  CHECK(r.handler.snapshot_objects == 1201);
  CHECK(r.handler.events == 0);
  if (watch_list) {
    CHECK(r.reflector.stats().lists == 0);
    CHECK(r.reflector.watch_list_enabled());
  } else {
    CHECK(r.reflector.stats().lists == 3);  // 500 + 500 + 201
  }

  f.KubectlOk({"create", "configmap", "fresh", "-n", "load", "--from-literal=a=b"});
  REQUIRE(r.Until([&] { return r.handler.Count("ADDED", "load/fresh") == 1; }));
  f.KubectlOk({"patch", "configmap", "fresh", "-n", "load", "-p", R"({"data":{"a":"c"}})"});
  REQUIRE(r.Until([&] { return r.handler.Count("MODIFIED", "load/fresh") == 1; }));
  f.KubectlOk({"delete", "configmap", "cm-7", "-n", "load"});
  REQUIRE(r.Until([&] { return r.handler.Count("DELETED", "load/cm-7") == 1; }));
  CHECK(r.handler.objects.count("load/cm-7") == 0);
  CHECK(r.handler.objects.size() == 1201);
  RunFor(r.io, std::chrono::milliseconds(100));
  CHECK(r.handler.events == 3);
  CHECK(r.handler.resyncs == 1);
  // The reflector's resourceVersion follows the events.
  CHECK(r.reflector.resource_version() == r.handler.calls.back().resource_version);
}

TEST_CASE("Reflector restarts a LIST whose continue token expired", "[agent][reflector]") {
  Fixture f;
  f.KubectlOk({"create", "namespace", "load"});
  std::string lines;
  for (int i = 0; i < 1200; ++i) {
    lines += ConfigMapLine("load", "cm-" + std::to_string(i), std::to_string(i));
  }
  Load(f, lines);
  Control(f, "/_sim/latency?ms=300");
  auto options = FastOptions(false);
  options.namespace_ = "load";
  Running r(f.sim.url(), options);
  // Compact while the second page is on its way: its continue token is too old (410).
  REQUIRE(r.Until([&] { return r.reflector.stats().lists == 2; }));
  Load(f, ConfigMapLine("default", "elsewhere", "x"));  // history moves past the list's version
  Control(f, "/_sim/compact");
  Control(f, "/_sim/latency?ms=0");
  REQUIRE(r.Until([&] { return r.reflector.synced(); }));
  CHECK(r.reflector.stats().gone == 1);
  CHECK(r.reflector.stats().lists == 5);  // 2 (the second one 410) + 3
  CHECK(r.handler.resyncs == 2);
  CHECK(r.handler.synced == 1);
  CHECK(r.handler.objects.size() == 1201);
  CHECK(r.telemetry.Restarts("gone") == 1);
  CHECK(std::count(r.telemetry.requests.begin(), r.telemetry.requests.end(), "list 410") == 1);
}

TEST_CASE("Reflector reports bookmarks and events, and reconnects a silent watch",
          "[agent][reflector]") {
  Fixture f({"--bookmark-interval-ms", "100"});
  auto options = FastOptions(false);
  options.watch_idle_timeout = std::chrono::milliseconds(500);
  Running r(f.sim.url(), options);
  REQUIRE(r.Until([&] { return r.reflector.synced(); }));
  REQUIRE(r.Until([&] { return r.telemetry.bookmarks >= 2; }));
  f.KubectlOk({"create", "configmap", "a", "--from-literal=k=1"});
  REQUIRE(r.Until([&] { return r.telemetry.events == 1; }));
  // A stalled watch sends nothing, not even bookmarks: the idle timeout ends it.
  Control(f, "/_sim/stall-watches?on=true");
  REQUIRE(r.Until([&] { return r.telemetry.Restarts("network") >= 1; }));
  Control(f, "/_sim/stall-watches?on=false");
  f.KubectlOk({"create", "configmap", "b", "--from-literal=k=1"});
  REQUIRE(r.Until([&] { return r.handler.Count("ADDED", "default/b") == 1; }));
  CHECK(r.handler.Count("ADDED", "default/a") == 1);
  CHECK(r.handler.resyncs == 1);
}

TEST_CASE("Reflector with a namespace and a label selector sees only matching objects",
          "[agent][reflector]") {
  Fixture f;
  f.KubectlOk({"create", "namespace", "other"});
  f.KubectlOk({"create", "configmap", "in", "--from-literal=k=1"});
  f.KubectlOk({"label", "configmap", "in", "team=a"});
  f.KubectlOk({"create", "configmap", "out", "--from-literal=k=1"});
  f.KubectlOk({"create", "configmap", "elsewhere", "-n", "other", "--from-literal=k=1"});
  f.KubectlOk({"label", "configmap", "elsewhere", "-n", "other", "team=a"});
  auto options = FastOptions(GENERATE(false, true));
  options.namespace_ = "default";
  options.label_selector = "team in (a,b)";
  Running r(f.sim.url(), options);
  REQUIRE(r.Until([&] { return r.reflector.synced(); }));
  CHECK(r.handler.objects.size() == 1);
  CHECK(r.handler.objects.count("default/in") == 1);
  f.KubectlOk({"label", "configmap", "out", "team=b"});
  f.KubectlOk({"label", "configmap", "elsewhere", "-n", "other", "team=b", "--overwrite"});
  REQUIRE(r.Until([&] { return r.handler.objects.count("default/out") == 1; }));
  RunFor(r.io, std::chrono::milliseconds(100));
  CHECK(r.handler.objects.size() == 2);
}

TEST_CASE("Reflector resumes a dropped watch from its resourceVersion without duplicates",
          "[agent][reflector]") {
  Fixture f;
  const bool watch_list = GENERATE(false, true);
  INFO("watch-list: " << watch_list);
  Running r(f.sim.url(), FastOptions(watch_list));
  REQUIRE(r.Until([&] { return r.reflector.synced(); }));
  f.KubectlOk({"create", "configmap", "a", "--from-literal=k=1"});
  REQUIRE(r.Until([&] { return r.handler.Count("ADDED", "default/a") == 1; }));
  const auto watches = r.reflector.stats().watches;

  Control(f, "/_sim/stall-watches?on=true");
  f.KubectlOk({"create", "configmap", "b", "--from-literal=k=1"});  // queued, then dropped
  Control(f, "/_sim/drop-watches");
  Control(f, "/_sim/stall-watches?on=false");
  f.KubectlOk({"create", "configmap", "c", "--from-literal=k=1"});
  REQUIRE(r.Until([&] {
    return r.handler.Count("ADDED", "default/b") == 1 && r.handler.Count("ADDED", "default/c") == 1;
  }));
  RunFor(r.io, std::chrono::milliseconds(200));
  CHECK(r.reflector.stats().watches > watches);
  CHECK(r.handler.resyncs == 1);  // resumed, not relisted
  CHECK(r.handler.Count("ADDED", "default/a") == 1);
  CHECK(r.handler.Count("ADDED", "default/b") == 1);
  CHECK(r.handler.Count("ADDED", "default/c") == 1);
}

TEST_CASE("Reflector relists after compaction (410) with a clean snapshot and no lost objects",
          "[agent][reflector]") {
  Fixture f;
  const bool watch_list = GENERATE(false, true);
  INFO("watch-list: " << watch_list);
  f.KubectlOk({"create", "configmap", "old", "--from-literal=k=1"});
  Running r(f.sim.url(), FastOptions(watch_list));
  REQUIRE(r.Until([&] { return r.reflector.synced(); }));
  REQUIRE(r.handler.objects.count("default/old") == 1);

  // While the watch hears nothing, objects change and the history is compacted: the watch
  // resumes from a resourceVersion that is gone.
  Control(f, "/_sim/stall-watches?on=true");
  f.KubectlOk({"create", "configmap", "new", "--from-literal=k=1"});
  f.KubectlOk({"delete", "configmap", "old"});
  Control(f, "/_sim/compact");
  Control(f, "/_sim/stall-watches?on=false");
  REQUIRE(r.Until([&] { return r.handler.synced == 2; }));
  CHECK(r.reflector.stats().gone >= 1);
  CHECK(r.handler.resyncs == 2);
  CHECK(r.handler.objects.count("default/new") == 1);
  CHECK(r.handler.objects.count("default/old") == 0);
  // Nothing was delivered outside the snapshots: no spurious ADDED/DELETED events.
  CHECK(r.handler.events == 0);
  CHECK(r.telemetry.Restarts("gone") >= 1);
  CHECK(r.telemetry.relists >= 1);
  CHECK(r.telemetry.synced_reports.front() == false);
  CHECK(r.telemetry.synced_reports.back() == true);

  // And the watch works again afterwards.
  f.KubectlOk({"create", "configmap", "after", "--from-literal=k=1"});
  REQUIRE(r.Until([&] { return r.handler.Count("ADDED", "default/after") == 1; }));
  CHECK(r.handler.events == 1);
}

TEST_CASE("Reflector honours Retry-After on 429 and 503", "[agent][reflector]") {
  Fixture f;
  SECTION("429 on the first LIST, twice") {
    Control(f, "/_sim/fault?status=429&retryAfter=1&count=2");
    const auto start = std::chrono::steady_clock::now();
    Running r(f.sim.url(), FastOptions(false));
    REQUIRE(r.Until([&] { return r.reflector.synced(); }, std::chrono::seconds(6)));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(1900));
    CHECK(r.reflector.stats().retry_after_waits == 2);
    CHECK(r.reflector.stats().last_wait == std::chrono::milliseconds(1000));
  }
  SECTION("503 when the watch reconnects") {
    Running r(f.sim.url(), FastOptions(true));
    REQUIRE(r.Until([&] { return r.reflector.synced(); }));
    f.KubectlOk({"create", "configmap", "a", "--from-literal=k=1"});
    REQUIRE(r.Until([&] { return r.handler.Count("ADDED", "default/a") == 1; }));
    Control(f, "/_sim/fault?status=503&retryAfter=1&count=1&form=text");
    Control(f, "/_sim/drop-watches");
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(r.Until([&] { return r.reflector.stats().retry_after_waits == 1; }));
    f.KubectlOk({"create", "configmap", "b", "--from-literal=k=1"});
    REQUIRE(r.Until([&] { return r.handler.Count("ADDED", "default/b") == 1; }));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
    CHECK(r.reflector.stats().last_wait == std::chrono::milliseconds(1000));
    CHECK(r.handler.resyncs == 1);
    CHECK(r.handler.Count("ADDED", "default/a") == 1);
  }
}

TEST_CASE("Reflector delivers an object over 1 MB from the watch and the list",
          "[agent][reflector]") {
  Fixture f;
  Running r(f.sim.url(), FastOptions(false));
  REQUIRE(r.Until([&] { return r.reflector.synced(); }));
  const std::string big(1536 * 1024, 'x');
  Load(f, ConfigMapLine("default", "big", big));
  REQUIRE(r.Until([&] { return r.handler.Count("ADDED", "default/big") == 1; }));
  CHECK(r.handler.largest_object_bytes > big.size());
  // A relist carries it too.
  r.reflector.RequestResync();
  REQUIRE(r.Until([&] { return r.handler.synced == 2; }));
  CHECK(r.handler.objects.count("default/big") == 1);
  CHECK(r.handler.resyncs == 2);
}

TEST_CASE("Reflector RequestResync delivers a fresh snapshot and Stop ends Run",
          "[agent][reflector]") {
  Fixture f;
  f.KubectlOk({"create", "configmap", "a", "--from-literal=k=1"});
  auto r = std::make_unique<Running>(f.sim.url(), FastOptions(true));
  REQUIRE(r->Until([&] { return r->reflector.synced(); }));
  const auto before = r->handler.snapshot_objects;
  r->reflector.RequestResync();
  REQUIRE(r->Until([&] { return r->handler.synced == 2; }));
  CHECK(r->handler.resyncs == 2);
  CHECK(r->handler.snapshot_objects == 2 * before);
  CHECK(r->handler.events == 0);
  r->reflector.Stop();
  CHECK(r->Until([&] { return r->done; }, std::chrono::seconds(2)));
  CHECK_FALSE(r->reflector.running());
}

std::string CmJson(const std::string& name, int rv) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"default","resourceVersion":")" +
         std::to_string(rv) + R"("},"data":{"k":"v"}})";
}

// A server without watch-list: LIST pages and plain watches; the watch's event is split across
// chunks (and TCP writes) mid-JSON.
FakeApiServer::Script OldServer(const std::string& target, const std::string& watch_list_answer) {
  if (target.find("sendInitialEvents=true") != std::string::npos) {
    if (watch_list_answer == "422") {
      return {FakeApiServer::Response(
          422, R"({"kind":"Status","code":422,"message":"sendInitialEvents is forbidden"})")};
    }
    // An old server ignores the parameters: current objects as ADDED, then plain bookmarks.
    return {
        FakeApiServer::ChunkedHead(),
        FakeApiServer::Chunk(R"({"type":"ADDED","object":)" + CmJson("a", 10) + "}\n"),
        FakeApiServer::Chunk(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"10"}}})"
                             "\n"),
        FakeApiServer::LastChunk()};
  }
  if (target.find("watch=true") != std::string::npos) {
    const std::string event = R"({"type":"ADDED","object":)" + CmJson("c", 12) + "}\n";
    return {
        FakeApiServer::ChunkedHead(), FakeApiServer::Chunk(event.substr(0, 30)),
        FakeApiServer::Chunk(event.substr(30, 20)), FakeApiServer::Chunk(event.substr(50)),
        FakeApiServer::Chunk(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"13"}}})"
                             "\n")};  // no last chunk: the server just closes
  }
  return {FakeApiServer::Response(
      200, R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"11"},"items":[)" +
               CmJson("a", 10) + "," + CmJson("b", 11) + "]}")};
}

TEST_CASE("Reflector falls back to LIST+WATCH when the server has no watch-list",
          "[agent][reflector]") {
  const std::string answer = GENERATE(std::string("422"), std::string("ignored"));
  INFO("watch-list answer: " << answer);
  asio::io_context io;
  FakeApiServer server(io, [answer](const std::string& t) { return OldServer(t, answer); });
  ApiClient client(io.get_executor(), ConfigFor(server.url()));
  RecordingHandler handler;
  Reflector reflector(client, kConfigMaps, handler, FastOptions(true));
  bool done = false;
  asio::co_spawn(io, reflector.Run(), [&done](const std::exception_ptr&) { done = true; });
  REQUIRE(RunUntil(io, [&] { return handler.Count("ADDED", "default/c") >= 1; }));
  CHECK_FALSE(reflector.watch_list_enabled());
  CHECK(reflector.synced());
  CHECK(handler.synced == 1);
  CHECK(handler.objects.size() == 3);
  CHECK(reflector.resource_version() == "12");
  RunUntil(io, [&] { return reflector.resource_version() == "13"; });
  CHECK(reflector.resource_version() == "13");  // from the bookmark
  reflector.Stop();
  REQUIRE(RunUntil(io, [&] { return done; }));
  // Watches resumed from the list's, then the event's and bookmark's resourceVersion.
  const auto& targets = server.targets();
  REQUIRE(targets.size() >= 3);
  CHECK(targets[0].find("sendInitialEvents=true&resourceVersionMatch=NotOlderThan") !=
        std::string::npos);
  CHECK(targets[1] == "/api/v1/configmaps?limit=500");
  CHECK(targets[2].find("watch=true&allowWatchBookmarks=true&timeoutSeconds=") !=
        std::string::npos);
  CHECK(targets[2].find("&resourceVersion=11") != std::string::npos);
  if (targets.size() > 3) {
    CHECK(targets[3].find("&resourceVersion=13") != std::string::npos);
  }
}

}  // namespace
}  // namespace plumbline::testing
