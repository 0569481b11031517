// Test support for the CLI suite: runs the real `plumbline` binary (PLUMBLINE_BIN) in a
// sandbox, with a bounded run time, captured stdout/stderr, exit status and peak memory, and a
// private HOME so the HMAC key file lands in a temporary folder. Single-threaded test code.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"

#include "support/shared_dir.h"

namespace plumbline::testing {

namespace fs = std::filesystem;
using hashing::Value;

// Every run is killed after this long: no test may hang on a product bug.
inline constexpr std::chrono::seconds kRunTimeout{60};
// Output beyond this is discarded (and flagged), so a runaway child cannot exhaust the test.
inline constexpr std::size_t kMaxCapturedBytes = 64u << 20;
// Bad input must fail fast; a run still going after this long counts as a hang.
inline constexpr std::chrono::seconds kBadInputTimeout{30};
// Peak resident memory allowed for runs on hostile input ("never unbounded memory").
inline constexpr long kMaxRssKbOnBadInput = 512L * 1024;

struct ProcessResult {
  bool started = false;
  int exit_code = -1;  // -1 unless the child exited normally
  int term_signal = 0;
  bool timed_out = false;
  bool output_truncated = false;
  long max_rss_kb = 0;  // peak resident set of the child (and its reaped children)
  double seconds = 0;
  std::string out;
  std::string err;

  // For INFO(): everything needed to understand a failed expectation.
  std::string Describe() const {
    std::string d = "exit=" + std::to_string(exit_code) + " signal=" + std::to_string(term_signal) +
                    (timed_out ? " TIMED OUT" : "") + " rss_kb=" + std::to_string(max_rss_kb) +
                    " seconds=" + std::to_string(seconds) + "\n--- stderr ---\n" +
                    err.substr(0, 4000) + "\n--- stdout (first 2000 bytes) ---\n" +
                    out.substr(0, 2000);
    return d;
  }
};

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is searched in the test's own PATH
  std::vector<std::string> env;   // the child's complete environment, "NAME=value"
  std::string cwd;                // empty: the test's working directory
  std::chrono::milliseconds timeout = kRunTimeout;
};

