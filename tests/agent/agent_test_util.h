// Helpers of the agent suites: drive the io_context until a condition holds (bounded), run one
// coroutine to completion, and build client settings for a kube-sim URL. Single-threaded test
// code.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "plumbline/agent/api_client.h"
#include "plumbline/agent/kube_config.h"

namespace plumbline::testing {

namespace asio = boost::asio;

// Runs `io` until pred() is true or `timeout` passes; returns pred().
template <typename Pred>
bool RunUntil(asio::io_context& io, Pred pred,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    if (io.stopped()) {
      io.restart();
    }
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Runs `io` for a while (for "nothing more happens" checks).
inline void RunFor(asio::io_context& io, std::chrono::milliseconds d) {
  RunUntil(
      io, [] { return false; }, d);
}

// co_spawn needs a default-constructible result; Result<T> is not.
template <typename T>
asio::awaitable<void> StoreResult(asio::awaitable<T> a, std::optional<T>* out) {
  out->emplace(co_await std::move(a));
}

// Runs one coroutine to completion on `io` (bounded); nullopt on timeout.
template <typename T>
std::optional<T> RunCoroutine(
    asio::io_context& io, asio::awaitable<T> a,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
  std::optional<T> out;
  bool done = false;
  asio::co_spawn(io, StoreResult(std::move(a), &out),
                 [&done](const std::exception_ptr& /*e*/) { done = true; });
  RunUntil(
      io, [&done] { return done; }, timeout);
  return out;
}

// A kubeconfig text for `server` with optional user fields (YAML lines under `user:`).
inline std::string KubeconfigFor(const std::string& server, const std::string& cluster_extra = "",
                                 const std::string& user_lines = "") {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: " + server +
         "\n" + cluster_extra + "users:\n- name: u\n  user:\n" +
         (user_lines.empty() ? "    {}\n" : user_lines) +
         "contexts:\n- name: sim\n  context:\n    cluster: sim\n    user: u\n"
         "    namespace: default\ncurrent-context: sim\n";
}

inline agent::ClusterConfig ConfigFor(const std::string& server) {
  auto c = agent::ParseKubeconfig(KubeconfigFor(server), "test-kubeconfig", "");
  REQUIRE(c.has_value());
  return *c;
}

}  // namespace plumbline::testing
