// PrometheusTelemetry: the exposition text for a fixed scenario (golden file), state counts
// across transitions, the drift clock, the cap on the opt-in per-resource series, and
// `promtool check metrics` on the real output when promtool is installed.
#include "plumbline/exporters/metrics.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <unistd.h>

namespace plumbline::exporters {
namespace {

namespace fs = std::filesystem;

constexpr double kT0 = 1700000000;  // 2023-11-14T22:13:20Z

// A clock the test moves by hand.
struct ManualClock {
  double now = kT0;
  UnixClock Get() {
    return [this] { return now; };
  }
};

MetricsOptions FixedOptions(ManualClock& clock) {
  MetricsOptions options;
  options.version = "0.1.0";
  options.revision = "abc1234";
  options.clock = clock.Get();
  return options;
}

bool Contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

// The value of the one series whose exposition line starts with `series` ("name{labels}"),
// or NaN-free -1 when absent.
double SampleValue(const std::string& text, std::string_view series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

DriftEvent MakeEvent(EventType type, std::string name, std::int64_t detected_unix_seconds,
                     std::string drift_kind = "modified") {
  DriftEvent event;
  event.type = type;
  event.detected_unix_nanos = detected_unix_seconds * 1'000'000'000;
  event.resource.api_version = "apps/v1";
  event.resource.group = "apps";
  event.resource.kind = "Deployment";
  event.resource.namespace_ = "shop";
  event.resource.name = std::move(name);
  event.drift_kind = type == EventType::kResolved ? "" : std::move(drift_kind);
  return event;
}

// Drives every Telemetry method at least once, at fixed times.
void RunScenario(PrometheusTelemetry& t, ManualClock& clock) {
  const ResourceState in_sync = ResourceState::kInSync;
  const ResourceState modified = ResourceState::kModified;
  const ResourceState missing = ResourceState::kMissing;
  const ResourceState orphan = ResourceState::kOrphan;

  t.TargetsLoaded("https://git.example.com/shop.git", "3f2c1aa", 6, kT0 - 60);
  t.TargetRenderFailed("kustomize_failed");

  t.ApiRequest("list", "apps/v1/deployments", 200, 0.042);
  t.ApiRequest("watch", "apps/v1/deployments", 200, 0.003);
  t.ApiRequest("list", "v1/configmaps", 200, 0.018);
  t.ApiRequest("watch", "v1/configmaps", 410, 0.002);
  t.ApiRequest("list", "networking.k8s.io/v1/networkpolicies", 403, 0.004);

  t.WatchSynced("apps/v1/deployments", true);
  t.WatchSynced("v1/configmaps", true);
  t.WatchEventReceived("apps/v1/deployments", kT0 + 5);
  t.WatchEventReceived("v1/configmaps", kT0 + 7);
  t.WatchBookmark("v1/configmaps", kT0 + 65);
  t.WatchRestarted("v1/configmaps", "gone");
  t.WatchRelisted("v1/configmaps");
  t.WatchRestarted("apps/v1/deployments", "timeout");
  t.WatchSynced("networking.k8s.io/v1/networkpolicies", false);

  t.ResourceStateChanged("Deployment.apps", "shop", nullptr, &in_sync, kT0);
  t.ResourceStateChanged("Deployment.apps", "shop", nullptr, &in_sync, kT0);
  t.ResourceStateChanged("ConfigMap", "shop", nullptr, &in_sync, kT0);
  t.ResourceStateChanged("ConfigMap", "shop", nullptr, &orphan, kT0 + 1);
  t.ResourceStateChanged("NetworkPolicy.networking.k8s.io", "shop", nullptr, &missing, kT0 + 1);
  t.ResourceStateChanged("Deployment.apps", "shop", &in_sync, &modified, kT0 + 5);
  t.ResourceStateChanged("ConfigMap", "shop", &in_sync, &modified, kT0 + 7);

  t.EventEmitted(MakeEvent(EventType::kDrifted, "web", kT0 + 5));
  DriftEvent cm = MakeEvent(EventType::kDrifted, "shop-config", kT0 + 7);
  cm.resource.api_version = "v1";
  cm.resource.group = "";
  cm.resource.kind = "ConfigMap";
  t.EventEmitted(cm);
  t.SuppressedDifferences("Deployment.apps", 3);
  t.DetectionLatency(0.0042);
  t.DetectionLatency(0.0125);

  t.DeliverySent("collector", 2);
  t.DeliveryFailed("webhook:ops", "http_5xx");
  t.DeliveryRetried("webhook:ops");
  t.DeliveryDropped("webhook:ops", "queue_full", 4);
  t.SpoolBytes("collector", 1048576, 268435456);
  t.Error("watch", "decode");
  clock.now = kT0 + 120;
}

fs::path GoldenPath() { return fs::path(PLUMBLINE_TESTDATA_DIR) / "metrics" / "scenario.prom"; }

std::string FindInPath(std::string_view tool) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) {
    return "";
  }
  std::string_view rest = path;
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    const fs::path candidate = fs::path(dir) / tool;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return "";
}

}  // namespace

