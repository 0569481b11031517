// The agent's Kubernetes client logger ("kube"): one synchronous spdlog logger on stderr, created
// on first use (STYLE.md §6: one _mt logger per subsystem, key=value messages).
#pragma once

#include <memory>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace plumbline::agent {

inline spdlog::logger& KubeLog() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("kube")) {
      return existing;
    }
    return spdlog::stderr_logger_mt("kube");
  }();
  return *logger;
}

}  // namespace plumbline::agent
