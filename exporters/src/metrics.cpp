#include "plumbline/exporters/metrics.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <sstream>

#include <prometheus/text_serializer.h>

namespace plumbline::exporters {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

constexpr std::size_t kStateCount = 5;
// In the order of their names, the order of the exposition.
constexpr std::array<ResourceState, kStateCount> kStatesByName = {
    ResourceState::kExtraneous, ResourceState::kInSync, ResourceState::kMissing,
    ResourceState::kModified, ResourceState::kOrphan};

// Kubernetes API calls: from a cached GET (milliseconds) to a large LIST (tens of seconds).
const Histogram::BucketBoundaries& ApiBuckets() {
  static const Histogram::BucketBoundaries buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1,     2.5,  5,     10,   30,  60};
  return buckets;
}

// API server event received to event published: the engine's walk plus queueing.
const Histogram::BucketBoundaries& DetectionBuckets() {
  static const Histogram::BucketBoundaries buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1,     2.5,  5,     10};
  return buckets;
}

std::string Str(std::string_view text) { return std::string(text); }

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// "Deployment.apps" for apps/Deployment, "ConfigMap" for the core group: the spelling the
// agent uses in ResourceStateChanged.
std::string KindLabel(const EventResource& resource) {
  std::string kind = resource.kind;
  if (!resource.group.empty()) {
    kind.append(".").append(resource.group);
  }
  return kind;
}

bool IsDrifted(ResourceState state) { return state != ResourceState::kInSync; }

bool IsDriftEvent(EventType type) {
  return type == EventType::kDrifted || type == EventType::kMissing ||
         type == EventType::kExtraneous || type == EventType::kOrphan;
}

template <typename T>
Family<T>& Build(prometheus::detail::Builder<T> builder, prometheus::Registry& registry,
                 const char* name, const char* help) {
  return builder.Name(name).Help(help).Register(registry);
}

bool LabelsLess(const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) {
  return a.label < b.label;
}

}  // namespace

