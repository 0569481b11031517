// Agent: `plumbline agent`, one per cluster. Loads the desired state (a bundle, or a source it
// renders and renders again when it changes on disk), discovers the served resources, runs one
// Reflector per watched kind (the kinds the targets declare, HPAs when workloads are declared,
// and common kinds in orphan-scope namespaces), feeds the Detector, and publishes its events to
// every sink. Serves /healthz and /readyz (ready once every watched kind has synced).
//
// Threading: everything runs on the io_context given at construction, on one thread; rendering
// a changed source runs on a helper thread and hands the result back to the io thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "plumbline/agent/api_client.h"
#include "plumbline/agent/detector.h"
#include "plumbline/agent/kube_config.h"
#include "plumbline/agent/leader_elector.h"
#include "plumbline/agent/status_server.h"
#include "plumbline/common/event_sink.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"
#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"

namespace plumbline::agent {

struct AgentOptions {
  std::string cluster_name = "default";
  std::string targets;     // bundle file or source (file, folder, Kustomize, Helm, Git repo)
  std::string namespace_;  // -n: default namespace of targets that declare none
  std::string revision;    // Git revision to read a repository source at ("" = work tree)
  // How often the source is checked for changes (a git-sync sidecar swaps the checkout).
  std::chrono::milliseconds targets_poll_interval{10'000};
  std::string hmac_key_id;                      // KeyId of the masking key (bundles must match it)
  std::string status_address = "0.0.0.0:8080";  // /healthz, /readyz, /metrics
  ApiClientOptions api;
  bool use_watch_list = true;
  std::size_t page_size = 500;
  // Kinds watched in orphan-scope namespaces (besides the target kinds), as "Kind" or
  // "Kind.group"; empty: the built-in list (docs/configuration.md).
  std::vector<std::string> orphan_kinds;
  // Two replicas: both watch and detect; only the Lease holder delivers to the sinks. On taking
  // over, a replica delivers the current drift of every resource and its events of the last two
  // lease durations.
  LeaderElectionOptions leader_election;
};

class Agent {
 public:
  // `policy`, `hasher`, `sinks` and `telemetry` must outlive the agent.
  Agent(boost::asio::io_context& io, AgentOptions options, ClusterConfig cluster,
        const hashing::Policy& policy, const hashing::SecretHasher& hasher,
        std::vector<EventSink*> sinks, Telemetry& telemetry);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Loads the targets (an error here is a startup error) and starts serving status and
  // watching. Returns at once; the work runs on the io_context.
  Status Start();
  // Registers another status endpoint (/metrics). Before Start().
  void HandleStatus(std::string path, StatusServer::Handler handler);
  // Stops watches, the status server and the sinks; run() returns once they have ended.
  void Stop();

  bool ready() const;
  std::uint16_t status_port() const;
  const Detector& detector() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Kinds watched in orphan-scope namespaces by default.
const std::vector<std::string>& DefaultOrphanKinds();

}  // namespace plumbline::agent
