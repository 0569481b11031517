// Reflector: keeps one watched resource (e.g. apps/v1 deployments) mirrored into a handler,
// the way client-go's reflector does: LIST with pagination (or a watch-list with
// sendInitialEvents when the server offers it), then WATCH from the list's resourceVersion with
// bookmarks; 410 in either form (HTTP 410 or an ERROR event with code 410) leads to a relist;
// 429/5xx honour Retry-After; reconnects back off exponentially with jitter (0.8 s to 30 s).
//
// The handler sees a snapshot protocol, so a relist never produces spurious changes:
//   OnResync(r)                 a full snapshot of r begins
//   OnObject(r, kAdded, obj)    once per object of the snapshot
//   OnSynced(r)                 the snapshot is complete: objects of r not delivered since
//                               OnResync no longer exist
//   OnObject(r, type, obj)      watch events after that (kAdded, kModified, kDeleted)
// The same object may be delivered again with the same resourceVersion (after a relist); the
// handler is expected to be idempotent.
//
// Threading: runs on the agent's io thread; handler callbacks are made there. `object` is only
// valid during the callback (it points into the reflector's parser). Items of a LIST page come
// as the API server sends them, which may be without `apiVersion`/`kind` (use the ApiResource).
// Callbacks must not destroy the Reflector; they may call Stop() and RequestResync().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <simdjson.h>

#include "plumbline/agent/api_client.h"
#include "plumbline/agent/backoff.h"
#include "plumbline/common/telemetry.h"

namespace plumbline::agent {

// A served resource, from discovery.
struct ApiResource {
  std::string group;     // "" for core
  std::string version;   // "v1"
  std::string resource;  // plural, "deployments"
  std::string kind;      // "Deployment"
  bool namespaced = true;

  // "group/version/resource" ("/v1/pods" for core), the label used in logs and metrics.
  std::string Label() const { return group + "/" + version + "/" + resource; }
};

enum class WatchEventType { kAdded, kModified, kDeleted };

class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  virtual void OnResync(const ApiResource& resource) = 0;
  // `received_unix_nanos`: when the bytes of this event were read from the socket (for
  // detection latency).
  virtual void OnObject(const ApiResource& resource, WatchEventType type,
                        simdjson::dom::element object, std::int64_t received_unix_nanos) = 0;
  virtual void OnSynced(const ApiResource& resource) = 0;
};

struct ReflectorOptions {
  std::size_t page_size = 500;  // LIST limit; 0: no pagination
  // Watch-list (sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=
  // NotOlderThan) instead of LIST+WATCH. When the server rejects it (400/415/422), sends a
  // bookmark without k8s.io/initial-events-end first, or never ends the initial events within
  // watch_list_timeout, the reflector falls back to LIST+WATCH for good.
  bool use_watch_list = true;
  std::chrono::milliseconds watch_list_timeout{60'000};
  // timeoutSeconds of each watch: watch_timeout * (1 + random), 5 to 10 minutes (client-go).
  std::chrono::seconds watch_timeout{300};
  // Longest silence on a watch before it counts as broken; 0: its timeoutSeconds + 60 s.
  std::chrono::milliseconds watch_idle_timeout{0};
  std::string namespace_;  // empty: all namespaces (cluster-scoped resources ignore it)
  std::string label_selector;
  std::string field_selector;
  // Reconnect pacing (client-go: 0.8 s doubling to 30 s, jitter 1.0, reset after 2 min).
  BackoffPolicy backoff;
  std::function<double()> random;  // [0, 1), for backoff and timeout jitter; unset: seeded PRNG
  std::chrono::seconds max_retry_after{600};  // a larger Retry-After is capped
};

// What a reflector did, for tests and debugging.
struct ReflectorStats {
  std::uint64_t lists = 0;      // LIST requests (pages)
  std::uint64_t watches = 0;    // WATCH requests (watch-list included)
  std::uint64_t snapshots = 0;  // OnSynced calls
  std::uint64_t events = 0;     // ADDED/MODIFIED/DELETED watch events delivered
  std::uint64_t bookmarks = 0;
  std::uint64_t gone = 0;  // 410 in either form
  std::uint64_t retry_after_waits = 0;
  std::uint64_t backoff_waits = 0;
  std::chrono::milliseconds last_wait{0};  // the last backoff or Retry-After wait
};

class Reflector : private LineHandler {
 public:
  // `client`, `handler` and `telemetry` must outlive the reflector.
  Reflector(ApiClient& client, ApiResource resource, ReflectorHandler& handler,
            ReflectorOptions options = {}, Telemetry& telemetry = NullTelemetry());
  ~Reflector() override;
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Lists and watches until Stop(). Start it with co_spawn and a completion handler
  // (STYLE.md §6); run at most one Run() at a time.
  boost::asio::awaitable<void> Run();

  // Ends Run(): the request in flight or the wait is cancelled; Run returns soon after.
  void Stop();

  // Delivers a fresh snapshot (OnResync .. OnSynced) as soon as possible: the current watch is
  // closed and the resource listed again. A wait for Retry-After or backoff is not cut short.
  void RequestResync();

  // Whether a first snapshot has completed (stays true across later relists).
  bool synced() const { return synced_; }
  // The last resourceVersion seen (list, event or bookmark); the next watch starts there.
  const std::string& resource_version() const { return resource_version_; }
  // False once the server was found not to support watch-list.
  bool watch_list_enabled() const { return use_watch_list_; }
  bool running() const { return running_; }
  const ApiResource& resource() const { return resource_; }
  const ReflectorStats& stats() const { return stats_; }

 private:
  enum class Next { kNow, kRelist, kBackoff, kRetryAfter, kFallback, kStop };
  struct Outcome {
    Next next = Next::kNow;
    std::string reason;  // Telemetry::WatchRestarted reason
    std::chrono::milliseconds retry_after{0};
  };

  boost::asio::awaitable<Outcome> List();
  boost::asio::awaitable<Outcome> Watch(bool watch_list);
  boost::asio::awaitable<void> Wait(std::chrono::milliseconds delay);
  Outcome FromStatus(int status, const ApiResponse& response, std::string_view what);
  Status OnLine(std::string_view line, std::int64_t received_unix_nanos) override;
  std::string BasePath() const;
  std::string Selectors() const;
  void Synced();

  ApiClient& client_;
  ApiResource resource_;
  ReflectorHandler& handler_;
  ReflectorOptions options_;
  Telemetry& telemetry_;
  std::string label_;
  Backoff backoff_;
  boost::asio::steady_timer wait_timer_;
  RequestCanceller canceller_;
  simdjson::dom::parser parser_;  // reused for every page and event

  // Only touched on the io thread.
  bool stopped_ = false;
  bool running_ = false;
  bool resync_requested_ = false;
  bool need_list_ = true;
  bool synced_ = false;
  bool use_watch_list_ = true;
  int consecutive_gone_ = 0;
  std::string resource_version_;
  ReflectorStats stats_;

  // State of the watch in progress (OnLine).
  bool watch_list_mode_ = false;
  bool snapshot_started_ = false;
  bool initial_done_ = false;
  bool plain_bookmark_before_end_ = false;
  std::optional<Outcome> stream_outcome_;
  std::uint64_t stream_events_ = 0;
};

}  // namespace plumbline::agent
