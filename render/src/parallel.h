// ParallelFor: runs fn(i) for every i in [0, n) on the calling thread plus up to
// hardware_concurrency - 1 helpers (4 threads at most). Rendering large target sets is per-file
// parsing and per-object preparation, independent of each other; the caller keeps the order by
// writing results into slot i and reading them back in index order. Small inputs stay on the
// calling thread. An exception from fn is rethrown on the calling thread after all joined.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace plumbline::render {

template <typename Fn>
void ParallelFor(std::size_t n, Fn&& fn, std::size_t min_per_thread = 64) {
  const std::size_t hw = std::max<std::size_t>(std::thread::hardware_concurrency(), 1);
  const std::size_t threads =
      std::min({hw, std::size_t{4}, n / std::max<std::size_t>(min_per_thread, 1)});
  if (threads <= 1) {
    for (std::size_t i = 0; i < n; ++i) {
      fn(i);
    }
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    try {
      for (std::size_t i = next++; i < n; i = next++) {
        fn(i);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) {
        failure = std::current_exception();
      }
      next = n;  // the others stop at their next index
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) {
    helpers.emplace_back(work);
  }
  work();
  for (auto& h : helpers) {
    h.join();
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
}

}  // namespace plumbline::render
