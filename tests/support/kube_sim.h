// Test support shared by the suites that run kube-sim: a kube-sim process on 127.0.0.1:0, a
// Fixture with a private kubectl sandbox, and a raw HTTP/1.1 client for faults, paging and
// watches. Single-threaded test code; include after cli/cli_support.h.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cli/cli_support.h"

#ifndef KUBE_SIM_BIN
#error "KUBE_SIM_BIN must name the kube-sim executable"
#endif

namespace plumbline::testing {

using namespace std::chrono_literals;

inline constexpr const char* kKubectl = "/usr/bin/kubectl";

// One kube-sim process, stopped with SIGTERM on destruction.
class SimProcess {
 public:
  explicit SimProcess(const std::vector<std::string>& extra_args) {
    std::vector<std::string> args = {KUBE_SIM_BIN, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    int out_pipe[2];
    REQUIRE(pipe2(out_pipe, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    REQUIRE(rc == 0);
    out_fd_ = out_pipe[0];
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, 200) > 0) {
        char buf[256];
        const ssize_t n = read(out_fd_, buf, sizeof buf);
        if (n <= 0) {
          break;
        }
        line.append(buf, static_cast<std::size_t>(n));
      }
    }
    INFO("kube-sim said: " << line);
    const auto at = line.find("listening on ");
    REQUIRE(at != std::string::npos);
    url_ = line.substr(at + 13, line.find('\n') - at - 13);
    port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
  }
  ~SimProcess() { Stop(); }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  // SIGTERM and wait (bounded); returns true when it exited on its own.
  bool Stop() {
    if (pid_ <= 0) {
      return true;
    }
    kill(pid_, SIGTERM);
    bool clean = false;
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        clean = true;
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    if (!clean) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
    pid_ = -1;
    return clean;
  }

  const std::string& url() const { return url_; }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string url_;
  int port_ = 0;
};

struct Fixture {
  CliSandbox box;
  SimProcess sim;
  explicit Fixture(const std::vector<std::string>& extra = {}) : sim(extra) {
    box.set_timeout(30s);
  }

  ProcessResult Kubectl(const std::vector<std::string>& args, const std::string& server = "") {
    std::vector<std::string> argv = {"timeout", "20", kKubectl};
    if (server != "none") {
      argv.push_back("--server");
      argv.push_back(server.empty() ? sim.url() : server);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return box.Run(argv);
  }
  ProcessResult KubectlOk(const std::vector<std::string>& args) {
    auto r = Kubectl(args);
    std::string cmd;
    for (const auto& a : args) {
      cmd += a + " ";
    }
    INFO("kubectl " << cmd << "\n" << r.Describe());
    REQUIRE(r.exit_code == 0);
    return r;
  }
  Value GetJson(const std::vector<std::string>& args) {
    auto full = args;
    full.insert(full.end(), {"-o", "json", "--show-managed-fields"});
    return ParseJsonForTest(KubectlOk(full).out);
  }
};

// ---- raw HTTP ---------------------------------------------------------------------------------

struct HttpResponse {
  int status = 0;
  std::string head;
  std::string body;  // raw (may be chunked)
};

inline int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

inline void SendRequest(int fd, const std::string& method, const std::string& path,
                        const std::string& body = "",
                        const std::string& ctype = "application/json") {
  std::string req = method + " " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n" +
                    "Connection: close\r\n";
  if (!body.empty()) {
    req += "Content-Type: " + ctype + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  REQUIRE(send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
}

// Reads until EOF, `until` appears, or the timeout passes. Returns whether EOF was seen.
inline bool ReadFor(int fd, std::string& into, std::chrono::milliseconds timeout,
                    const std::string& until = "") {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!until.empty() && into.find(until) != std::string::npos) {
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      char buf[8192];
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) {
        return true;
      }
      into.append(buf, static_cast<std::size_t>(n));
    }
  }
  return false;
}

inline HttpResponse ParseHttp(const std::string& raw) {
  HttpResponse r;
  const auto end = raw.find("\r\n\r\n");
  r.head = raw.substr(0, end);
  r.body = end == std::string::npos ? "" : raw.substr(end + 4);
  if (raw.size() > 12) {
    r.status = std::atoi(raw.substr(9, 3).c_str());
  }
  // De-chunk when needed.
  if (r.head.find("hunked") != std::string::npos) {
    std::string out;
    std::size_t pos = 0;
    while (pos < r.body.size()) {
      const auto eol = r.body.find("\r\n", pos);
      if (eol == std::string::npos) {
        break;
      }
      const auto len = std::stoul(r.body.substr(pos, eol - pos), nullptr, 16);
      if (len == 0) {
        break;
      }
      out += r.body.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
    r.body = out;
  }
  return r;
}

inline HttpResponse Http(int port, const std::string& method, const std::string& path,
                         const std::string& body = "") {
  const int fd = Connect(port);
  SendRequest(fd, method, path, body);
  std::string raw;
  ReadFor(fd, raw, 5s);
  close(fd);
  return ParseHttp(raw);
}

inline std::string Header(const HttpResponse& r, const std::string& name) {
  std::string lower_head = r.head;
  std::string lower_name = name;
  for (auto* s : {&lower_head, &lower_name}) {
    for (auto& c : *s) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  const auto at = lower_head.find("\r\n" + lower_name + ":");
  if (at == std::string::npos) {
    return "";
  }
  const auto start = at + 3 + name.size();
  auto v = r.head.substr(start, r.head.find("\r\n", start) - start);
  while (!v.empty() && v.front() == ' ') {
    v.erase(0, 1);
  }
  return v;
}

}  // namespace plumbline::testing
