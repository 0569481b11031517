// A `plumbline agent` process for end-to-end tests: started with the sandbox's environment, its
// stderr (JSON logs) kept in a file, its status port read from the log, its events read from
// the --events-file as they arrive. Stopped with SIGTERM on destruction. Single-threaded test
// code; include after support/kube_sim.h.
#pragma once

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/kube_sim.h"

namespace plumbline::testing {

class AgentProcess {
 public:
  AgentProcess(const CliSandbox& box, const std::vector<std::string>& args,
               const std::string& name = "agent")
      : events_path_(box.Path(name + "-events.jsonl")), log_path_(box.Path(name + "-log.jsonl")) {
    std::vector<std::string> argv = {PLUMBLINE_BIN, "agent",          "--events-file",
                                     events_path_,  "--metrics-addr", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = box.Env();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    std::vector<char*> cargv;
    for (auto& a : argv) {
      cargv.push_back(a.data());
    }
    cargv.push_back(nullptr);
    std::vector<char*> cenv;
    for (auto& e : env) {
      cenv.push_back(e.data());
    }
    cenv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
  }
  ~AgentProcess() { Stop(); }
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // SIGTERM, then the exit status (or -1 when it had to be killed after `grace`).
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10)) {
    if (pid_ <= 0) {
      return exit_status_;
    }
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    exit_status_ = -1;
    return exit_status_;
  }

  // SIGKILL: no shutdown, no Lease release, no spool flush (a crash or an OOM kill).
  void Kill() {
    if (pid_ <= 0) {
      return;
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    exit_status_ = 128 + SIGKILL;
  }

  // True while the process runs.
  bool Running() {
    if (pid_ <= 0) {
      return false;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    return true;
  }

  std::string Log() const { return ReadAll(log_path_); }

  // The log's complete lines, each checked to be one JSON object with the agent's fields
  // (time, level, logger, msg, then the message's own key/value members).
  std::vector<Value> LogLines() const {
    std::vector<Value> out;
    std::istringstream in(Log());
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) {
        break;  // a line still being written
      }
      Value v = ParseJsonForTest(line);
      INFO("log line: " << line);
      REQUIRE(v.is_object());
      for (const char* field : {"time", "level", "logger", "msg"}) {
        CHECK(v.Find(field) != nullptr);
      }
      out.push_back(std::move(v));
    }
    return out;
  }

  // The status port, from the "status endpoint" log line.
  int WaitForPort(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && Running()) {
      for (const Value& line : LogLines()) {
        if (line.GetString("msg") == "status endpoint") {
          const Value* port = line.Find("port");
          REQUIRE(port != nullptr);
          REQUIRE(port->is_number());
          port_ = std::atoi(port->text().c_str());
          return port_;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    INFO("agent log:\n" << Log());
    FAIL("the agent did not report its status port");
    return 0;
  }

  // Polls /readyz until 200.
  bool WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    if (port_ == 0) {
      WaitForPort();
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline && Running()) {
      if (Http(port_, "GET", "/readyz").status == 200) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Every event line so far, parsed.
  std::vector<Value> Events() const {
    std::vector<Value> out;
    std::istringstream in(ReadAll(events_path_));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) {
        out.push_back(ParseJsonForTest(line));
      }
    }
    return out;
  }

  // Waits until at least `count` events exist, then a short quiet period (to catch extras).
  std::vector<Value> WaitForEvents(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(15),
      std::chrono::milliseconds settle = std::chrono::milliseconds(300)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Events().size() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(settle);
    return Events();
  }

  int port() const { return port_; }
  const std::string& events_path() const { return events_path_; }

 private:
  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  std::string events_path_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = 0;
};

// A kubeconfig for a kube-sim URL (plain HTTP, no credentials).
inline std::string WriteKubeconfig(const CliSandbox& box, const std::string& server,
                                   const std::string& name = "kubeconfig") {
  const std::string path = box.Path(name);
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: " << server
      << "\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n"
      << "current-context: sim\nusers:\n- name: sim\n  user: {}\n";
  return path;
}

}  // namespace plumbline::testing
