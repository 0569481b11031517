// Telemetry: the agent reports what happens to it through this interface; exporters/ turns it
// into Prometheus metrics. Every method has a no-op default so tests and `plumbline diff` need
// nothing. Called on the agent's io thread only; implementations that serve from other threads
// (the prometheus-cpp Exposer) must use thread-safe metric types.
//
// Label values are bounded by design: resource is "group/version/resource" of a watched kind,
// namespaces are those holding targets or in orphan scope, reasons are fixed short strings.
#pragma once

#include <cstdint>
#include <string_view>

#include "plumbline/common/drift_event.h"

namespace plumbline {

// The state of one tracked resource, as counted in plumbline_resources.
enum class ResourceState { kInSync, kModified, kMissing, kExtraneous, kOrphan };
std::string_view ResourceStateName(ResourceState state);  // "in_sync", "modified", ...

class Telemetry {
 public:
  virtual ~Telemetry() = default;

  // ---- drift state ----
  // One resource of `kind` ("Deployment.apps" style: Kind, or Kind.group) in `namespace_`
  // moved between states. `from` is empty when the resource was not tracked before, `to` when it
  // is no longer tracked. `since_unix_seconds` is when the new state began.
  virtual void ResourceStateChanged(std::string_view /*kind*/, std::string_view /*namespace_*/,
                                    const ResourceState* /*from*/, const ResourceState* /*to*/,
                                    double /*since_unix_seconds*/) {}
  virtual void EventEmitted(const DriftEvent& /*event*/) {}
  virtual void SuppressedDifferences(std::string_view /*kind*/, std::uint64_t /*count*/) {}
  // Detection latency: API server event received to event published.
  virtual void DetectionLatency(double /*seconds*/) {}

  // ---- targets ----
  virtual void TargetsLoaded(std::string_view /*source*/, std::string_view /*revision*/,
                             std::uint64_t /*resources*/, double /*unix_seconds*/) {}
  virtual void TargetRenderFailed(std::string_view /*reason*/) {}

  // ---- Kubernetes API ----
  virtual void ApiRequest(std::string_view /*verb*/, std::string_view /*resource*/,
                          int /*http_code*/, double /*seconds*/) {}
  // Watch health per resource. reason: "gone", "timeout", "network", "http_5xx", "http_429",
  // "decode", "forbidden", ...
  virtual void WatchRestarted(std::string_view /*resource*/, std::string_view /*reason*/) {}
  virtual void WatchRelisted(std::string_view /*resource*/) {}
  virtual void WatchEventReceived(std::string_view /*resource*/, double /*unix_seconds*/) {}
  virtual void WatchBookmark(std::string_view /*resource*/, double /*unix_seconds*/) {}
  virtual void WatchSynced(std::string_view /*resource*/, bool /*synced*/) {}
  // Leader election (when enabled): this replica holds the Lease, or stands by.
  virtual void LeaderStatus(bool /*leading*/) {}

  // ---- delivery (per sink) ----
  virtual void DeliverySent(std::string_view /*sink*/, std::uint64_t /*events*/) {}
  virtual void DeliveryFailed(std::string_view /*sink*/, std::string_view /*reason*/) {}
  virtual void DeliveryRetried(std::string_view /*sink*/) {}
  virtual void DeliveryDropped(std::string_view /*sink*/, std::string_view /*reason*/,
                               std::uint64_t /*events*/) {}
  virtual void SpoolBytes(std::string_view /*sink*/, std::uint64_t /*bytes*/,
                          std::uint64_t /*capacity_bytes*/) {}

  // ---- errors (STYLE.md §5: plumbline_errors_total{component,reason}) ----
  virtual void Error(std::string_view /*component*/, std::string_view /*reason*/) {}
};

// A Telemetry that records nothing.
Telemetry& NullTelemetry();

}  // namespace plumbline
