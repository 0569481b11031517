// LeaderElector: Lease-based leader election (coordination.k8s.io/v1) for two agent replicas,
// with client-go's algorithm and defaults (15 s lease, 10 s renew deadline, 2 s retry period).
// The one place the agent writes: it creates and updates its own Lease, nothing else.
//
// A candidate reads the Lease every retry period. It takes the Lease when nobody holds it, when
// the holder released it, or when the holder's record has not changed for a lease duration as
// seen on this candidate's own clock (client-go's rule: never compare the server's timestamps
// with the local clock, the clocks may disagree). Updates carry the read resourceVersion, so of
// two candidates one wins and the other gets 409. The leader renews every retry period and
// steps down when no renewal succeeded within the renew deadline, before its Lease can expire
// for the others. Stop() releases a held Lease (holderIdentity cleared) so that the standby
// takes over at once on a rolling update.
//
// Threading: runs on the ApiClient's executor (the agent's io thread). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "plumbline/agent/api_client.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"

namespace plumbline::agent {

struct LeaderElectionOptions {
  bool enabled = false;
  std::string lease_namespace;  // "" = the agent's namespace (in-cluster), else "default"
  std::string lease_name = "plumbline-agent";
  std::string identity;  // "" = the pod name ($POD_NAME) or host name, plus a random suffix
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

// The parts of a Lease the election reads and writes.
struct LeaseRecord {
  std::string holder_identity;
  std::int64_t lease_duration_seconds = 0;
  std::string acquire_time;  // RFC 3339 with microseconds, as the API server writes MicroTime
  std::string renew_time;
  std::int64_t lease_transitions = 0;
  std::string resource_version;

  bool operator==(const LeaseRecord&) const = default;
};

// Parses a Lease object (JSON). An error names what is missing or malformed.
Result<LeaseRecord> ParseLease(std::string_view json);
// The Lease object for a create (no resourceVersion) or an update (with it).
std::string LeaseJson(const LeaseRecord& record, std::string_view name,
                      std::string_view namespace_);
// Validates the options: durations positive, renew deadline below the lease duration and above
// the retry period (client-go's checks).
Status ValidateLeaderElection(const LeaderElectionOptions& options);
// The identity used when none is configured: $POD_NAME or the host name, "_", 8 random hex.
std::string DefaultIdentity();

class LeaderElector {
 public:
  // `on_change(true)` when this replica becomes the leader, `on_change(false)` when it stops
  // being it (renewal failed past the deadline, or Stop()). `client` must outlive the elector.
  LeaderElector(ApiClient& client, LeaderElectionOptions options,
                std::function<void(bool leading)> on_change,
                Telemetry& telemetry = NullTelemetry());
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Runs the election until Stop(); then releases the Lease if held, and returns.
  Awaitable<void> Run();
  // Ends Run() soon (it releases a held Lease first). Safe to call more than once.
  void Stop();

  bool leading() const;
  const LeaderElectionOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumbline::agent