TEST_CASE("Metrics exposition matches the golden file for a fixed scenario", "[exporters]") {
  ManualClock clock;
  MetricsOptions options = FixedOptions(clock);
  options.per_resource_series = true;
  PrometheusTelemetry t(std::move(options));
  RunScenario(t, clock);
  const std::string text = t.RenderMetrics();

  if (std::getenv("PLUMBLINE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(GoldenPath(), std::ios::binary) << text;
    WARN("rewrote " << GoldenPath());
  }
  const std::string golden = ReadFile(GoldenPath());
  REQUIRE_FALSE(golden.empty());
  // Rendering twice gives the same bytes (no hash-map order leaks into the output).
  CHECK(t.RenderMetrics() == text);
  CHECK(text == golden);
}

TEST_CASE("Metrics: moving a resource between states keeps the counts right", "[exporters]") {
  ManualClock clock;
  PrometheusTelemetry t(FixedOptions(clock));
  const ResourceState in_sync = ResourceState::kInSync;
  const ResourceState modified = ResourceState::kModified;
  const ResourceState missing = ResourceState::kMissing;
  const std::string kInSyncSeries =
      R"(plumbline_resources{kind="Deployment.apps",namespace="shop",state="in_sync"})";
  const std::string kModifiedSeries =
      R"(plumbline_resources{kind="Deployment.apps",namespace="shop",state="modified"})";
  const std::string kStartSeries =
      R"(plumbline_drift_start_timestamp_seconds{kind="Deployment.apps",namespace="shop"})";

  t.ResourceStateChanged("Deployment.apps", "shop", nullptr, &in_sync, kT0);
  t.ResourceStateChanged("Deployment.apps", "shop", nullptr, &in_sync, kT0);
  std::string text = t.RenderMetrics();
  CHECK(SampleValue(text, kInSyncSeries) == 2);
  CHECK(SampleValue(text, kModifiedSeries) == 0);  // every state is a sample from the start
  CHECK_FALSE(Contains(text, "plumbline_drift_start_timestamp_seconds{"));

  SECTION("modified and back to in_sync") {
    t.ResourceStateChanged("Deployment.apps", "shop", &in_sync, &modified, kT0 + 10);
    text = t.RenderMetrics();
    CHECK(SampleValue(text, kInSyncSeries) == 1);
    CHECK(SampleValue(text, kModifiedSeries) == 1);
    CHECK(SampleValue(text, kStartSeries) == kT0 + 10);

    t.ResourceStateChanged("Deployment.apps", "shop", &modified, &in_sync, kT0 + 20);
    text = t.RenderMetrics();
    CHECK(SampleValue(text, kInSyncSeries) == 2);
    CHECK(SampleValue(text, kModifiedSeries) == 0);
    CHECK(SampleValue(text, kStartSeries) == -1);  // no drift, no clock
    CHECK(t.ResourceCount("Deployment.apps", "shop", in_sync) == 2);
  }

  SECTION("the drift clock runs while any resource of the group is drifted") {
    t.ResourceStateChanged("Deployment.apps", "shop", &in_sync, &modified, kT0 + 10);
    t.ResourceStateChanged("Deployment.apps", "shop", &in_sync, &modified, kT0 + 30);
    CHECK(SampleValue(t.RenderMetrics(), kStartSeries) == kT0 + 10);
    // modified -> missing is still drift: the clock keeps its start.
    t.ResourceStateChanged("Deployment.apps", "shop", &modified, &missing, kT0 + 40);
    CHECK(SampleValue(t.RenderMetrics(), kStartSeries) == kT0 + 10);
    t.ResourceStateChanged("Deployment.apps", "shop", &modified, &in_sync, kT0 + 50);
    CHECK(SampleValue(t.RenderMetrics(), kStartSeries) == kT0 + 10);
    t.ResourceStateChanged("Deployment.apps", "shop", &missing, nullptr, kT0 + 60);
    text = t.RenderMetrics();
    CHECK(SampleValue(text, kStartSeries) == -1);
    CHECK(SampleValue(text, kInSyncSeries) == 1);
    CHECK(SampleValue(text, R"(plumbline_resources{kind="Deployment.apps",namespace="shop",)"
                            R"(state="missing"})") == 0);
  }

  SECTION("an older drift learned later moves the start back") {
    t.ResourceStateChanged("Deployment.apps", "shop", &in_sync, &modified, kT0 + 10);
    t.ResourceStateChanged("Deployment.apps", "shop", nullptr, &modified, kT0 - 3600);
    CHECK(SampleValue(t.RenderMetrics(), kStartSeries) == kT0 - 3600);
  }

  SECTION("an unknown start time is taken from the clock") {
    clock.now = kT0 + 99;
    t.ResourceStateChanged("Deployment.apps", "shop", &in_sync, &modified, 0);
    CHECK(SampleValue(t.RenderMetrics(), kStartSeries) == kT0 + 99);
  }

  SECTION("leaving a state that is empty is counted as an error, not a negative count") {
    t.ResourceStateChanged("Deployment.apps", "shop", &modified, &in_sync, kT0);
    text = t.RenderMetrics();
    CHECK(SampleValue(text, kModifiedSeries) == 0);
    CHECK(SampleValue(text, kInSyncSeries) == 3);
    CHECK(SampleValue(text,
                      R"(plumbline_errors_total{component="metrics",reason="state_underflow"})") ==
          1);
  }

  SECTION("groups are independent") {
    t.ResourceStateChanged("Deployment.apps", "other", nullptr, &modified, kT0 + 5);
    text = t.RenderMetrics();
    CHECK(SampleValue(text, kModifiedSeries) == 0);
    CHECK(SampleValue(text, R"(plumbline_resources{kind="Deployment.apps",namespace="other",)"
                            R"(state="modified"})") == 1);
    CHECK(SampleValue(text, kStartSeries) == -1);
  }
}

TEST_CASE("Metrics: the per-resource series is opt-in and capped", "[exporters]") {
  ManualClock clock;

  SECTION("off by default: no series names an object") {
    PrometheusTelemetry t(FixedOptions(clock));
    t.EventEmitted(MakeEvent(EventType::kDrifted, "web", static_cast<std::int64_t>(kT0)));
    const std::string text = t.RenderMetrics();
    CHECK_FALSE(Contains(text, "name=\"web\""));
    CHECK_FALSE(Contains(text, "plumbline_resource_drift_start_timestamp_seconds"));
    CHECK_FALSE(Contains(text, "plumbline_resource_series_omitted"));
  }

  SECTION("at most the limit, the oldest first; a resolved one makes room") {
    MetricsOptions options = FixedOptions(clock);
    options.per_resource_series = true;
    options.per_resource_series_limit = 3;
    PrometheusTelemetry t(std::move(options));
    const auto t0 = static_cast<std::int64_t>(kT0);
    // Five drifted resources, web-0 the newest, web-4 the oldest.
    for (int i = 0; i < 5; ++i) {
      t.EventEmitted(MakeEvent(EventType::kDrifted, "web-" + std::to_string(i), t0 - i * 60));
    }
    // A second event for a drifted resource keeps its start and updates the drift kind.
    t.EventEmitted(MakeEvent(EventType::kMissing, "web-4", t0 + 500, "missing"));
    std::string text = t.RenderMetrics();
    const auto series = [](int i, std::string_view drift_kind) {
      return std::string(R"(plumbline_resource_drift_start_timestamp_seconds{drift_kind=")") +
             std::string(drift_kind) + R"(",kind="Deployment.apps",name="web-)" +
             std::to_string(i) + R"(",namespace="shop"})";
    };
    CHECK(SampleValue(text, series(4, "missing")) == kT0 - 240);
    CHECK(SampleValue(text, series(3, "modified")) == kT0 - 180);
    CHECK(SampleValue(text, series(2, "modified")) == kT0 - 120);
    CHECK(SampleValue(text, series(1, "modified")) == -1);
    CHECK(SampleValue(text, series(0, "modified")) == -1);
    CHECK(SampleValue(text, "plumbline_resource_series_omitted") == 2);

    t.EventEmitted(MakeEvent(EventType::kResolved, "web-3", t0 + 600));
    t.EventEmitted(MakeEvent(EventType::kResolved, "web-3", t0 + 601));  // twice: harmless
    text = t.RenderMetrics();
    CHECK(SampleValue(text, series(3, "modified")) == -1);
    CHECK(SampleValue(text, series(1, "modified")) == kT0 - 60);
    CHECK(SampleValue(text, "plumbline_resource_series_omitted") == 1);

    // Drift event counters are by kind and type whatever the opt-in.
    CHECK(SampleValue(text,
                      R"(plumbline_drift_events_total{kind="Deployment.apps",type="resolved"})") ==
          2);
  }
}

