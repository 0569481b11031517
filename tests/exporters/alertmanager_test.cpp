#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plumbline/exporters/alertmanager_sink.h"
#include "plumbline/exporters/http_sender.h"

#include "exporters/test_support.h"
#include "support/free_port.h"

extern char** environ;

namespace plumbline::exporters {
namespace {

namespace fs = std::filesystem;
using namespace plumbline::testing;

constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";

std::string Label(simdjson::dom::element alert, const char* group, const char* key) {
  std::string_view v;
  if (alert[group][key].get(v) != simdjson::SUCCESS) {
    return "<absent>";
  }
  return std::string(v);
}

std::string Field(simdjson::dom::element alert, const char* key) {
  std::string_view v;
  if (alert[key].get(v) != simdjson::SUCCESS) {
    return "<absent>";
  }
  return std::string(v);
}

AlertmanagerOptions FastOptions(const std::string& url) {
  AlertmanagerOptions o;
  o.url = url;
  o.resend_interval = 150ms;
  o.alert_ttl = 5000ms;
  o.batch_delay = 20ms;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 100ms;
  o.http.connect_timeout = 1000ms;
  o.http.request_timeout = 2000ms;
  o.close_timeout = 500ms;
  o.extra_labels = {{"severity", "warning"}};
  return o;
}

TEST_CASE("Alertmanager: alert per resource, re-sent, kind change and resolution",
          "[exporters][alertmanager]") {
  asio::io_context io;
  TestReceiver receiver(io);
  RecordingTelemetry telemetry;
  auto sink = AlertmanagerSink::Create(io, FastOptions(receiver.Url("/am/")), telemetry);
  REQUIRE(sink);
  simdjson::dom::parser parser;
  auto last_alerts = [&]() {
    simdjson::dom::array array;
    REQUIRE(parser.parse(receiver.requests.back().body).get(array) == simdjson::SUCCESS);
    return array;
  };

  (*sink)->Publish(MakeEvent("d1"));
  REQUIRE(RunUntil(io, [&] { return receiver.requests.size() == 1; }));
  CHECK(receiver.requests[0].method == "POST");
  CHECK(receiver.requests[0].target == "/am/api/v2/alerts");
  {
    auto alerts = last_alerts();
    REQUIRE(alerts.size() == 1);
    auto a = alerts.at(0).value();
    CHECK(Label(a, "labels", "alertname") == "PlumblineDrift");
    CHECK(Label(a, "labels", "cluster") == "prod-eu-1");
    CHECK(Label(a, "labels", "namespace") == "shop");
    CHECK(Label(a, "labels", "kind") == "Deployment");
    CHECK(Label(a, "labels", "name") == "web");
    CHECK(Label(a, "labels", "drift_kind") == "modified");
    CHECK(Label(a, "labels", "severity") == "warning");
    CHECK(Label(a, "annotations", "summary").find("Deployment shop/web") != std::string::npos);
    CHECK(Label(a, "annotations", "paths").find("/spec/replicas: 3 -> 5 by kubectl-scale") !=
          std::string::npos);
    CHECK(Label(a, "annotations", "diff").find("+  replicas: 5") != std::string::npos);
    CHECK(Label(a, "annotations", "revision") == "3f2c1a9");
    CHECK(Field(a, "startsAt") == "2026-11-23T17:00:00.123Z");
    CHECK(Field(a, "endsAt") > FormatRfc3339(std::chrono::system_clock::now()));
  }
  // Re-sent while it lasts.
  RunFor(io, 400ms);
  CHECK(receiver.requests.size() >= 3);
  CHECK((*sink)->firing() == 1);

  // Another drift kind for the same resource: the old alert ends, the new one fires.
  const std::size_t before = receiver.requests.size();
  (*sink)->Publish(MakeEvent("d2", EventType::kMissing));
  REQUIRE(RunUntil(io, [&] { return receiver.requests.size() > before; }));
  {
    auto alerts = last_alerts();
    REQUIRE(alerts.size() == 2);
    CHECK(Label(alerts.at(0).value(), "labels", "drift_kind") == "modified");
    CHECK(Field(alerts.at(0).value(), "endsAt") <= FormatRfc3339(std::chrono::system_clock::now()));
    CHECK(Label(alerts.at(1).value(), "labels", "drift_kind") == "missing");
  }

  // Resolved: sent once with endsAt = now, then no more re-sends.
  (*sink)->Publish(MakeEvent("r1", EventType::kResolved));
  const std::size_t before_resolve = receiver.requests.size();
  REQUIRE(RunUntil(io, [&] { return receiver.requests.size() > before_resolve; }));
  {
    auto alerts = last_alerts();
    REQUIRE(alerts.size() == 1);
    CHECK(Label(alerts.at(0).value(), "labels", "drift_kind") == "missing");
    CHECK(Field(alerts.at(0).value(), "endsAt") <= FormatRfc3339(std::chrono::system_clock::now()));
  }
  CHECK((*sink)->firing() == 0);
  const std::size_t after = receiver.requests.size();
  RunFor(io, 400ms);
  CHECK(receiver.requests.size() == after);
  (*sink)->Close();
  REQUIRE(RunUntil(io, [&] { return (*sink)->finished(); }));
}

TEST_CASE("Alertmanager: a resolution survives a failing Alertmanager",
          "[exporters][alertmanager]") {
  asio::io_context io;
  TestReceiver receiver(io);
  RecordingTelemetry telemetry;
  auto sink = AlertmanagerSink::Create(io, FastOptions(receiver.Url("")), telemetry);
  REQUIRE(sink);
  (*sink)->Publish(MakeEvent("d1", EventType::kDrifted, "ConfigMap", "shop", "cfg"));
  REQUIRE(RunUntil(io, [&] { return receiver.Accepted() == 1; }));
  receiver.default_reply = {503, "", ""};
  (*sink)->Publish(MakeEvent("r1", EventType::kResolved, "ConfigMap", "shop", "cfg"));
  RunFor(io, 200ms);
  receiver.default_reply = {200, "", ""};
  REQUIRE(RunUntil(io, [&] { return receiver.Accepted() == 2; }));
  CHECK(receiver.requests.back().body.find("\"drift_kind\":\"modified\"") != std::string::npos);
  CHECK(receiver.requests.back().target == "/api/v2/alerts");
  CHECK(telemetry.failed["alertmanager/http_5xx"] >= 1);
  (*sink)->Close();
  REQUIRE(RunUntil(io, [&] { return (*sink)->finished(); }));
}

// ---- a real Alertmanager ----

asio::awaitable<void> Fetch(HttpSender* sender, HttpRequest request,
                            std::optional<Result<HttpResponse>>* out) {
  out->emplace(co_await sender->Send(std::move(request)));
}

std::optional<Result<HttpResponse>> Get(asio::io_context& io, HttpSender& sender,
                                        const std::string& target) {
  std::optional<Result<HttpResponse>> out;
  HttpRequest request;
  request.method = "GET";
  request.target = target;
  asio::co_spawn(io, Fetch(&sender, std::move(request), &out), [](const std::exception_ptr&) {});
  RunUntil(
      io, [&] { return out.has_value(); }, 5000ms);
  return out;
}

// The alerts named PlumblineDrift that Alertmanager lists (active or not yet processed).
int CountDriftAlerts(asio::io_context& io, HttpSender& sender, std::string* drift_kind) {
  auto r = Get(io, sender, "/api/v2/alerts?filter=alertname%3D%22PlumblineDrift%22");
  if (!r || !*r || (*r)->status != 200) {
    return -1;
  }
  simdjson::dom::parser parser;
  simdjson::dom::array alerts;
  if (parser.parse((*r)->body).get(alerts) != simdjson::SUCCESS) {
    return -1;
  }
  for (auto a : alerts) {
    *drift_kind = Label(a, "labels", "drift_kind");
  }
  return static_cast<int>(alerts.size());
}

TEST_CASE("Alertmanager: a real Alertmanager shows the drift and its resolution",
          "[exporters][alertmanager][integration]") {
  if (access(kAlertmanager, X_OK) != 0) {
    WARN("SKIPPED: " << kAlertmanager
                     << " not found (Debian package prometheus-alertmanager; "
                        "scripts/install-deps installs it)");
    return;
  }
  std::string pattern = (fs::temp_directory_path() / "plumbline-am-XXXXXX").string();
  const std::string dir = mkdtemp(pattern.data());
  std::ofstream(dir + "/alertmanager.yml") << "route:\n  receiver: devnull\n"
                                              "receivers:\n  - name: devnull\n";
  const std::uint16_t port = FreeLoopbackPort();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  std::vector<std::string> args = {kAlertmanager,
                                   "--config.file=" + dir + "/alertmanager.yml",
                                   "--storage.path=" + dir + "/data",
                                   "--web.listen-address=" + listen,
                                   "--cluster.listen-address=",
                                   "--log.level=warn"};
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (dir + "/am.log").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, kAlertmanager, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  struct Reap {
    pid_t pid;
    std::string dir;
    ~Reap() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } reap{pid, dir};

  asio::io_context io;
  auto url = ParseUrl("http://" + listen);
  REQUIRE(url);
  HttpSenderOptions http;
  http.connect_timeout = 500ms;
  auto client = HttpSender::Create(io, *url, http);
  REQUIRE(client);
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    auto r = Get(io, **client, "/-/ready");
    ready = r && *r && (*r)->status == 200;
    if (!ready) {
      RunFor(io, 100ms);
    }
  }
  if (!ready) {
    std::ifstream log(dir + "/am.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    FAIL("Alertmanager did not become ready; its log:\n" << text);
  }

  RecordingTelemetry telemetry;
  AlertmanagerOptions options = FastOptions("http://" + listen);
  options.resend_interval = 1000ms;
  auto sink = AlertmanagerSink::Create(io, options, telemetry);
  REQUIRE(sink);
  (*sink)->Publish(MakeEvent("d1"));
  std::string drift_kind;
  REQUIRE(RunUntil(
      io, [&] { return CountDriftAlerts(io, **client, &drift_kind) == 1; }, 8000ms));
  CHECK(drift_kind == "modified");
  CHECK(RunUntil(io, [&] { return telemetry.sent["alertmanager"] >= 1; }));

  (*sink)->Publish(MakeEvent("r1", EventType::kResolved));
  REQUIRE(RunUntil(
      io, [&] { return CountDriftAlerts(io, **client, &drift_kind) == 0; }, 8000ms));
  (*sink)->Close();
  REQUIRE(RunUntil(io, [&] { return (*sink)->finished(); }));
  (*client)->Close();
}

}  // namespace
}  // namespace plumbline::exporters
