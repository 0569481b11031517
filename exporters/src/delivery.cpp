#include "plumbline/exporters/delivery.h"

#include <algorithm>
#include <cmath>

namespace plumbline::exporters {

namespace {

bool AnyMatch(const std::vector<std::string>& patterns, std::string_view text) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return GlobMatch(p, text); });
}

}  // namespace

bool RouteMatches(const RouteOptions& route, const DriftEvent& event) {
  const std::string_view type = EventTypeName(event.type);
  if (route.event_types.empty() ? event.type == EventType::kInfo
                                : !AnyMatch(route.event_types, type)) {
    return false;
  }
  if (!route.kinds.empty()) {
    const std::string& kind = event.resource.kind;
    const std::string qualified =
        event.resource.group.empty() ? kind : kind + "." + event.resource.group;
    if (!AnyMatch(route.kinds, kind) && !AnyMatch(route.kinds, qualified)) {
      return false;
    }
  }
  if (!route.namespaces.empty() && !AnyMatch(route.namespaces, event.resource.namespace_)) {
    return false;
  }
  if (!route.drift_kinds.empty() && !event.drift_kind.empty() &&
      !AnyMatch(route.drift_kinds, event.drift_kind)) {
    return false;
  }
  return true;
}

Backoff::Backoff(RetryOptions options)
    : options_(options), random_(static_cast<std::uint_fast32_t>(std::random_device{}())) {}

std::chrono::milliseconds Backoff::Delay(int retry) {
  const double base = static_cast<double>(options_.initial_backoff.count()) *
                      std::pow(2.0, static_cast<double>(std::max(retry, 1) - 1));
  const double capped = std::min(base, static_cast<double>(options_.max_backoff.count()));
  const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> share(0.0, jitter);
  const double delay = capped * (1.0 - share(random_));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(delay, 1.0)));
}

bool RecentIds::Insert(const std::string& id) {
  if (capacity_ == 0) {
    return true;
  }
  if (!ids_.insert(id).second) {
    return false;
  }
  order_.push_back(id);
  if (order_.size() > capacity_) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

}  // namespace plumbline::exporters