// Spawns the child in its own process group (so a timeout also kills the kubectl, helm or git
// it started), stdin from /dev/null, and collects its output until it exits or times out.
inline ProcessResult RunProcessForTest(const ProcessSpec& spec) {
  ProcessResult result;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + spec.timeout;
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.err = std::string("pipe2: ") + std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!spec.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(
      &attr,
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));

  std::vector<char*> argv;
  for (const auto& a : spec.argv) {
    argv.push_back(const_cast<char*>(a.c_str()));  // NOLINT: posix_spawn's historical signature
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) {
    envp.push_back(const_cast<char*>(e.c_str()));  // NOLINT: as above
  }
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int spawn_rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (spawn_rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = "posix_spawnp " + spec.argv[0] + ": " + std::strerror(spawn_rc);
    return result;
  }
  result.started = true;

  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    const int ready = poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        std::string& sink = *sinks[i];
        const auto count = static_cast<std::size_t>(n);
        if (sink.size() + count <= kMaxCapturedBytes) {
          sink.append(buffer, count);
        } else {
          result.output_truncated = true;
        }
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (result.timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  int status = 0;
  rusage usage{};
  while (true) {
    const pid_t done = wait4(pid, &status, WNOHANG, &usage);
    if (done == pid || (done < 0 && errno != EINTR)) {
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline && !result.timed_out) {
      // The child closed its output but does not exit.
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    poll(nullptr, 0, 5);
  }
  for (auto& f : fds) {
    if (f.fd >= 0) {
      close(f.fd);
    }
  }
  if (result.timed_out) {
    kill(-pid, SIGKILL);  // grandchildren that outlived the child
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  result.max_rss_kb = usage.ru_maxrss;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// The first executable named `name` in `path_list` (a PATH value); empty when absent.
inline std::string FindInPathForTest(const std::string& name, const std::string& path_list) {
  if (name.find('/') != std::string::npos) {
    return access(name.c_str(), X_OK) == 0 ? name : "";
  }
  std::size_t start = 0;
  while (start <= path_list.size()) {
    std::size_t end = path_list.find(':', start);
    if (end == std::string::npos) {
      end = path_list.size();
    }
    const std::string dir = path_list.substr(start, end - start);
    if (!dir.empty()) {
      const std::string candidate = dir + "/" + name;
      std::error_code ec;
      if (access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate, ec)) {
        return candidate;
      }
    }
    start = end + 1;
  }
  return "";
}

inline std::string TestPathEnv() {
  const char* p = std::getenv("PATH");
  return p != nullptr && *p != '\0' ? p : "/usr/local/bin:/usr/bin:/bin";
}

inline std::string FindProgramForTest(const std::string& name) {
  return FindInPathForTest(name, TestPathEnv());
}

// The helm the product would use: $PLUMBLINE_HELM, else helm in PATH. Empty when absent.
inline std::string HelmForTest() {
  const char* env_helm = std::getenv("PLUMBLINE_HELM");
  if (env_helm != nullptr && *env_helm != '\0') {
    return FindProgramForTest(env_helm);
  }
  return FindProgramForTest("helm");
}

// PATH without every folder that holds an executable `name` (to run "as if not installed").
inline std::string PathWithoutProgramForTest(const std::string& name) {
  const std::string path_list = TestPathEnv();
  std::string out;
  std::size_t start = 0;
  while (start <= path_list.size()) {
    std::size_t end = path_list.find(':', start);
    if (end == std::string::npos) {
      end = path_list.size();
    }
    const std::string dir = path_list.substr(start, end - start);
    if (!dir.empty() && FindInPathForTest(name, dir).empty()) {
      out += (out.empty() ? "" : ":") + dir;
    }
    start = end + 1;
  }
  return out.empty() ? "/nonexistent" : out;
}

inline void WriteFileForTest(const fs::path& path, std::string_view content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  REQUIRE(out.good());
}

inline std::string Base64ForTest(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<unsigned>(static_cast<unsigned char>(in[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// Parses a JSON document printed by the binary; fails the test when it is not JSON.
inline Value ParseJsonForTest(const std::string& text) {
  auto parsed = hashing::ParseJson(text);
  INFO("output: " << text.substr(0, 2000));
  REQUIRE(parsed.has_value());
  return std::move(*parsed);
}

inline std::string StringAt(const Value& v, std::string_view key) {
  const Value* m = v.Find(key);
  return m != nullptr && m->is_string() ? m->text() : std::string();
}

inline std::size_t CountLines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// A temporary folder for one test, with a private HOME/XDG_CONFIG_HOME for the child: the
// HMAC key file the binary creates lands here, never in the user's home. Removed afterwards.
class CliSandbox {
 public:
  // An environment variable to set (a value) or to remove (nullopt) for one run.
  using EnvOverrides = std::map<std::string, std::optional<std::string>>;

  CliSandbox() {
    std::string tmpl = (fs::temp_directory_path() / "plumbline-cli-test-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "home" / ".config");
  }
  ~CliSandbox() {
    std::error_code ec;
    // A test may leave a file or folder without permissions behind.
    for (auto it = fs::recursive_directory_iterator(dir_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(dir_, ec);
  }
  CliSandbox(const CliSandbox&) = delete;
  CliSandbox& operator=(const CliSandbox&) = delete;

  const fs::path& dir() const { return dir_; }
  // Time bound of every later run (kRunTimeout unless set).
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  std::string Path(const std::string& relative) const { return (dir_ / relative).string(); }
  std::string KeyFile() const {
    return (dir_ / "home" / ".config" / "plumbline" / "hmac.key").string();
  }

  // A minimal environment: nothing of the caller's leaks in except the tool and sanitizer
  // settings below (no PLUMBLINE_HMAC_KEY_FILE: the key must land in this sandbox).
  std::vector<std::string> Env(const EnvOverrides& overrides = {}) const {
    std::map<std::string, std::string> env;
    env["PATH"] = TestPathEnv();
    env["HOME"] = (dir_ / "home").string();
    env["XDG_CONFIG_HOME"] = (dir_ / "home" / ".config").string();
    env["LC_ALL"] = "C";
    env["GIT_CONFIG_NOSYSTEM"] = "1";
    for (const char* pass :
         {"TMPDIR", "PLUMBLINE_HELM", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
      if (const char* v = std::getenv(pass); v != nullptr) {
        env[pass] = v;
      }
    }
    for (const auto& [name, value] : overrides) {
      if (value) {
        env[name] = *value;
      } else {
        env.erase(name);
      }
    }
    std::vector<std::string> out;
    for (const auto& [name, value] : env) {
      out.push_back(name + "=" + value);
    }
    return out;
  }

  // Runs `plumbline ARGS...`.
  ProcessResult Plumbline(const std::vector<std::string>& args, const EnvOverrides& overrides = {},
                          const std::string& cwd = "") const {
    ProcessSpec spec;
    spec.argv.emplace_back(PLUMBLINE_BIN);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = Env(overrides);
    spec.cwd = cwd;
    spec.timeout = timeout_;
    return RunProcessForTest(spec);
  }

  // Runs any program (git, for fixtures) with the sandbox's environment.
  ProcessResult Run(const std::vector<std::string>& argv, const std::string& cwd = "") const {
    ProcessSpec spec;
    spec.argv = argv;
    spec.env = Env();
    spec.cwd = cwd;
    spec.timeout = timeout_;
    return RunProcessForTest(spec);
  }

 private:
  fs::path dir_;
  std::chrono::milliseconds timeout_ = kRunTimeout;
};

// The project's own CLI fixtures.
inline std::string CliData(const std::string& relative) {
  return TestdataDir() + "/cli/" + relative;
}

inline void CopyTreeForTest(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  INFO("copy " << from << " -> " << to << ": " << ec.message());
  REQUIRE(!ec);
}

// A well-behaved failure: exit status 2, in time, no signal, nothing on stdout, and exactly one
// stderr line "plumbline: error: ..." that contains every string in `must_contain`.
inline void CheckOneLineError(const ProcessResult& r,
                              const std::vector<std::string>& must_contain) {
  INFO(r.Describe());
  REQUIRE(r.started);
  CHECK_FALSE(r.timed_out);
  CHECK(r.term_signal == 0);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(CountLines(r.err) == 1);
  CHECK(r.err.rfind("plumbline: error: ", 0) == 0);
  CHECK((!r.err.empty() && r.err.back() == '\n'));
  for (const auto& s : must_contain) {
    INFO("stderr should contain: " << s);
    CHECK(r.err.find(s) != std::string::npos);
  }
}

}  // namespace plumbline::testing
