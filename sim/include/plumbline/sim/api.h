// The Kubernetes API semantics of kube-sim, independent of the network: a request in, a
// response (or a watch stream) out. Discovery, OpenAPI, CRUD with all four PATCH types,
// subresources, managedFields, defaulting, lists with pagination and selectors, Table output,
// watches with bookmarks, and the fault-injection control endpoint (docs/kube-sim.md).
// Single-threaded: one Api per server, used only on the io thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "plumbline/hashing/value.h"
#include "plumbline/sim/resources.h"
#include "plumbline/sim/store.h"

namespace plumbline::sim {

struct Request {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string target;  // path and query as received
  std::string accept;
  std::string content_type;
  std::string user_agent;
  std::string body;
  bool discard_body = false;  // internal writers (load, churn): no response body on success
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A watch in progress: lines to send (one JSON event each), and whether the stream must end.
class WatchStream {
 public:
  std::deque<std::string> pending;
  bool closed = false;
  std::uint64_t timeout_ms = 0;            // 0: no timeout
  std::uint64_t bookmark_interval_ms = 0;  // 0: no bookmarks
  std::function<void()> notify;            // set by the server: wakes the writer
  std::function<void()> on_bookmark;       // set by the Api: queues a BOOKMARK
  std::function<void()> cancel;            // set by the Api: unsubscribes

  void Push(std::string line) {
    if (pending.size() >= kMaxPending) {
      closed = true;  // a watcher that fell too far behind is closed; the client relists
    } else {
      pending.push_back(std::move(line));
    }
    if (notify) {
      notify();
    }
  }
  static constexpr std::size_t kMaxPending = 200000;
};
using WatchStreamPtr = std::shared_ptr<WatchStream>;

struct ApiOptions {
  std::size_t history_limit = 200000;
  std::uint64_t bookmark_interval_ms = 10000;
  std::function<std::string()> now;  // RFC 3339 UTC seconds; defaults to the system clock
};

// Fault state set through the control endpoint.
struct Faults {
  unsigned status_code = 0;  // answer every API request with this (429, 500, 503)
  unsigned retry_after_seconds = 0;
  bool status_form = true;      // Status JSON body (else plain text)
  std::uint64_t remaining = 0;  // how many requests the fault applies to (0 = until cleared)
  std::uint64_t latency_ms = 0;
  bool stall_watches = false;
};

class Api {
 public:
  explicit Api(ApiOptions options);

  // Handles a request. When it starts a watch, `*watch` is set and the response holds only the
  // status and content type of the stream.
  Response Handle(const Request& request, WatchStreamPtr* watch);

  // Loads objects as if created by `manager` (kube-sim --load).
  Status Load(const hashing::Value& object, const std::string& manager);
  // Persistence (--state): every object as one JSON document.
  std::string Snapshot() const;
  Status Restore(const std::string& snapshot);

  const Faults& faults() const { return faults_; }
  void CountFaultUse();
  // Status-only churn (control endpoint /_sim/churn?rate=N): the server calls ChurnTick every
  // few milliseconds; it writes rate x elapsed status updates of workload objects as
  // kube-controller-manager through the status subresource.
  void ChurnTick(std::uint64_t elapsed_ms);
  std::uint64_t churn_rate() const { return churn_rate_; }
  // True when the last ChurnTick ended with writes still owed (kube-sim is at its limit).
  bool churn_behind() const { return churn_rate_ > 0 && churn_debt_ >= 1.0; }
  // Closes every open watch (control endpoint and SIGTERM).
  void DropWatches();
  Store& store() { return store_; }

 private:
  struct Route;
  Response Dispatch(const Request& request, WatchStreamPtr* watch);
  Response Control(const Request& request);
  Response Discovery(const Request& request, const Route& route);
  Response OpenApi(const Request& request, const Route& route);
  Response Get(const Request& request, const Route& route);
  Response List(const Request& request, const Route& route, WatchStreamPtr* watch);
  Response Create(const Request& request, const Route& route);
  Response CreateObject(const Request& request, const Route& route, hashing::Value obj);
  Response Update(const Request& request, const Route& route);
  Response Patch(const Request& request, const Route& route);
  Response Delete(const Request& request, const Route& route);
  Response Scale(const Request& request, const Route& route);

  // The shared write path: defaults, generation, managedFields, CRD registration, store.
  Response Commit(const Request& request, const Route& route, const hashing::Value* old_obj,
                  hashing::Value obj, bool created, bool managed_fields_done,
                  const std::string& subresource, unsigned ok_status);
  void AfterCreate(const ResourceType* type, const hashing::Value& obj);
  std::string Now() const;
  std::string NewUid();
  std::string AllocateClusterIp();
  int AllocateNodePort();

  ApiOptions options_;
  ResourceRegistry registry_;
  Store store_;
  Faults faults_;
  std::vector<std::weak_ptr<WatchStream>> watches_;
  std::uint64_t uid_counter_ = 0;
  std::uint32_t next_ip_ = 10;
  std::uint32_t next_node_port_ = 0;
  std::uint64_t churn_rate_ = 0;  // status updates per second
  double churn_debt_ = 0;
  // The workloads one round of churn visits, rebuilt when a round ends.
  struct ChurnTarget {
    const ResourceType* type;
    std::string namespace_;
    std::string name;
  };
  std::vector<ChurnTarget> churn_targets_;
  std::size_t churn_cursor_ = 0;
  std::uint64_t seed_;
};

}  // namespace plumbline::sim
