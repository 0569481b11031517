// Prometheus metrics for the agent: PrometheusTelemetry implements plumbline::Telemetry by
// keeping counters, gauges and histograms in a prometheus::Registry (the per-(kind, namespace)
// resource counts and drift clocks in its own maps), and RenderMetrics() turns them into the text
// exposition format (version 0.0.4) for the agent's own HTTP server to serve at /metrics. Metric
// names, labels and cardinality bounds are documented in docs/metrics.md.
//
// Threading: not thread-safe as a whole. Every Telemetry method and RenderMetrics() must be
// called on the agent's io thread (STYLE.md §6): the per-(kind, namespace) counts, the drift
// clocks and the opt-in per-resource series are plain members. No Exposer thread is involved.
//
// Cardinality: labels are bounded by what the agent watches (kinds, resources, namespaces that
// hold targets or are in orphan scope), its configured sinks and targets, and fixed reason
// strings. No series names an object unless `per_resource_series` is on, and then at most
// `per_resource_series_limit` of them exist at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "plumbline/common/drift_event.h"
#include "plumbline/common/telemetry.h"

namespace plumbline::exporters {

// Returns the current time in Unix seconds. Injected so tests can fix every timestamp.
using UnixClock = std::function<double()>;
UnixClock SystemUnixClock();

struct MetricsOptions {
  std::string version = "unknown";   // plumbline_build_info{version}
  std::string revision = "unknown";  // plumbline_build_info{revision}: the source commit
  // Opt-in per-resource series plumbline_resource_drift_start_timestamp_seconds{kind,
  // namespace,name,drift_kind}: one per drifted resource, the oldest first, at most `limit`.
  bool per_resource_series = false;
  std::size_t per_resource_series_limit = 500;
  UnixClock clock;  // empty: SystemUnixClock()
};

class PrometheusTelemetry final : public Telemetry {
 public:
  explicit PrometheusTelemetry(MetricsOptions options = {});
  ~PrometheusTelemetry() override;
  PrometheusTelemetry(const PrometheusTelemetry&) = delete;
  PrometheusTelemetry& operator=(const PrometheusTelemetry&) = delete;

  // The whole exposition: families sorted by name, series by labels, so the same state gives
  // the same bytes (the golden test relies on it). Serve with Content-Type
  // kMetricsContentType. Cost is linear in the number of series; nothing is cached.
  std::string RenderMetrics() const;

  // ---- Telemetry ----
  void ResourceStateChanged(std::string_view kind, std::string_view ns, const ResourceState* from,
                            const ResourceState* to, double since_unix_seconds) override;
  void EventEmitted(const DriftEvent& event) override;
  void SuppressedDifferences(std::string_view kind, std::uint64_t count) override;
  void DetectionLatency(double seconds) override;
  void TargetsLoaded(std::string_view source, std::string_view revision, std::uint64_t resources,
                     double unix_seconds) override;
  void TargetRenderFailed(std::string_view reason) override;
  void ApiRequest(std::string_view verb, std::string_view resource, int http_code,
                  double seconds) override;
  void WatchRestarted(std::string_view resource, std::string_view reason) override;
  void WatchRelisted(std::string_view resource) override;
  void WatchEventReceived(std::string_view resource, double unix_seconds) override;
  void WatchBookmark(std::string_view resource, double unix_seconds) override;
  void WatchSynced(std::string_view resource, bool synced) override;
  void LeaderStatus(bool leading) override;
  void DeliverySent(std::string_view sink, std::uint64_t events) override;
  void DeliveryFailed(std::string_view sink, std::string_view reason) override;
  void DeliveryRetried(std::string_view sink) override;
  void DeliveryDropped(std::string_view sink, std::string_view reason,
                       std::uint64_t events) override;
  void SpoolBytes(std::string_view sink, std::uint64_t bytes,
                  std::uint64_t capacity_bytes) override;
  void Error(std::string_view component, std::string_view reason) override;

  // The number of resources counted in `state` for (kind, namespace); for tests and /readyz
  // style checks. 0 when never seen.
  std::uint64_t ResourceCount(std::string_view kind, std::string_view ns,
                              ResourceState state) const;

 private:
  struct Families;
  struct GroupState;  // one (kind, namespace): counts per state and the drift clock
  struct WatchSeries;
  struct SinkSeries;
  struct DriftedResource {
    std::string kind;
    std::string namespace_name;
    std::string name;
    std::string drift_kind;
    double start = 0;
  };

  GroupState& Group(std::string_view kind, std::string_view ns);
  WatchSeries& Watch(std::string_view resource);
  SinkSeries& Sink(std::string_view sink);
  void TrackResource(const DriftEvent& event);
  void AppendGroupFamilies(std::vector<prometheus::MetricFamily>& out) const;
  void AppendPerResourceFamilies(std::vector<prometheus::MetricFamily>& out) const;

  MetricsOptions options_;
  prometheus::Registry registry_;
  std::unique_ptr<Families> families_;
  // Everything below is only touched on the io thread.
  // kind -> namespace -> state of that group.
  std::map<std::string, std::map<std::string, std::unique_ptr<GroupState>, std::less<>>,
           std::less<>>
      groups_;
  std::map<std::string, std::unique_ptr<WatchSeries>, std::less<>> watches_;
  std::map<std::string, std::unique_ptr<SinkSeries>, std::less<>> sinks_;
  std::map<std::string, std::string, std::less<>> target_revisions_;  // source -> revision
  // Opt-in per-resource series: drifted resources by ResourceKey, and the same ordered by
  // (start, key) so the exposition shows the oldest `per_resource_series_limit`.
  std::map<std::string, DriftedResource, std::less<>> drifted_;
  std::set<std::pair<double, std::string>> drifted_by_start_;
};

// The Content-Type of RenderMetrics() output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace plumbline::exporters