UnixClock SystemUnixClock() {
  return [] {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
}

// Every family, registered once in the constructor. Help texts are the reference for
// docs/metrics.md.
struct PrometheusTelemetry::Families {
  explicit Families(prometheus::Registry& r)
      : build_info(Build(prometheus::BuildGauge(), r, "plumbline_build_info",
                         "Always 1; the agent's version and source revision as labels.")),
        start_time(Build(prometheus::BuildGauge(), r, "plumbline_start_timestamp_seconds",
                         "Unix time the agent's telemetry was created (process start).")),
        drift_events(Build(prometheus::BuildCounter(), r, "plumbline_drift_events_total",
                           "Drift events published, by kind and event type.")),
        suppressed(Build(prometheus::BuildCounter(), r, "plumbline_suppressed_differences_total",
                         "Differences suppressed by ignore rules or manager classes, by kind.")),
        detection_latency(Build(prometheus::BuildHistogram(), r,
                                "plumbline_detection_latency_seconds",
                                "From receiving an API server event to publishing its drift "
                                "event.")),
        target_info(Build(prometheus::BuildGauge(), r, "plumbline_target_info",
                          "Always 1; the revision of the targets loaded from each source.")),
        target_resources(Build(prometheus::BuildGauge(), r, "plumbline_target_resources",
                               "Resources declared by the targets loaded from each source.")),
        target_render_time(Build(prometheus::BuildGauge(), r,
                                 "plumbline_target_last_render_timestamp_seconds",
                                 "Unix time the targets of each source were last rendered.")),
        target_render_failures(Build(prometheus::BuildCounter(), r,
                                     "plumbline_target_render_failures_total",
                                     "Target renders that failed, by reason.")),
        api_requests(Build(prometheus::BuildCounter(), r, "plumbline_api_requests_total",
                           "Kubernetes API requests by verb, resource and HTTP status code (0: "
                           "no response).")),
        api_duration(Build(prometheus::BuildHistogram(), r,
                           "plumbline_api_request_duration_seconds",
                           "Kubernetes API request latency by verb and resource.")),
        watch_restarts(Build(prometheus::BuildCounter(), r, "plumbline_watch_restarts_total",
                             "Watch restarts by resource and reason (reason=\"gone\": 410 Gone).")),
        watch_relists(Build(prometheus::BuildCounter(), r, "plumbline_watch_relists_total",
                            "Full relists of a watched resource.")),
        watch_events(Build(prometheus::BuildCounter(), r, "plumbline_watch_events_total",
                           "Watch events received, by resource.")),
        watch_last_event(Build(prometheus::BuildGauge(), r,
                               "plumbline_watch_last_event_timestamp_seconds",
                               "Unix time of the last watch event received, by resource.")),
        watch_last_bookmark(Build(prometheus::BuildGauge(), r,
                                  "plumbline_watch_last_bookmark_timestamp_seconds",
                                  "Unix time of the last watch bookmark received, by resource.")),
        watch_last_activity(Build(prometheus::BuildGauge(), r,
                                  "plumbline_watch_last_activity_timestamp_seconds",
                                  "Unix time of the last event, bookmark or completed sync of a "
                                  "watch, by resource.")),
        watch_synced(Build(prometheus::BuildGauge(), r, "plumbline_watch_synced",
                           "1 when the watch of a resource has completed its initial list and "
                           "is following changes.")),
        leader(Build(prometheus::BuildGauge(), r, "plumbline_leader",
                     "With leader election: 1 while this replica holds the Lease and delivers "
                     "events, 0 on standby.")),
        delivery_sent(Build(prometheus::BuildCounter(), r, "plumbline_delivery_events_sent_total",
                            "Events delivered, by sink.")),
        delivery_successes(Build(prometheus::BuildCounter(), r,
                                 "plumbline_delivery_successes_total",
                                 "Successful delivery attempts (a request or batch), by sink.")),
        delivery_failures(Build(prometheus::BuildCounter(), r, "plumbline_delivery_failures_total",
                                "Failed delivery attempts, by sink and reason.")),
        delivery_retries(Build(prometheus::BuildCounter(), r, "plumbline_delivery_retries_total",
                               "Delivery attempts that were retries, by sink.")),
        delivery_dropped(Build(prometheus::BuildCounter(), r,
                               "plumbline_delivery_events_dropped_total",
                               "Events given up on, by sink and reason.")),
        spool_bytes(Build(prometheus::BuildGauge(), r, "plumbline_spool_bytes",
                          "Bytes held in a sink's on-disk spool.")),
        spool_capacity(Build(prometheus::BuildGauge(), r, "plumbline_spool_capacity_bytes",
                             "Size bound of a sink's on-disk spool.")),
        errors(Build(prometheus::BuildCounter(), r, "plumbline_errors_total",
                     "Errors handled, by component and reason.")) {}

  Family<Gauge>& build_info;
  Family<Gauge>& start_time;
  Family<Counter>& drift_events;
  Family<Counter>& suppressed;
  Family<Histogram>& detection_latency;
  Family<Gauge>& target_info;
  Family<Gauge>& target_resources;
  Family<Gauge>& target_render_time;
  Family<Counter>& target_render_failures;
  Family<Counter>& api_requests;
  Family<Histogram>& api_duration;
  Family<Counter>& watch_restarts;
  Family<Counter>& watch_relists;
  Family<Counter>& watch_events;
  Family<Gauge>& watch_last_event;
  Family<Gauge>& watch_last_bookmark;
  Family<Gauge>& watch_last_activity;
  Family<Gauge>& watch_synced;
  Family<Gauge>& leader;
  Family<Counter>& delivery_sent;
  Family<Counter>& delivery_successes;
  Family<Counter>& delivery_failures;
  Family<Counter>& delivery_retries;
  Family<Counter>& delivery_dropped;
  Family<Gauge>& spool_bytes;
  Family<Gauge>& spool_capacity;
  Family<Counter>& errors;
};

// One (kind, namespace). Invariant: drifted == sum of counts over the drifted states;
// drift_start is meaningful only while drifted > 0. Exported at render time (no registry
// series: these are the largest families, and copying them out of a Family costs more than
// building them from here).
struct PrometheusTelemetry::GroupState {
  std::array<std::uint64_t, kStateCount> counts{};
  std::uint64_t drifted = 0;
  double drift_start = 0;
};

struct PrometheusTelemetry::WatchSeries {
  Counter* events = nullptr;
  Counter* relists = nullptr;
  Gauge* last_event = nullptr;
  Gauge* last_bookmark = nullptr;
  Gauge* last_activity = nullptr;
  Gauge* synced = nullptr;
  double activity = 0;
};

struct PrometheusTelemetry::SinkSeries {
  Counter* events_sent = nullptr;
  Counter* successes = nullptr;
  Counter* retries = nullptr;
  Gauge* spool_bytes = nullptr;
  Gauge* spool_capacity = nullptr;
};

PrometheusTelemetry::PrometheusTelemetry(MetricsOptions options)
    : options_(std::move(options)), families_(std::make_unique<Families>(registry_)) {
  if (!options_.clock) {
    options_.clock = SystemUnixClock();
  }
  families_->build_info.Add({{"version", options_.version}, {"revision", options_.revision}})
      .Set(1);
  families_->start_time.Add({}).Set(options_.clock());
  // One histogram without labels: created now so it is exposed (with zero counts) from the start.
  families_->detection_latency.Add({}, DetectionBuckets());
}

PrometheusTelemetry::~PrometheusTelemetry() = default;

PrometheusTelemetry::GroupState& PrometheusTelemetry::Group(std::string_view kind,
                                                            std::string_view ns) {
  auto kind_it = groups_.find(kind);
  if (kind_it == groups_.end()) {
    kind_it = groups_.emplace(Str(kind), decltype(groups_)::mapped_type{}).first;
  }
  auto& by_namespace = kind_it->second;
  auto it = by_namespace.find(ns);
  if (it != by_namespace.end()) {
    return *it->second;
  }
  return *by_namespace.emplace(Str(ns), std::make_unique<GroupState>()).first->second;
}

PrometheusTelemetry::WatchSeries& PrometheusTelemetry::Watch(std::string_view resource) {
  auto it = watches_.find(resource);
  if (it != watches_.end()) {
    return *it->second;
  }
  const Labels labels = {{"resource", Str(resource)}};
  auto watch = std::make_unique<WatchSeries>();
  watch->events = &families_->watch_events.Add(labels);
  watch->relists = &families_->watch_relists.Add(labels);
  watch->synced = &families_->watch_synced.Add(labels);
  // 410 Gone is the restart reason alerts and dashboards look at; exposed as 0 from the start.
  families_->watch_restarts.Add({{"resource", Str(resource)}, {"reason", "gone"}});
  return *watches_.emplace(Str(resource), std::move(watch)).first->second;
}

PrometheusTelemetry::SinkSeries& PrometheusTelemetry::Sink(std::string_view sink) {
  auto it = sinks_.find(sink);
  if (it != sinks_.end()) {
    return *it->second;
  }
  const Labels labels = {{"sink", Str(sink)}};
  auto series = std::make_unique<SinkSeries>();
  series->events_sent = &families_->delivery_sent.Add(labels);
  series->successes = &families_->delivery_successes.Add(labels);
  series->retries = &families_->delivery_retries.Add(labels);
  return *sinks_.emplace(Str(sink), std::move(series)).first->second;
}

void PrometheusTelemetry::ResourceStateChanged(std::string_view kind, std::string_view ns,
                                               const ResourceState* from, const ResourceState* to,
                                               double since_unix_seconds) {
  GroupState& group = Group(kind, ns);
  if (since_unix_seconds <= 0) {
    since_unix_seconds = options_.clock();
  }
  if (from != nullptr) {
    const auto i = static_cast<std::size_t>(*from);
    if (group.counts[i] == 0) {
      // The agent reported leaving a state nothing was in: keep the counts non-negative and make
      // the bookkeeping error visible rather than abort the agent over a metric.
      Error("metrics", "state_underflow");
    } else {
      --group.counts[i];
      if (IsDrifted(*from)) {
        --group.drifted;
      }
    }
  }
  if (to != nullptr) {
    ++group.counts[static_cast<std::size_t>(*to)];
    if (IsDrifted(*to)) {
      if (group.drifted == 0) {
        group.drift_start = since_unix_seconds;
      } else if (from == nullptr || !IsDrifted(*from)) {
        // A resource whose drift began before the current period (the agent learned of an old
        // drift, e.g. at start) moves the period's start back. A drifted resource moving to
        // another drifted state keeps the period as it is.
        group.drift_start = std::min(group.drift_start, since_unix_seconds);
      }
      ++group.drifted;
    }
  }
}

std::uint64_t PrometheusTelemetry::ResourceCount(std::string_view kind, std::string_view ns,
                                                 ResourceState state) const {
  auto kind_it = groups_.find(kind);
  if (kind_it == groups_.end()) {
    return 0;
  }
  auto it = kind_it->second.find(ns);
  if (it == kind_it->second.end()) {
    return 0;
  }
  return it->second->counts[static_cast<std::size_t>(state)];
}

void PrometheusTelemetry::EventEmitted(const DriftEvent& event) {
  families_->drift_events
      .Add({{"kind", KindLabel(event.resource)}, {"type", LowerAscii(EventTypeName(event.type))}})
      .Increment();
  if (options_.per_resource_series) {
    TrackResource(event);
  }
}

void PrometheusTelemetry::TrackResource(const DriftEvent& event) {
  std::string key = ResourceKey(event.resource);
  auto it = drifted_.find(key);
  if (event.type == EventType::kResolved) {
    if (it != drifted_.end()) {
      drifted_by_start_.erase({it->second.start, key});
      drifted_.erase(it);
    }
    return;
  }
  if (!IsDriftEvent(event.type)) {
    return;
  }
  std::string drift_kind =
      event.drift_kind.empty() ? LowerAscii(EventTypeName(event.type)) : event.drift_kind;
  if (it != drifted_.end()) {
    // Still drifted (a new resourceVersion or another drift kind): the drift began earlier.
    it->second.drift_kind = std::move(drift_kind);
    return;
  }
  double start = event.detected_unix_nanos > 0
                     ? static_cast<double>(event.detected_unix_nanos) / 1e9
                     : options_.clock();
  drifted_by_start_.emplace(start, key);
  drifted_.emplace(std::move(key),
                   DriftedResource{KindLabel(event.resource), event.resource.namespace_,
                                   event.resource.name, std::move(drift_kind), start});
}

void PrometheusTelemetry::AppendGroupFamilies(std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily resources;
  resources.name = "plumbline_resources";
  resources.help =
      "Tracked resources by kind, namespace and state (in_sync, modified, missing, extraneous, "
      "orphan).";
  resources.type = prometheus::MetricType::Gauge;
  prometheus::MetricFamily drift_start;
  drift_start.name = "plumbline_drift_start_timestamp_seconds";
  drift_start.help =
      "Unix time since which at least one resource of this kind in this namespace has been "
      "drifted without interruption; absent while none is.";
  drift_start.type = prometheus::MetricType::Gauge;
  std::size_t groups = 0;
  for (const auto& [kind, by_namespace] : groups_) {
    groups += by_namespace.size();
  }
  resources.metric.reserve(groups * kStateCount);
  for (const auto& [kind, by_namespace] : groups_) {
    for (const auto& [ns, group] : by_namespace) {
      // All five states from the first sight of a group, so "0 modified" is a sample, not an
      // absent series, and sum() and ratios behave.
      for (const ResourceState state : kStatesByName) {
        prometheus::ClientMetric metric;
        metric.label = {
            {"kind", kind}, {"namespace", ns}, {"state", Str(ResourceStateName(state))}};
        metric.gauge.value = static_cast<double>(group->counts[static_cast<std::size_t>(state)]);
        resources.metric.push_back(std::move(metric));
      }
      if (group->drifted > 0) {
        prometheus::ClientMetric metric;
        metric.label = {{"kind", kind}, {"namespace", ns}};
        metric.gauge.value = group->drift_start;
        drift_start.metric.push_back(std::move(metric));
      }
    }
  }
  for (auto* family : {&resources, &drift_start}) {
    if (!family->metric.empty()) {
      out.push_back(std::move(*family));
    }
  }
}

void PrometheusTelemetry::AppendPerResourceFamilies(
    std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily series;
  series.name = "plumbline_resource_drift_start_timestamp_seconds";
  series.help =
      "Opt-in, one per drifted resource (the oldest first, capped): Unix time its drift began.";
  series.type = prometheus::MetricType::Gauge;
  std::size_t shown = 0;
  for (const auto& [start, key] : drifted_by_start_) {
    if (shown == options_.per_resource_series_limit) {
      break;
    }
    const DriftedResource& r = drifted_.find(key)->second;
    prometheus::ClientMetric metric;
    // Sorted by label name, like the registry's own series.
    metric.label = {{"drift_kind", r.drift_kind},
                    {"kind", r.kind},
                    {"name", r.name},
                    {"namespace", r.namespace_name}};
    metric.gauge.value = start;
    series.metric.push_back(std::move(metric));
    ++shown;
  }
  // Chosen by age, shown in label order like every other family.
  std::sort(series.metric.begin(), series.metric.end(), LabelsLess);
  if (!series.metric.empty()) {
    out.push_back(std::move(series));
  }
  prometheus::MetricFamily omitted;
  omitted.name = "plumbline_resource_series_omitted";
  omitted.help =
      "Drifted resources left out of plumbline_resource_drift_start_timestamp_seconds by its "
      "limit.";
  omitted.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.gauge.value = static_cast<double>(drifted_.size() - shown);
  omitted.metric.push_back(std::move(metric));
  out.push_back(std::move(omitted));
}

void PrometheusTelemetry::SuppressedDifferences(std::string_view kind, std::uint64_t count) {
  families_->suppressed.Add({{"kind", Str(kind)}}).Increment(static_cast<double>(count));
}

void PrometheusTelemetry::DetectionLatency(double seconds) {
  families_->detection_latency.Add({}, DetectionBuckets()).Observe(seconds);
}

void PrometheusTelemetry::TargetsLoaded(std::string_view source, std::string_view revision,
                                        std::uint64_t resources, double unix_seconds) {
  auto it = target_revisions_.find(source);
  if (it == target_revisions_.end()) {
    it = target_revisions_.emplace(Str(source), Str(revision)).first;
  } else if (it->second != revision) {
    // One info series per source: the old revision's series goes.
    const Labels old_labels = {{"source", Str(source)}, {"revision", it->second}};
    if (families_->target_info.Has(old_labels)) {
      families_->target_info.Remove(&families_->target_info.Add(old_labels));
    }
    it->second = Str(revision);
  }
  families_->target_info.Add({{"source", Str(source)}, {"revision", Str(revision)}}).Set(1);
  const Labels labels = {{"source", Str(source)}};
  families_->target_resources.Add(labels).Set(static_cast<double>(resources));
  families_->target_render_time.Add(labels).Set(unix_seconds > 0 ? unix_seconds : options_.clock());
}

void PrometheusTelemetry::TargetRenderFailed(std::string_view reason) {
  families_->target_render_failures.Add({{"reason", Str(reason)}}).Increment();
}

void PrometheusTelemetry::ApiRequest(std::string_view verb, std::string_view resource,
                                     int http_code, double seconds) {
  families_->api_requests
      .Add({{"verb", Str(verb)}, {"resource", Str(resource)}, {"code", std::to_string(http_code)}})
      .Increment();
  families_->api_duration.Add({{"verb", Str(verb)}, {"resource", Str(resource)}}, ApiBuckets())
      .Observe(seconds);
}

void PrometheusTelemetry::WatchRestarted(std::string_view resource, std::string_view reason) {
  Watch(resource);
  families_->watch_restarts.Add({{"resource", Str(resource)}, {"reason", Str(reason)}}).Increment();
}

void PrometheusTelemetry::WatchRelisted(std::string_view resource) {
  Watch(resource).relists->Increment();
}

void PrometheusTelemetry::WatchEventReceived(std::string_view resource, double unix_seconds) {
  WatchSeries& watch = Watch(resource);
  watch.events->Increment();
  if (watch.last_event == nullptr) {
    watch.last_event = &families_->watch_last_event.Add({{"resource", Str(resource)}});
  }
  watch.last_event->Set(unix_seconds);
  if (unix_seconds > watch.activity) {
    watch.activity = unix_seconds;
    if (watch.last_activity == nullptr) {
      watch.last_activity = &families_->watch_last_activity.Add({{"resource", Str(resource)}});
    }
    watch.last_activity->Set(unix_seconds);
  }
}

void PrometheusTelemetry::WatchBookmark(std::string_view resource, double unix_seconds) {
  WatchSeries& watch = Watch(resource);
  if (watch.last_bookmark == nullptr) {
    watch.last_bookmark = &families_->watch_last_bookmark.Add({{"resource", Str(resource)}});
  }
  watch.last_bookmark->Set(unix_seconds);
  if (unix_seconds > watch.activity) {
    watch.activity = unix_seconds;
    if (watch.last_activity == nullptr) {
      watch.last_activity = &families_->watch_last_activity.Add({{"resource", Str(resource)}});
    }
    watch.last_activity->Set(unix_seconds);
  }
}

void PrometheusTelemetry::LeaderStatus(bool leading) {
  families_->leader.Add({}).Set(leading ? 1 : 0);
}

void PrometheusTelemetry::WatchSynced(std::string_view resource, bool synced) {
  WatchSeries& watch = Watch(resource);
  watch.synced->Set(synced ? 1 : 0);
  if (synced) {
    // A completed list is activity too: a quiet resource that just synced is not stalled.
    const double now = options_.clock();
    if (now > watch.activity) {
      watch.activity = now;
      if (watch.last_activity == nullptr) {
        watch.last_activity = &families_->watch_last_activity.Add({{"resource", Str(resource)}});
      }
      watch.last_activity->Set(now);
    }
  }
}

void PrometheusTelemetry::DeliverySent(std::string_view sink, std::uint64_t events) {
  SinkSeries& series = Sink(sink);
  series.successes->Increment();
  series.events_sent->Increment(static_cast<double>(events));
}

void PrometheusTelemetry::DeliveryFailed(std::string_view sink, std::string_view reason) {
  Sink(sink);
  families_->delivery_failures.Add({{"sink", Str(sink)}, {"reason", Str(reason)}}).Increment();
}

void PrometheusTelemetry::DeliveryRetried(std::string_view sink) {
  Sink(sink).retries->Increment();
}

void PrometheusTelemetry::DeliveryDropped(std::string_view sink, std::string_view reason,
                                          std::uint64_t events) {
  Sink(sink);
  families_->delivery_dropped.Add({{"sink", Str(sink)}, {"reason", Str(reason)}})
      .Increment(static_cast<double>(events));
}

void PrometheusTelemetry::SpoolBytes(std::string_view sink, std::uint64_t bytes,
                                     std::uint64_t capacity_bytes) {
  SinkSeries& series = Sink(sink);
  if (series.spool_bytes == nullptr) {
    series.spool_bytes = &families_->spool_bytes.Add({{"sink", Str(sink)}});
    series.spool_capacity = &families_->spool_capacity.Add({{"sink", Str(sink)}});
  }
  series.spool_bytes->Set(static_cast<double>(bytes));
  series.spool_capacity->Set(static_cast<double>(capacity_bytes));
}

void PrometheusTelemetry::Error(std::string_view component, std::string_view reason) {
  families_->errors.Add({{"component", Str(component)}, {"reason", Str(reason)}}).Increment();
}

std::string PrometheusTelemetry::RenderMetrics() const {
  std::vector<prometheus::MetricFamily> families = registry_.Collect();
  // The registry's series live in hash maps: sort for stable output. The families built here
  // come out sorted.
  for (auto& family : families) {
    std::sort(family.metric.begin(), family.metric.end(), LabelsLess);
  }
  AppendGroupFamilies(families);
  if (options_.per_resource_series) {
    AppendPerResourceFamilies(families);
  }
  std::sort(families.begin(), families.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

}  // namespace plumbline::exporters
