#include "plumbline/agent/agent.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "plumbline/agent/discovery.h"
#include "plumbline/agent/reflector.h"
#include "plumbline/agent/target_set.h"
#include "plumbline/render/process.h"
#include "plumbline/render/targets.h"

#include "standby_buffer.h"

namespace plumbline::agent {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
// Events a standby holds at most (the window is two lease durations; a burst beyond this
// loses the oldest, which the old leader delivered long before it stopped renewing).
constexpr std::size_t kStandbyCapacity = 10'000;

spdlog::logger& Log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("agent")) {
      return existing;
    }
    return spdlog::stderr_logger_mt("agent");
  }();
  return *logger;
}

void LogLoopEnd(std::string what, std::exception_ptr e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    Log().error("msg=\"loop failed\" loop={} error=\"{}\"", what, ex.what());
  }
}

bool IsScalableKind(const GroupKind& gk) {
  return gk.group == "apps" &&
         (gk.kind == "Deployment" || gk.kind == "StatefulSet" || gk.kind == "ReplicaSet");
}

// A cheap fingerprint of what the targets path holds: a Git revision when one is asked for,
// else every file's path, size and modification time (a git-sync sidecar swaps a symlink; the
// walk follows it).
std::string Fingerprint(const std::string& path, const std::string& revision) {
  if (!revision.empty()) {
    auto r = render::RunChecked(
        {"git", "-C", path, "rev-parse", "--verify", revision + "^{commit}"}, "git");
    return r ? "git:" + *r : "git-error";
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  auto add = [&](const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      return;
    }
    const std::string& name = p.native();
    XXH3_64bits_update(state, name.data(), name.size() + 1);
    const std::int64_t fields[] = {
        static_cast<std::int64_t>(st.st_size), static_cast<std::int64_t>(st.st_mtim.tv_sec),
        static_cast<std::int64_t>(st.st_mtim.tv_nsec), static_cast<std::int64_t>(st.st_ino)};
    XXH3_64bits_update(state, fields, sizeof fields);
  };
  std::error_code ec;
  const fs::path root = fs::canonical(path, ec);
  add(ec ? fs::path(path) : root);
  if (!ec && fs::is_directory(root, ec)) {
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator
             it(root, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
      if (it->path().filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      add(f);
    }
  }
  const std::uint64_t h = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return std::to_string(h);
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

const std::vector<std::string>& DefaultOrphanKinds() {
  static const std::vector<std::string> kinds = {"ConfigMap",
                                                 "Secret",
                                                 "Service",
                                                 "ServiceAccount",
                                                 "PersistentVolumeClaim",
                                                 "Pod",
                                                 "Deployment.apps",
                                                 "StatefulSet.apps",
                                                 "DaemonSet.apps",
                                                 "Job.batch",
                                                 "CronJob.batch",
                                                 "Ingress.networking.k8s.io",
                                                 "NetworkPolicy.networking.k8s.io",
                                                 "Role.rbac.authorization.k8s.io",
                                                 "RoleBinding.rbac.authorization.k8s.io",
                                                 "HorizontalPodAutoscaler.autoscaling"};
  return kinds;
}

// Forwards a namespaced reflector's snapshots to the detector's scoped entry points.
class ScopedHandler : public ReflectorHandler {
 public:
  ScopedHandler(Detector& detector, std::string scope)
      : detector_(detector), scope_(std::move(scope)) {}
  void OnResync(const ApiResource& r) override { detector_.OnResyncIn(r, scope_); }
  void OnObject(const ApiResource& r, WatchEventType type, simdjson::dom::element object,
                std::int64_t received_unix_nanos) override {
    detector_.OnObjectIn(r, scope_, type, object, received_unix_nanos);
  }
  void OnSynced(const ApiResource& r) override { detector_.OnSyncedIn(r, scope_); }

 private:
  Detector& detector_;
  std::string scope_;
};

class Agent::Impl {
 public:
  Impl(asio::io_context& io, AgentOptions options, ClusterConfig cluster,
       const hashing::Policy& policy, const hashing::SecretHasher& hasher,
       std::vector<EventSink*> sinks, Telemetry& telemetry)
      : io_(io),
        options_(std::move(options)),
        policy_(policy),
        hasher_(hasher),
        sinks_(std::move(sinks)),
        telemetry_(telemetry),
        client_(io.get_executor(), std::move(cluster), options_.api, telemetry),
        discovery_(client_),
        detector_(
            policy, hasher, DetectorOptions{options_.cluster_name, {}},
            [this](std::shared_ptr<const DriftEvent> e) { Publish(std::move(e)); }, telemetry),
        status_(io.get_executor()),
        poll_timer_(io),
        retry_timer_(io) {
    detector_.SetHpaChangeCallback([this](std::string group, std::string kind) {
      for (auto& [key, w] : watches_) {
        if (w.resource.group == group && w.resource.kind == kind) {
          w.reflector->RequestResync();
        }
      }
    });
  }

  Status Start() {
    if (options_.leader_election.enabled) {
      PLUMBLINE_RETURN_IF_ERROR(ValidateLeaderElection(options_.leader_election));
    }
    auto bundle = LoadBundle();
    if (!bundle) {
      return bundle.error();
    }
    fingerprint_ = Fingerprint(options_.targets, options_.revision);
    Install(std::move(*bundle));
    status_.Handle("/healthz", [] { return StatusResponse{200, "text/plain", "ok\n"}; });
    status_.Handle("/readyz", [this] { return Readiness(); });
    auto port = status_.Start(options_.status_address);
    if (!port) {
      return port.error();
    }
    status_port_ = *port;
    Log().info("msg=\"status endpoint\" address={} port={}", options_.status_address, *port);
    if (options_.leader_election.enabled) {
      elector_ = std::make_unique<LeaderElector>(
          client_, options_.leader_election, [this](bool leading) { OnLeadership(leading); },
          telemetry_);
      standby_.emplace(2 * options_.leader_election.lease_duration, kStandbyCapacity);
      asio::co_spawn(io_, elector_->Run(),
                     [](std::exception_ptr e) { LogLoopEnd("leader election", e); });
    }
    asio::co_spawn(io_, Run(), [](std::exception_ptr e) { LogLoopEnd("main", e); });
    return Status::Ok();
  }

  void HandleStatus(std::string path, StatusServer::Handler handler) {
    status_.Handle(std::move(path), std::move(handler));
  }

  void Stop() {
    if (stopping_) {
      return;
    }
    stopping_ = true;
    Log().info("msg=\"stopping\"");
    if (elector_) {
      elector_->Stop();  // releases the Lease, so that the standby takes over at once
    }
    poll_timer_.cancel();
    retry_timer_.cancel();
    for (auto& [key, w] : watches_) {
      w.reflector->Stop();
    }
    status_.Stop();
    for (EventSink* sink : sinks_) {
      sink->Close();
    }
    client_.CloseIdle();
  }

  bool ready() const {
    if (!discovered_ || !unresolved_.empty()) {
      return false;
    }
    return std::all_of(watches_.begin(), watches_.end(),
                       [](const auto& kv) { return kv.second.reflector->synced(); });
  }

  std::uint16_t status_port() const { return status_port_; }
  const Detector& detector() const { return detector_; }

 private:
  struct Watch {
    ApiResource resource;
    std::string scope;  // namespace, or "" for all
    std::unique_ptr<ScopedHandler> scoped_handler;
    std::unique_ptr<Reflector> reflector;
  };

  Result<render::Bundle> LoadBundle() { return LoadTargets(options_, policy_, hasher_); }

  static Result<render::Bundle> LoadTargets(const AgentOptions& options,
                                            const hashing::Policy& policy,
                                            const hashing::SecretHasher& hasher) {
    render::RenderOptions render_options;
    render_options.namespace_ = options.namespace_;
    render_options.revision = options.revision;
    return render::LoadTargets(options.targets, render_options, policy, hasher,
                               options.hmac_key_id);
  }

  struct RenderOutcome {
    std::string fingerprint;
    std::optional<Result<render::Bundle>> bundle;  // set when the fingerprint changed
  };

  // Runs on the render thread: everything it touches is a copy or immutable (the policy; the
  // hasher is thread-safe).
  static asio::awaitable<RenderOutcome> RenderIfChanged(AgentOptions options, std::string previous,
                                                        const hashing::Policy* policy,
                                                        const hashing::SecretHasher* hasher) {
    RenderOutcome out;
    out.fingerprint = Fingerprint(options.targets, options.revision);
    if (out.fingerprint != previous) {
      out.bundle = LoadTargets(options, *policy, *hasher);
    }
    co_return out;
  }

  void Install(render::Bundle bundle) {
    const std::size_t count = bundle.entries.size();
    auto set = TargetSet::FromBundle(std::move(bundle), ++generation_);
    Log().info("msg=\"targets loaded\" source={} resources={} generation={}", set->Describe(),
               count, generation_);
    const auto& sources = set->sources();
    telemetry_.TargetsLoaded(sources.empty() ? options_.targets : set->Describe(),
                             sources.empty() ? "" : sources.front().revision, count, NowSeconds());
    detector_.SetTargets(std::move(set));
  }

  StatusResponse Readiness() const {
    if (ready()) {
      if (!ready_logged_) {
        // Once, at the first ready answer: what the tracked objects cost (bench/run-agent reads
        // it; the 64 MB goal of issue 4 is about this state, targets excluded).
        ready_logged_ = true;
        Log().info("msg=\"ready\" stateBytes={}", detector_.StateBytes());
      }
      return {200, "text/plain", "ready\n"};
    }
    std::string body = "not ready:";
    if (!discovered_) {
      body += " discovery pending";
    }
    for (const auto& gk : unresolved_) {
      body += " " + gk + " (not served)";
    }
    for (const auto& [key, w] : watches_) {
      if (!w.reflector->synced()) {
        body += " " + key + " (syncing)";
      }
    }
    return {503, "text/plain", body + "\n"};
  }

  void Publish(std::shared_ptr<const DriftEvent> event) {
    Log().debug("msg=\"event\" type={} resource={} id={}", EventTypeName(event->type),
                ResourceKey(event->resource), event->id);
    if (elector_) {
      standby_->Track(event);
      if (!elector_->leading()) {
        standby_->Hold(std::move(event), std::chrono::steady_clock::now());
        return;
      }
    }
    Deliver(event);
  }

  void Deliver(const std::shared_ptr<const DriftEvent>& event) {
    for (EventSink* sink : sinks_) {
      sink->Publish(event);
    }
  }

  // Taking over: deliver the current drift of every resource (stateful sinks such as
  // Alertmanager rebuild their state from it) and what this replica saw while on standby that
  // the old leader may have missed; receivers drop the repeats by event id.
  void OnLeadership(bool leading) {
    if (!leading || stopping_) {
      return;
    }
    auto held = standby_->Take(std::chrono::steady_clock::now());
    Log().info("msg=\"leading: delivering\" events={} drifted={}", held.size(),
               standby_->drifted());
    for (const auto& event : held) {
      Deliver(event);
    }
  }

  asio::awaitable<void> Run() {
    co_await Discover();
    if (stopping_) {
      co_return;
    }
    SyncWatches();
    asio::co_spawn(io_, PollTargets(), [](std::exception_ptr e) { LogLoopEnd("targets", e); });
  }

  // Discovery, retried with backoff until it succeeds or the agent stops.
  asio::awaitable<void> Discover() {
    std::chrono::milliseconds delay(800);
    while (!stopping_) {
      Status s = co_await discovery_.Refresh();
      if (s) {
        discovered_ = true;
        co_return;
      }
      Log().warn("msg=\"discovery failed\" error=\"{}\" retry_in_ms={}", s.error().message,
                 delay.count());
      telemetry_.Error("discovery", "failed");
      retry_timer_.expires_after(delay);
      co_await retry_timer_.async_wait(kUseAwaitable);
      delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
    }
  }

  // The watches the current targets need: their kinds cluster-wide (at the version Git
  // declares), HPAs when workloads are declared, and common kinds in orphan-scope namespaces.
  void SyncWatches() {
    std::map<std::string, std::pair<ApiResource, std::string>> wanted;
    std::set<std::string> cluster_wide;  // "group/Kind"
    unresolved_.clear();
    const TargetSet* targets = detector_.targets();
    std::vector<GroupKind> kinds = targets != nullptr ? targets->Kinds() : std::vector<GroupKind>{};
    const bool workloads = std::any_of(kinds.begin(), kinds.end(), IsScalableKind);
    if (workloads) {
      kinds.push_back({"autoscaling", "HorizontalPodAutoscaler"});
    }
    for (const GroupKind& gk : kinds) {
      if (cluster_wide.contains(gk.group + "/" + gk.kind)) {
        continue;
      }
      const ApiResource* resource = nullptr;
      if (const auto* of_kind = targets != nullptr ? targets->OfKind(gk.group, gk.kind) : nullptr;
          of_kind != nullptr && !of_kind->empty()) {
        resource = discovery_.Find(gk.group, of_kind->begin()->second->target.id.version, gk.kind);
      }
      if (resource == nullptr) {
        resource = discovery_.Find(gk.group, gk.kind);
      }
      if (resource == nullptr) {
        unresolved_.insert(gk.Label());
        continue;
      }
      cluster_wide.insert(gk.group + "/" + gk.kind);
      wanted.emplace(resource->Label(), std::make_pair(*resource, std::string()));
    }
    if (policy_.orphans_enabled) {
      const auto& orphan_kinds =
          options_.orphan_kinds.empty() ? DefaultOrphanKinds() : options_.orphan_kinds;
      for (const std::string& label : orphan_kinds) {
        const auto dot = label.find('.');
        const std::string kind = label.substr(0, dot);
        const std::string group = dot == std::string::npos ? "" : label.substr(dot + 1);
        if (cluster_wide.contains(group + "/" + kind)) {
          continue;
        }
        const ApiResource* resource = discovery_.Find(group, kind);
        if (resource == nullptr || !resource->namespaced) {
          continue;  // optional kinds: not every cluster serves them
        }
        for (const std::string& ns : policy_.orphan_namespaces) {
          wanted.emplace(resource->Label() + "@" + ns, std::make_pair(*resource, ns));
        }
      }
    }
    for (const auto& gk : unresolved_) {
      Log().warn("msg=\"kind not served; its targets wait\" kind={}", gk);
      telemetry_.Error("discovery", "kind_not_served");
    }
    // Stop what is no longer wanted.
    for (auto it = watches_.begin(); it != watches_.end();) {
      if (wanted.contains(it->first)) {
        ++it;
        continue;
      }
      Log().info("msg=\"unwatch\" resource={}", it->first);
      it->second.reflector->Stop();
      if (!it->second.scope.empty()) {
        detector_.DropScope(it->second.resource, it->second.scope);
      }
      retired_.push_back(std::move(it->second));
      it = watches_.erase(it);
    }
    // Start what is new; resync the rest so the new targets are judged.
    for (auto& [key, spec] : wanted) {
      if (auto it = watches_.find(key); it != watches_.end()) {
        it->second.reflector->RequestResync();
        continue;
      }
      Watch w;
      w.resource = spec.first;
      w.scope = spec.second;
      ReflectorOptions ro;
      ro.page_size = options_.page_size;
      ro.use_watch_list = options_.use_watch_list;
      ro.namespace_ = w.scope;
      ReflectorHandler* handler = &detector_;
      if (!w.scope.empty()) {
        w.scoped_handler = std::make_unique<ScopedHandler>(detector_, w.scope);
        handler = w.scoped_handler.get();
      }
      w.reflector = std::make_unique<Reflector>(client_, w.resource, *handler, ro, telemetry_);
      Log().info("msg=\"watch\" resource={} namespace={}", w.resource.Label(),
                 w.scope.empty() ? "*" : w.scope);
      asio::co_spawn(io_, w.reflector->Run(),
                     [label = key](std::exception_ptr e) { LogLoopEnd("watch " + label, e); });
      watches_.emplace(key, std::move(w));
    }
  }

  // Checks the targets for changes and renders them again (on a helper thread: helm, kustomize
  // and git can take seconds, and detection must not wait for them).
  asio::awaitable<void> PollTargets() {
    auto last_discovery = std::chrono::steady_clock::now();
    while (!stopping_) {
      poll_timer_.expires_after(options_.targets_poll_interval);
      co_await poll_timer_.async_wait(kUseAwaitable);
      if (stopping_) {
        co_return;
      }
      // Kinds not served yet (a CRD applied after the agent started): look again.
      if (!unresolved_.empty() &&
          std::chrono::steady_clock::now() - last_discovery > std::chrono::seconds(30)) {
        last_discovery = std::chrono::steady_clock::now();
        if (Status s = co_await discovery_.Refresh(); s) {
          SyncWatches();
        }
      }
      RenderOutcome outcome = co_await asio::co_spawn(
          render_pool_, RenderIfChanged(options_, fingerprint_, &policy_, &hasher_),
          asio::use_awaitable);
      std::string& fingerprint = outcome.fingerprint;
      std::optional<Result<render::Bundle>>& bundle = outcome.bundle;
      if (!bundle || stopping_) {
        continue;
      }
      if (!*bundle) {
        // Keep the previous targets: a broken commit must not turn every object into drift.
        Log().error("msg=\"targets failed to render; keeping the previous revision\" error=\"{}\"",
                    bundle->error().message);
        telemetry_.TargetRenderFailed("render");
        fingerprint_ = fingerprint;  // retried when the source changes again
        continue;
      }
      fingerprint_ = fingerprint;
      Install(std::move(**bundle));
      SyncWatches();
    }
  }

  asio::io_context& io_;
  AgentOptions options_;
  const hashing::Policy& policy_;
  const hashing::SecretHasher& hasher_;
  std::vector<EventSink*> sinks_;
  std::unique_ptr<LeaderElector> elector_;  // when leader election is on
  std::optional<StandbyBuffer> standby_;    // events seen while not leading
  Telemetry& telemetry_;
  ApiClient client_;
  Discovery discovery_;
  Detector detector_;
  mutable bool ready_logged_ = false;  // Readiness() has logged the first ready answer
  StatusServer status_;
  asio::steady_timer poll_timer_;
  asio::steady_timer retry_timer_;
  asio::thread_pool render_pool_{1};

  // Only touched on the io thread.
  std::map<std::string, Watch> watches_;  // "group/version/resource" [+ "@namespace"]
  std::vector<Watch> retired_;            // stopped; kept until the io_context ends
  std::set<std::string> unresolved_;      // target kinds the server does not serve
  std::uint32_t generation_ = 0;
  std::string fingerprint_;
  std::uint16_t status_port_ = 0;
  bool discovered_ = false;
  bool stopping_ = false;
};

Agent::Agent(asio::io_context& io, AgentOptions options, ClusterConfig cluster,
             const hashing::Policy& policy, const hashing::SecretHasher& hasher,
             std::vector<EventSink*> sinks, Telemetry& telemetry)
    : impl_(std::make_unique<Impl>(io, std::move(options), std::move(cluster), policy, hasher,
                                   std::move(sinks), telemetry)) {}

Agent::~Agent() = default;

Status Agent::Start() { return impl_->Start(); }
void Agent::HandleStatus(std::string path, StatusServer::Handler handler) {
  impl_->HandleStatus(std::move(path), std::move(handler));
}
void Agent::Stop() { impl_->Stop(); }
bool Agent::ready() const { return impl_->ready(); }
std::uint16_t Agent::status_port() const { return impl_->status_port(); }
const Detector& Agent::detector() const { return impl_->detector(); }

}  // namespace plumbline::agent
