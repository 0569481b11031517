#include "plumbline/agent/backoff.h"

#include <algorithm>
#include <memory>
#include <random>

namespace plumbline::agent {

namespace {

std::function<double()> DefaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace

Backoff::Backoff(BackoffPolicy policy, std::function<double()> random)
    : policy_(policy), random_(random ? std::move(random) : DefaultRandom()) {}

std::chrono::milliseconds Backoff::Next(SteadyClock::time_point now) {
  if (!started_ || now - last_ > policy_.reset_after) {
    current_ = policy_.initial;
    started_ = true;
  }
  last_ = now;
  const auto base = current_;
  const double jittered =
      static_cast<double>(base.count()) * (1.0 + std::clamp(random_(), 0.0, 1.0) * policy_.jitter);
  const auto delay = std::min(std::chrono::milliseconds(static_cast<std::int64_t>(jittered)),
                              std::max(policy_.max, policy_.initial));
  const double grown = static_cast<double>(current_.count()) * policy_.factor;
  current_ = std::min(std::chrono::milliseconds(static_cast<std::int64_t>(grown)), policy_.max);
  return delay;
}

void Backoff::Reset() { started_ = false; }

TokenBucket::TokenBucket(double qps, int burst)
    : qps_(qps), burst_(std::max(burst, 1)), tokens_(static_cast<double>(std::max(burst, 1))) {}

std::chrono::nanoseconds TokenBucket::Reserve(SteadyClock::time_point now) {
  if (qps_ <= 0) {
    return std::chrono::nanoseconds(0);
  }
  if (started_ && now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
  }
  if (!started_ || now > last_) {
    last_ = now;
  }
  started_ = true;
  tokens_ -= 1.0;
  if (tokens_ >= 0) {
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(-tokens_ / qps_ * 1e9));
}

}  // namespace plumbline::agent
