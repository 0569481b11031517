// Pacing for the Kubernetes API client: the exponential backoff with jitter that reconnects use
// (client-go's 0.8 s doubling to 30 s, reset after a quiet period) and the client-side QPS/burst
// token bucket. Both are pure: time and randomness come in as arguments, so tests drive them
// without sleeping. One instance per user (not thread-safe); the agent uses them on its io thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace plumbline::agent {

using SteadyClock = std::chrono::steady_clock;

struct BackoffPolicy {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30'000};
  double factor = 2.0;
  // Each delay is d + random() * jitter * d (client-go's wait.Jitter), then capped at `max`.
  double jitter = 1.0;
  // A backoff requested longer than this after the previous one starts again from `initial`
  // (client-go's backoff manager resets after 2 minutes without failures).
  std::chrono::milliseconds reset_after{120'000};
};

class Backoff {
 public:
  // `random` returns values in [0, 1); unset: a std::mt19937_64 seeded from random_device.
  explicit Backoff(BackoffPolicy policy = {}, std::function<double()> random = {});

  // The delay before the next attempt, at `now`.
  std::chrono::milliseconds Next(SteadyClock::time_point now);
  // Starts again from `initial` (after a healthy period).
  void Reset();

  const BackoffPolicy& policy() const { return policy_; }
  // A random value in [0, 1) from the injected source (reused for watch timeout jitter).
  double Random() { return random_(); }

 private:
  BackoffPolicy policy_;
  std::function<double()> random_;
  std::chrono::milliseconds current_{0};
  bool started_ = false;
  SteadyClock::time_point last_{};
};

// A token bucket like golang.org/x/time/rate (client-go's default limiter): `qps` tokens per
// second, up to `burst` stored. Reserve takes one token, possibly borrowing from the future, and
// says how long the caller must wait before using it. qps <= 0 disables the limit.
class TokenBucket {
 public:
  TokenBucket(double qps, int burst);

  std::chrono::nanoseconds Reserve(SteadyClock::time_point now);

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  double qps_;
  int burst_;
  double tokens_;
  SteadyClock::time_point last_{};
  bool started_ = false;
};

}  // namespace plumbline::agent
