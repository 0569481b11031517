// StandbyBuffer: what a replica keeps of its own events so that, on taking over the Lease, it
// delivers what the old leader may not have, and what stateful sinks need to rebuild their
// state (Alertmanager re-sends an alert per drifted resource while it lasts):
// - every event of the last `window`, at most `capacity` (changes the old leader may have
//   missed while it was dying);
// - the latest non-Resolved event of every resource that is drifted now, at most `capacity`
//   resources (kept in every role, since a replica may lead, lose the Lease and lead again).
// The old leader delivered most of these already; event ids are deterministic, so receivers
// drop the repeats (docs/configuration.md, Leader election).
//
// Threading: the agent's io thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "plumbline/common/drift_event.h"

namespace plumbline::agent {

class StandbyBuffer {
 public:
  using Clock = std::chrono::steady_clock;

  StandbyBuffer(Clock::duration window, std::size_t capacity)
      : window_(window), capacity_(capacity) {}

  // Every event the detector emits, in every role: keeps the drift state per resource.
  void Track(const std::shared_ptr<const DriftEvent>& event) {
    const std::string key = ResourceKey(event->resource);
    if (event->type == EventType::kResolved) {
      latest_.erase(key);
    } else if (latest_.size() < capacity_ || latest_.count(key) != 0) {
      latest_[key] = event;
    }
  }

  // An event emitted while on standby (not delivered).
  void Hold(std::shared_ptr<const DriftEvent> event, Clock::time_point now) {
    Expire(now);
    if (held_.size() == capacity_) {
      held_.pop_front();
    }
    held_.emplace_back(now, std::move(event));
  }

  // What to deliver on taking over: the current drift of every resource, then the events of
  // the last window, oldest first, each id once. The window is empty afterwards.
  std::vector<std::shared_ptr<const DriftEvent>> Take(Clock::time_point now) {
    Expire(now);
    std::set<std::string> ids;
    for (const auto& [at, event] : held_) {
      ids.insert(event->id);
    }
    std::vector<std::shared_ptr<const DriftEvent>> out;
    out.reserve(latest_.size() + held_.size());
    for (const auto& [key, event] : latest_) {
      if (ids.count(event->id) == 0) {
        out.push_back(event);
      }
    }
    for (auto& [at, event] : held_) {
      out.push_back(std::move(event));
    }
    held_.clear();
    return out;
  }

  std::size_t held() const { return held_.size(); }
  std::size_t drifted() const { return latest_.size(); }

 private:
  void Expire(Clock::time_point now) {
    while (!held_.empty() && now - held_.front().first > window_) {
      held_.pop_front();
    }
  }

  Clock::duration window_;
  std::size_t capacity_;
  std::deque<std::pair<Clock::time_point, std::shared_ptr<const DriftEvent>>> held_;
  std::unordered_map<std::string, std::shared_ptr<const DriftEvent>> latest_;
};

}  // namespace plumbline::agent
