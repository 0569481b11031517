// StandbyBuffer: what a standby replica keeps of its own events so that, on taking over the
// Lease, it delivers what the old leader may not have: every event of the last `window`
// (at most `capacity` events). The old leader delivered most of them already; event ids are
// deterministic, so receivers drop the repeats (docs/deployment.md, leader election).
//
// Threading: the agent's io thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "plumbline/common/drift_event.h"

namespace plumbline::agent {

class StandbyBuffer {
 public:
  using Clock = std::chrono::steady_clock;

  StandbyBuffer(Clock::duration window, std::size_t capacity)
      : window_(window), capacity_(capacity) {}

  void Hold(std::shared_ptr<const DriftEvent> event, Clock::time_point now) {
    Expire(now);
    if (held_.size() == capacity_) {
      held_.pop_front();
    }
    held_.emplace_back(now, std::move(event));
  }

  // The events of the last window, oldest first; the buffer is empty afterwards.
  std::vector<std::shared_ptr<const DriftEvent>> Take(Clock::time_point now) {
    Expire(now);
    std::vector<std::shared_ptr<const DriftEvent>> out;
    out.reserve(held_.size());
    for (auto& [at, event] : held_) {
      out.push_back(std::move(event));
    }
    held_.clear();
    return out;
  }

  std::size_t size() const { return held_.size(); }

 private:
  void Expire(Clock::time_point now) {
    while (!held_.empty() && now - held_.front().first > window_) {
      held_.pop_front();
    }
  }

  Clock::duration window_;
  std::size_t capacity_;
  std::deque<std::pair<Clock::time_point, std::shared_ptr<const DriftEvent>>> held_;
};

}  // namespace plumbline::agent
