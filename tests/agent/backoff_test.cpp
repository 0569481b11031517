// Backoff schedule and token bucket, driven with injected time and randomness (no sleeping).
#include "plumbline/agent/backoff.h"

#include <chrono>
#include <vector>

#include <catch2/catch.hpp>

namespace plumbline::agent {
namespace {

using std::chrono::milliseconds;

TEST_CASE("Backoff doubles from 0.8 s to 30 s with jitter, and resets after a quiet period",
          "[agent][backoff]") {
  double r = 0.0;
  Backoff b(BackoffPolicy{}, [&r] { return r; });
  auto t = SteadyClock::time_point{} + std::chrono::hours(1);
  std::vector<milliseconds> got;
  for (int i = 0; i < 8; ++i) {
    got.push_back(b.Next(t));
    t += std::chrono::seconds(1);
  }
  CHECK(got == std::vector<milliseconds>{milliseconds(800), milliseconds(1600), milliseconds(3200),
                                         milliseconds(6400), milliseconds(12800),
                                         milliseconds(25600), milliseconds(30000),
                                         milliseconds(30000)});
  // Jitter adds up to 100% of the step, never beyond the cap.
  r = 0.5;
  b.Reset();
  CHECK(b.Next(t) == milliseconds(1200));
  t += std::chrono::seconds(1);
  CHECK(b.Next(t) == milliseconds(2400));
  r = 0.999;
  for (int i = 0; i < 10; ++i) {
    t += std::chrono::seconds(1);
    CHECK(b.Next(t) <= milliseconds(30000));
  }
  // Two minutes without a failure: back to the start.
  t += std::chrono::minutes(2) + std::chrono::seconds(1);
  r = 0.0;
  CHECK(b.Next(t) == milliseconds(800));
  t += std::chrono::minutes(1);
  CHECK(b.Next(t) == milliseconds(1600));
}

TEST_CASE("Backoff with a custom policy", "[agent][backoff]") {
  BackoffPolicy p;
  p.initial = milliseconds(10);
  p.max = milliseconds(35);
  p.jitter = 0;
  Backoff b(p, [] { return 0.7; });
  const auto t = SteadyClock::time_point{} + std::chrono::hours(1);
  CHECK(b.Next(t) == milliseconds(10));
  CHECK(b.Next(t) == milliseconds(20));
  CHECK(b.Next(t) == milliseconds(35));
  CHECK(b.Next(t) == milliseconds(35));
}

TEST_CASE("TokenBucket allows a burst, then paces at qps", "[agent][backoff]") {
  TokenBucket bucket(50, 100);
  const auto t0 = SteadyClock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(bucket.Reserve(t0) == std::chrono::nanoseconds(0));
  }
  // The 101st waits one token (20 ms), the 102nd two.
  CHECK(bucket.Reserve(t0) == std::chrono::milliseconds(20));
  CHECK(bucket.Reserve(t0) == std::chrono::milliseconds(40));
  // One second later 50 tokens came back, 2 of them already spent.
  const auto t1 = t0 + std::chrono::seconds(1);
  for (int i = 0; i < 48; ++i) {
    REQUIRE(bucket.Reserve(t1) == std::chrono::nanoseconds(0));
  }
  CHECK(bucket.Reserve(t1) > std::chrono::nanoseconds(0));
  // Never more than burst tokens saved up.
  TokenBucket small(10, 2);
  const auto t2 = t0 + std::chrono::hours(1);
  CHECK(small.Reserve(t2) == std::chrono::nanoseconds(0));
  CHECK(small.Reserve(t2 + std::chrono::hours(1)) == std::chrono::nanoseconds(0));
  CHECK(small.Reserve(t2 + std::chrono::hours(1)) == std::chrono::nanoseconds(0));
  CHECK(small.Reserve(t2 + std::chrono::hours(1)) == std::chrono::milliseconds(100));
  // qps 0 disables the limit.
  TokenBucket off(0, 1);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(off.Reserve(t0) == std::chrono::nanoseconds(0));
  }
}

}  // namespace
}  // namespace plumbline::agent
