// Options and helpers shared by the delivery sinks: routing filters, retry with backoff and
// jitter, queue bounds, grouping windows, and the recent-id set that de-duplicates events.
// Plain values and pure functions; RecentIds and Backoff are single-threaded objects (each sink
// uses its own on the io thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "plumbline/common/drift_event.h"
#include "plumbline/common/text.h"

namespace plumbline::exporters {

// Which events a sink takes. Each list is a set of globs ('*' any run, '?' one character);
// an empty list matches everything. An event passes when every non-empty list has a match.
struct RouteOptions {
  // Matched against "Kind" and "Kind.group" (e.g. "Deployment", "Deployment.apps", "*.apps").
  std::vector<std::string> kinds;
  // Matched against the namespace; cluster-scoped resources have "".
  std::vector<std::string> namespaces;
  // Matched against drift_kind (modified, missing, extraneous, orphan). Events without a drift
  // kind (Resolved, Info) are not filtered by this list, so a resolution always follows the
  // drift it resolves.
  std::vector<std::string> drift_kinds;
  // Matched against the event type name (Drifted, Resolved, Missing, Extraneous, Orphan,
  // Info). Empty: every type except Info.
  std::vector<std::string> event_types;
};

using ::plumbline::GlobMatch;  // common/text.h
bool RouteMatches(const RouteOptions& route, const DriftEvent& event);

// Retries of one delivery: the n-th retry waits min(max_backoff, initial_backoff * 2^(n-1)),
// less a random share of up to `jitter` of it (so retries of many agents spread). A Retry-After
// from the server (429, 503) replaces the computed delay, capped at max_retry_after.
struct RetryOptions {
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{60'000};
  double jitter = 0.2;  // 0..1
  // Attempts per batch including the first; then the batch is dropped (counted, reason
  // "retries_exhausted"). 0: retry forever (the collector, whose spool bounds the backlog).
  int max_attempts = 8;
  std::chrono::milliseconds max_retry_after{300'000};
};

class Backoff {
 public:
  explicit Backoff(RetryOptions options);
  // The delay before retry number `retry` (1 for the first retry).
  std::chrono::milliseconds Delay(int retry);

 private:
  RetryOptions options_;
  std::minstd_rand random_;
};

// The in-memory queue of a notification sink and how it ends.
struct QueueOptions {
  // Events waiting for delivery; when full the oldest is dropped (counted, "queue_full").
  std::size_t max_events = 10'000;
  // Event ids remembered for de-duplication (an id seen again is not delivered twice).
  std::size_t dedup_ids = 4096;
  // Close() keeps delivering what is queued for at most this long, then drops the rest
  // (counted, "closed").
  std::chrono::milliseconds close_timeout{5000};
};

// A grouping window: the first event of a burst opens it; everything that arrives until it
// ends (or until max_events) goes out as one message. window 0: no grouping.
struct GroupingOptions {
  std::chrono::milliseconds window{0};
  std::size_t max_events = 100;
};

// A bounded set of recently seen event ids (FIFO eviction).
class RecentIds {
 public:
  explicit RecentIds(std::size_t capacity) : capacity_(capacity) {}
  // True when `id` was not among the recent ids (and remembers it).
  bool Insert(const std::string& id);
  std::size_t size() const { return order_.size(); }

 private:
  std::size_t capacity_;
  std::deque<std::string> order_;
  std::unordered_set<std::string> ids_;
};

}  // namespace plumbline::exporters
