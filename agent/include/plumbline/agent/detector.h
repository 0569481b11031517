// Detector: turns the reflectors' snapshots and watch events into drift transitions.
//
// Per live object it keeps only what a verdict needs (docs/events.md, ARCHITECTURE.md "State"):
// a hash of the uid, the resourceVersion, the two engine digests, the state and when it began
// (about 100 bytes plus the map node). The engine's fast path (Engine::Digest) runs on every
// event; the full comparison (Engine::Compare: paths, owners, patch, diff) only when the digests
// say the object drifted in a new way. Events are emitted on transitions only:
//   in sync -> drifted            Drifted       (and again when the drift itself changes)
//   drifted/missing -> in sync    Resolved
//   live object deleted           Missing       (declared objects)
//   no target, tracking marker    Extraneous
//   no target, orphan scope       Orphan        (Resolved when it goes away)
//   kubectl rollout restart       Info
// A relist delivers objects again; an unchanged resourceVersion under the same targets is
// skipped, so restarts of watches never produce duplicate events.
//
// Threading: one thread (the agent's io thread); not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <simdjson.h>

#include "plumbline/agent/reflector.h"
#include "plumbline/agent/target_set.h"
#include "plumbline/common/drift_event.h"
#include "plumbline/common/telemetry.h"
#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"

namespace plumbline::agent {

struct DetectorOptions {
  std::string cluster;  // the cluster name carried by every event
  // Wall-clock source in nanoseconds since the epoch (tests inject a fixed clock).
  std::function<std::int64_t()> now_unix_nanos;
};

// Receives every event the detector emits, in order.
using EventCallback = std::function<void(std::shared_ptr<const DriftEvent>)>;

class Detector : public ReflectorHandler {
 public:
  Detector(const hashing::Policy& policy, const hashing::SecretHasher& hasher,
           DetectorOptions options, EventCallback emit, Telemetry& telemetry);
  ~Detector() override;
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Installs a target set. Objects already tracked are re-judged when they are delivered again
  // (the caller resyncs every reflector after this). Targets of kinds whose snapshot is
  // complete and that have no live object become Missing at their kind's next OnSynced.
  void SetTargets(std::shared_ptr<const TargetSet> targets);
  const TargetSet* targets() const { return targets_.get(); }

  // ReflectorHandler, for reflectors that watch all namespaces.
  void OnResync(const ApiResource& resource) override;
  void OnObject(const ApiResource& resource, WatchEventType type, simdjson::dom::element object,
                std::int64_t received_unix_nanos) override;
  void OnSynced(const ApiResource& resource) override;

  // The same for a reflector that watches one namespace (`scope`); snapshots of different
  // scopes of one kind are independent. Kinds with targets are always watched cluster-wide.
  void OnResyncIn(const ApiResource& resource, std::string_view scope);
  void OnObjectIn(const ApiResource& resource, std::string_view scope, WatchEventType type,
                  simdjson::dom::element object, std::int64_t received_unix_nanos);
  void OnSyncedIn(const ApiResource& resource, std::string_view scope);
  // Forgets what a scoped reflector delivered, without events (its kind moved to a
  // cluster-wide watch).
  void DropScope(const ApiResource& resource, std::string_view scope);

  // Keys ("group/Kind/namespace/name") of workloads an HPA scales, from watched HPAs. When the
  // set changes for a kind, `on_hpa_change` is told which (group, kind) to resync.
  void SetHpaChangeCallback(std::function<void(std::string group, std::string kind)> callback);

  // Counts, for tests and /readyz diagnostics.
  struct Counts {
    std::size_t tracked = 0;  // live objects with state
    std::size_t in_sync = 0;
    std::size_t modified = 0;
    std::size_t missing = 0;
    std::size_t extraneous = 0;
    std::size_t orphan = 0;
    std::uint64_t fast_path = 0;  // events settled by digests alone
    std::uint64_t compares = 0;   // full comparisons run
    std::uint64_t skipped = 0;    // redelivered with the same resourceVersion
  };
  Counts counts() const;

  // Approximate bytes of per-object state (map nodes, keys, states), for bench/.
  std::size_t StateBytes() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<const TargetSet> targets_;
};

}  // namespace plumbline::agent