TEST_CASE("Metrics: target info keeps one series per source", "[exporters]") {
  ManualClock clock;
  PrometheusTelemetry t(FixedOptions(clock));
  t.TargetsLoaded("repo", "aaa", 3, kT0);
  t.TargetsLoaded("repo", "bbb", 4, kT0 + 60);
  const std::string text = t.RenderMetrics();
  CHECK_FALSE(Contains(text, R"(revision="aaa")"));
  CHECK(SampleValue(text, R"(plumbline_target_info{revision="bbb",source="repo"})") == 1);
  CHECK(SampleValue(text, R"(plumbline_target_resources{source="repo"})") == 4);
  CHECK(SampleValue(text, R"(plumbline_target_last_render_timestamp_seconds{source="repo"})") ==
        kT0 + 60);
}

TEST_CASE("Metrics: watch activity is the latest of event bookmark and sync", "[exporters]") {
  ManualClock clock;
  PrometheusTelemetry t(FixedOptions(clock));
  const std::string kActivity =
      R"(plumbline_watch_last_activity_timestamp_seconds{resource="v1/configmaps"})";
  t.WatchSynced("v1/configmaps", true);
  CHECK(SampleValue(t.RenderMetrics(), kActivity) == kT0);
  t.WatchBookmark("v1/configmaps", kT0 + 60);
  CHECK(SampleValue(t.RenderMetrics(), kActivity) == kT0 + 60);
  t.WatchEventReceived("v1/configmaps", kT0 + 30);  // an older event does not move it back
  const std::string text = t.RenderMetrics();
  CHECK(SampleValue(text, kActivity) == kT0 + 60);
  CHECK(SampleValue(text, R"(plumbline_watch_last_event_timestamp_seconds{resource=)"
                          R"("v1/configmaps"})") == kT0 + 30);
  CHECK(SampleValue(text, R"(plumbline_watch_synced{resource="v1/configmaps"})") == 1);
  CHECK(SampleValue(text,
                    R"(plumbline_watch_restarts_total{reason="gone",resource="v1/configmaps"})") ==
        0);
}

TEST_CASE("Metrics: promtool check metrics passes on the real output", "[exporters][promtool]") {
  const std::string promtool = FindInPath("promtool");
  if (promtool.empty()) {
    WARN("promtool not found in PATH (Debian package `prometheus`): lint skipped");
    return;
  }
  ManualClock clock;
  MetricsOptions options = FixedOptions(clock);
  options.per_resource_series = true;
  PrometheusTelemetry t(std::move(options));
  RunScenario(t, clock);

  const fs::path dir =
      fs::temp_directory_path() / ("plumbline-metrics-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path input = dir / "metrics.prom";
  const fs::path output = dir / "promtool.out";
  std::ofstream(input, std::ios::binary) << t.RenderMetrics();
  const std::string command = "'" + promtool + "' check metrics < '" + input.string() + "' > '" +
                              output.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  INFO("promtool said:\n" << ReadFile(output));
  CHECK(status == 0);
  fs::remove_all(dir);
}

}  // namespace plumbline::exporters
