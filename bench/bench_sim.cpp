// kube-sim at scale (issue 3: "100k+ objects held, 10k+ watch events per second streamed, on 2
// cores"). A one-shot driver, not a Google Benchmark suite: each figure is one long measurement
// against one kube-sim process, and loading 100k objects once is most of the run time.
//
//   1. Generates the synthetic corpus (synthetic_corpus.h, the Git-managed mix of
//      ../shared/bench) and starts the kube-sim executable on 127.0.0.1:0.
//   2. Creates the namespaces and the two CRDs the corpus uses, then bulk-loads the objects
//      through /_sim/load (JSON lines, 2,000 per request): objects/s.
//   3. RSS of kube-sim holding them (VmRSS, VmHWM from /proc/PID/status).
//   4. A full paginated LIST (limit=500, all namespaces) of every kind, as a client that reads
//      the bytes and follows `continue` (no JSON decoding on the timed runs; one untimed run
//      decodes every page and checks the item count). Best of 3 per kind, and the sum.
//   5. Watch throughput: one client watches Deployments (all namespaces) while kube-sim writes
//      status-only churn at its maximum rate (/_sim/churn with a rate above what it can do); the
//      events/s the client receives. Then the same while the client itself writes merge
//      patches on one keep-alive connection. Then the replay of every Deployment as initial
//      events (sendInitialEvents=true up to the initial-events-end bookmark).
//
//   bench_sim [--objects N] [--kube-sim PATH] [--seconds S] [--history N]
//
// Exit status: 0 when the goals are met (every object held and listed, >= 10,000 watch events/s
// under churn), 1 when not, 2 on errors. Threading: the main thread drives; the write benchmark
// adds one writer thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plumbline/hashing/json.h"

#include "synthetic_corpus.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawn

namespace {

namespace bench = plumbline::bench;
using hashing_value = plumbline::hashing::Value;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "bench_sim: %s\n", message.c_str());
  std::exit(2);  // NOLINT(concurrency-mt-unsafe): only the main thread dies
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// ---- kube-sim process -------------------------------------------------------------------------

class SimProcess {
 public:
  SimProcess(const std::string& binary, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {binary, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
      Die("pipe failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      Die("cannot start " + binary + ": " + std::strerror(rc));
    }
    std::string line;
    char ch = 0;
    while (read(out[0], &ch, 1) == 1 && ch != '\n') {
      line.push_back(ch);
    }
    close(out[0]);
    const auto colon = line.rfind(':');
    if (line.find("listening on") == std::string::npos || colon == std::string::npos) {
      Die("kube-sim did not start: " + line);
    }
    port_ = std::atoi(line.c_str() + colon + 1);
  }
  ~SimProcess() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  int port() const { return port_; }
  // CPU seconds kube-sim has used (user + system), from /proc/PID/stat.
  double CpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string line;
    std::getline(in, line);
    std::size_t pos = line.rfind(')');  // the command may hold spaces
    std::vector<std::string> fields;
    while (pos != std::string::npos && pos + 1 < line.size()) {
      const auto next = line.find(' ', pos + 1);
      fields.push_back(line.substr(pos + 1, next == std::string::npos ? next : next - pos - 1));
      pos = next;
    }
    // fields[0] is ")"'s trailing empty field; utime and stime are the 14th and 15th of stat.
    if (fields.size() < 15) {
      return 0;
    }
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    return (std::strtod(fields[12].c_str(), nullptr) + std::strtod(fields[13].c_str(), nullptr)) /
           ticks;
  }
  // VmRSS and VmHWM in bytes.
  std::pair<std::size_t, std::size_t> Memory() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string key;
    std::size_t rss = 0;
    std::size_t hwm = 0;
    while (in >> key) {
      std::size_t kb = 0;
      if (key == "VmRSS:" && in >> kb) {
        rss = kb * 1024;
      } else if (key == "VmHWM:" && in >> kb) {
        hwm = kb * 1024;
      }
    }
    return {rss, hwm};
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// ---- a minimal HTTP/1.1 keep-alive client -----------------------------------------------------

class Connection {
 public:
  explicit Connection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Die("connect failed");
    }
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Connection() { close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Send(const std::string& method, const std::string& path, const std::string& body = "",
            const std::string& content_type = "application/json") {
    std::string req = method + " " + path +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
                      "User-Agent: bench_sim/1.0\r\n";
    if (!body.empty() || method != "GET") {
      req += "Content-Type: " + content_type +
             "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n";
    req += body;
    std::size_t sent = 0;
    while (sent < req.size()) {
      const ssize_t n = send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        Die("send failed");
      }
      sent += static_cast<std::size_t>(n);
    }
  }

  // Reads one response with a Content-Length body. Returns the status; the body in `body`.
  int Receive(std::string& body) {
    std::size_t head_end = 0;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      Fill();
    }
    const std::string head = buffer_.substr(0, head_end);
    const int status = std::atoi(head.c_str() + 9);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto cl = lower.find("content-length:");
    if (cl == std::string::npos) {
      Die("response without Content-Length: " + head);
    }
    const std::size_t length = std::strtoull(head.c_str() + cl + 15, nullptr, 10);
    while (buffer_.size() < head_end + 4 + length) {
      Fill();
    }
    body.assign(buffer_, head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    return status;
  }

  int Request(const std::string& method, const std::string& path, std::string& body,
              const std::string& request_body = "",
              const std::string& content_type = "application/json") {
    Send(method, path, request_body, content_type);
    return Receive(body);
  }

  // Appends what arrives within `timeout` (false on EOF).
  bool ReadSome(std::string& into, int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) {
      return true;
    }
    char buf[1 << 16];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) {
      return false;
    }
    into.append(buf, static_cast<std::size_t>(n));
    return true;
  }

 private:
  void Fill() {
    char buf[1 << 16];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) {
      Die("connection closed by kube-sim");
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
  }

  int fd_ = -1;
  std::string buffer_;
};

// A watch stream: de-chunks the body and counts events by type as lines arrive.
class WatchReader {
 public:
  WatchReader(int port, const std::string& path) : conn_(port) { conn_.Send("GET", path); }

  // Reads for up to `seconds` or until `stop` returns true; false when the stream ended.
  template <typename Stop>
  bool Run(double seconds, Stop stop) {
    const auto start = Clock::now();
    std::string raw;
    while (Seconds(start) < seconds && !stop()) {
      if (!conn_.ReadSome(raw, 20)) {
        Consume(raw);
        return false;
      }
      Consume(raw);
    }
    return true;
  }

  std::map<std::string, std::uint64_t> counts;
  std::uint64_t bytes = 0;
  std::string last_line;
  bool saw_initial_end = false;

 private:
  void Consume(std::string& raw) {
    for (;;) {
      if (!in_body_) {
        const auto end = raw.find("\r\n\r\n");
        if (end == std::string::npos) {
          return;
        }
        raw.erase(0, end + 4);
        in_body_ = true;
      }
      if (chunk_left_ == 0) {
        const auto eol = raw.find("\r\n");
        if (eol == std::string::npos) {
          return;
        }
        if (eol == 0) {  // CRLF after a chunk's data
          raw.erase(0, 2);
          continue;
        }
        chunk_left_ = std::strtoull(raw.substr(0, eol).c_str(), nullptr, 16);
        raw.erase(0, eol + 2);
        if (chunk_left_ == 0) {
          return;  // last chunk
        }
      }
      const std::size_t take = std::min<std::size_t>(chunk_left_, raw.size());
      if (take == 0) {
        return;
      }
      Lines(std::string_view(raw).substr(0, take));
      bytes += take;
      chunk_left_ -= take;
      raw.erase(0, take);
    }
  }

  void Lines(std::string_view data) {
    for (;;) {
      const auto nl = data.find('\n');
      if (nl == std::string_view::npos) {
        partial_.append(data);
        return;
      }
      partial_.append(data.substr(0, nl));
      data.remove_prefix(nl + 1);
      // {"type":"MODIFIED","object":...}
      const auto q = partial_.find('"', 9);
      const std::string type = q == std::string::npos ? "" : partial_.substr(9, q - 9);
      ++counts[type];
      if (type == "BOOKMARK" && partial_.find("k8s.io/initial-events-end") != std::string::npos) {
        saw_initial_end = true;
      }
      last_line.swap(partial_);
      partial_.clear();
    }
  }

  Connection conn_;
  bool in_body_ = false;
  std::size_t chunk_left_ = 0;
  std::string partial_;
};

// ---- the corpus as kube-sim objects -----------------------------------------------------------

struct KindInfo {
  std::string path;  // e.g. /apis/apps/v1/deployments
  std::size_t loaded = 0;
};

std::string PathFor(const std::string& api_version, const std::string& kind) {
  static const std::map<std::string, std::string> kPlural = {{"Deployment", "deployments"},
                                                             {"ConfigMap", "configmaps"},
                                                             {"Secret", "secrets"},
                                                             {"Service", "services"},
                                                             {"StatefulSet", "statefulsets"},
                                                             {"DaemonSet", "daemonsets"},
                                                             {"ServiceAccount", "serviceaccounts"},
                                                             {"Role", "roles"},
                                                             {"RoleBinding", "rolebindings"},
                                                             {"ServiceMonitor", "servicemonitors"},
                                                             {"PrometheusRule", "prometheusrules"}};
  const auto it = kPlural.find(kind);
  if (it == kPlural.end()) {
    Die("no plural known for kind " + kind);
  }
  return (api_version.find('/') == std::string::npos ? "/api/" : "/apis/") + api_version + "/" +
         it->second;
}

std::string Crd(const std::string& kind, const std::string& plural) {
  return R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",)"
         R"("metadata":{"name":")" +
         plural +
         R"(.monitoring.coreos.com"},"spec":{"group":"monitoring.coreos.com","scope":"Namespaced",)"
         R"("names":{"kind":")" +
         kind + R"(","plural":")" + plural + R"(","listKind":")" + kind +
         R"(List"},"versions":[{"name":"v1","served":true,"storage":true,)"
         R"("schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";
}

// The object as a client would create it: the live form without the fields the server owns.
std::string ForCreate(const simdjson::padded_string& live) {
  auto parsed = plumbline::hashing::ParseJson(std::string_view(live.data(), live.size()));
  if (!parsed) {
    Die("corpus object does not parse: " + parsed.error().message);
  }
  hashing_value obj = std::move(*parsed);
  if (hashing_value* meta = obj.Find("metadata")) {
    for (const char* k : {"uid", "resourceVersion", "creationTimestamp", "generation"}) {
      meta->Erase(k);
    }
  }
  return plumbline::hashing::ToJson(obj);
}

std::string GetField(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) {
    return "";
  }
  auto start = at + key.size() + 3;
  if (json[start] == '"') {
    ++start;
    return json.substr(start, json.find('"', start) - start);
  }
  return json.substr(start, json.find_first_of(",}", start) - start);
}

// A full paginated LIST. With `decode`, every page is parsed and its items counted; otherwise
// the continue token is read from the metadata at the head of the body.
struct ListResult {
  double seconds = 0;
  std::size_t items = 0;
  std::size_t pages = 0;
  std::size_t bytes = 0;
};

ListResult ListAll(Connection& conn, const std::string& path, bool decode) {
  ListResult r;
  std::string token;
  std::string body;
  simdjson::dom::parser parser;
  const auto start = Clock::now();
  do {
    std::string target = path + "?limit=500";
    if (!token.empty()) {
      target += "&continue=" + token;
    }
    const int status = conn.Request("GET", target, body);
    if (status != 200) {
      Die("LIST " + target + ": HTTP " + std::to_string(status) + " " + body.substr(0, 300));
    }
    ++r.pages;
    r.bytes += body.size();
    // kube-sim writes metadata before items; a real server does too.
    const std::string head = body.substr(0, std::min<std::size_t>(body.size(), 1024));
    token = GetField(head.substr(0, head.find("\"items\"")), "continue");
    if (decode) {
      simdjson::dom::element doc;
      simdjson::dom::array items;
      if (parser.parse(body).get(doc) != simdjson::SUCCESS ||
          doc["items"].get(items) != simdjson::SUCCESS) {
        Die("LIST page does not parse");
      }
      r.items += items.size();
    }
  } while (!token.empty());
  r.seconds = Seconds(start);
  return r;
}

struct Options {
  std::size_t objects = 100000;
  std::string kube_sim = PLUMBLINE_KUBE_SIM_BIN;
  double seconds = 5;
  std::string history;  // --history for kube-sim ("" = its default)
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Die("missing value after " + a);
      }
      return argv[++i];
    };
    if (a == "--objects") {
      o.objects = std::strtoull(next().c_str(), nullptr, 10);
    } else if (a == "--kube-sim") {
      o.kube_sim = next();
    } else if (a == "--seconds") {
      o.seconds = std::strtod(next().c_str(), nullptr);
    } else if (a == "--history") {
      o.history = next();
    } else {
      Die("usage: bench_sim [--objects N] [--kube-sim PATH] [--seconds S] [--history N]");
    }
  }
  return o;
}

double Mb(std::size_t bytes) { return static_cast<double>(bytes) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress is visible through a pipe
  const Options options = ParseArgs(argc, argv);
  bool goals_met = true;

  // 1. Corpus and server.
  auto t0 = Clock::now();
  std::string model_source;
  const auto model = bench::LoadModel(PLUMBLINE_BENCH_MIX_FILE, model_source);
  bench::CorpusOptions corpus_options;
  corpus_options.objects = options.objects;
  const bench::Corpus corpus = bench::GenerateCorpus(corpus_options, model);
  std::printf("corpus: %zu objects, %.1f MB of live JSON (model: %s), generated in %.1f s\n",
              corpus.objects.size(), Mb(corpus.live_bytes), model_source.c_str(), Seconds(t0));

  std::vector<std::string> sim_args;
  if (!options.history.empty()) {
    sim_args = {"--history", options.history};
  }
  SimProcess sim(options.kube_sim, sim_args);
  const auto idle = sim.Memory();
  std::printf("kube-sim: port %d, RSS %.1f MB empty\n", sim.port(), Mb(idle.first));
  Connection conn(sim.port());
  std::string body;

  // 2. Namespaces, CRDs, then the objects in batches of JSON lines.
  std::set<std::string> namespaces;
  std::map<std::string, KindInfo> kinds;  // by kind
  std::vector<std::string> lines;
  lines.reserve(corpus.objects.size());
  std::size_t create_bytes = 0;
  for (const auto& o : corpus.objects) {
    std::string line = ForCreate(o.live);
    create_bytes += line.size();
    const std::string ns = GetField(line.substr(0, line.find("\"spec\"")), "namespace");
    namespaces.insert(ns);
    lines.push_back(std::move(line));
  }
  std::string setup;
  for (const auto& ns : namespaces) {
    setup += R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + ns + "\"}}\n";
  }
  setup += Crd("ServiceMonitor", "servicemonitors") + "\n";
  setup += Crd("PrometheusRule", "prometheusrules") + "\n";
  if (conn.Request("POST", "/_sim/load?manager=bench", body, setup) != 200) {
    Die("setup load failed: " + body);
  }
  t0 = Clock::now();
  double cpu0 = sim.CpuSeconds();
  constexpr std::size_t kBatch = 2000;
  for (std::size_t i = 0; i < lines.size(); i += kBatch) {
    std::string batch;
    for (std::size_t j = i; j < std::min(lines.size(), i + kBatch); ++j) {
      batch += lines[j];
      batch += '\n';
    }
    if (conn.Request("POST", "/_sim/load?manager=argocd-controller", body, batch) != 200) {
      Die("load failed: " + body.substr(0, 500));
    }
  }
  const double load_s = Seconds(t0);
  const double load_cpu = sim.CpuSeconds() - cpu0;
  for (const auto& o : corpus.objects) {
    const std::string api_version = GetField(
        std::string(o.live.data(), std::min<std::size_t>(o.live.size(), 200)), "apiVersion");
    auto& info = kinds[o.kind];
    if (info.path.empty()) {
      info.path = PathFor(api_version, o.kind);
    }
    ++info.loaded;
  }
  lines.clear();
  lines.shrink_to_fit();
  conn.Request("GET", "/_sim/stats", body);
  std::printf(
      "load: %zu objects (%.1f MB as created) in %.1f s: %.0f objects/s; kube-sim CPU %.1f s "
      "(%.0f objects per CPU second); stats %s\n",
      corpus.objects.size(), Mb(create_bytes), load_s,
      static_cast<double>(corpus.objects.size()) / load_s, load_cpu,
      static_cast<double>(corpus.objects.size()) / load_cpu, body.c_str());
  const std::size_t held = std::strtoull(GetField(body, "objects").c_str(), nullptr, 10);

  // 3. Memory.
  const auto loaded_mem = sim.Memory();
  std::printf("memory: kube-sim RSS %.1f MB holding %zu objects (peak %.1f MB), %.1f KB/object\n",
              Mb(loaded_mem.first), held, Mb(loaded_mem.second),
              static_cast<double>(loaded_mem.first - idle.first) / 1024.0 /
                  static_cast<double>(corpus.objects.size()));

  // 4. Paginated LISTs.
  std::printf("\nLIST, limit=500, all namespaces (best of 3):\n");
  std::printf("  %-16s %8s %6s %10s %9s %12s\n", "kind", "objects", "pages", "MB", "seconds",
              "objects/s");
  double total_s = 0;
  cpu0 = sim.CpuSeconds();
  std::size_t total_items = 0;
  std::size_t total_bytes = 0;
  std::size_t total_pages = 0;
  for (const auto& [kind, info] : kinds) {
    const ListResult check = ListAll(conn, info.path, /*decode=*/true);
    if (check.items < info.loaded) {
      std::printf("  %s: listed %zu of %zu loaded objects\n", kind.c_str(), check.items,
                  info.loaded);
      goals_met = false;
    }
    ListResult best;
    best.seconds = 1e9;
    for (int run = 0; run < 3; ++run) {
      ListResult r = ListAll(conn, info.path, /*decode=*/false);
      if (r.seconds < best.seconds) {
        best = r;
      }
    }
    best.items = check.items;
    std::printf("  %-16s %8zu %6zu %10.1f %9.3f %12.0f\n", kind.c_str(), best.items, best.pages,
                Mb(best.bytes), best.seconds, static_cast<double>(best.items) / best.seconds);
    total_s += best.seconds;
    total_items += best.items;
    total_bytes += best.bytes;
    total_pages += best.pages;
  }
  std::printf("  %-16s %8zu %6zu %10.1f %9.3f %12.0f\n", "all kinds", total_items, total_pages,
              Mb(total_bytes), total_s, static_cast<double>(total_items) / total_s);
  std::printf("  (kube-sim CPU for the 4 passes: %.2f s)\n", sim.CpuSeconds() - cpu0);
  if (total_items < corpus.objects.size()) {
    goals_met = false;
  }

  // 5. Watch throughput.
  const std::string deployments = kinds.count("Deployment") ? kinds["Deployment"].path : "";
  if (deployments.empty()) {
    Die("the corpus has no Deployments to churn");
  }
  std::printf("\nwatch of Deployments (all namespaces), %.0f s each:\n", options.seconds);
  {
    conn.Request("GET", "/_sim/stats", body);
    const std::string rv = GetField(body, "resourceVersion");
    WatchReader watch(sim.port(), deployments + "?watch=true&resourceVersion=" + rv);
    watch.Run(0.2, [] { return false; });  // the stream is open before the churn starts
    conn.Request("POST", "/_sim/churn?rate=1000000", body);
    const double cpu_start = sim.CpuSeconds();
    const auto start = Clock::now();
    const bool open = watch.Run(options.seconds, [] { return false; });
    const double s = Seconds(start);
    const double cpu = sim.CpuSeconds() - cpu_start;
    conn.Request("POST", "/_sim/churn?rate=0", body);
    conn.Request("GET", "/_sim/stats", body);
    const std::uint64_t written =
        std::strtoull(GetField(body, "resourceVersion").c_str(), nullptr, 10) -
        std::strtoull(rv.c_str(), nullptr, 10);
    const double rate = static_cast<double>(watch.counts["MODIFIED"]) / s;
    std::printf(
        "  status churn at max rate: %llu MODIFIED events received in %.1f s = %.0f events/s "
        "(%.1f MB/s), kube-sim wrote %llu; kube-sim CPU %.1f s (%.0f events per CPU second); "
        "stream %s\n",
        static_cast<unsigned long long>(watch.counts["MODIFIED"]), s, rate, Mb(watch.bytes) / s,
        static_cast<unsigned long long>(written), cpu,
        static_cast<double>(watch.counts["MODIFIED"]) / cpu, open ? "open" : "CLOSED");
    if (rate < 10000 || !open) {
      goals_met = false;
    }
  }
  {
    // Client-driven writes: merge patches of one label, as fast as one connection gets answers.
    conn.Request("GET", "/_sim/stats", body);
    const std::string rv = GetField(body, "resourceVersion");
    std::vector<std::string> targets;
    for (const auto& o : corpus.objects) {
      if (o.kind == "Deployment" && targets.size() < 1000) {
        const std::string head(o.live.data(), std::min<std::size_t>(o.live.size(), 400));
        targets.push_back(deployments.substr(0, deployments.rfind('/')) + "/namespaces/" +
                          GetField(head, "namespace") + "/deployments/" + GetField(head, "name") +
                          "?fieldManager=kubectl-label");
      }
    }
    WatchReader watch(sim.port(), deployments + "?watch=true&resourceVersion=" + rv);
    watch.Run(0.2, [] { return false; });
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> patches{0};
    const int port = sim.port();
    std::thread writer([&stop, &patches, &targets, port] {
      Connection w(port);
      std::string reply;
      for (std::uint64_t i = 0; !stop.load(); ++i) {
        const std::string patch =
            R"({"metadata":{"labels":{"bench-seq":")" + std::to_string(i) + R"("}}})";
        if (w.Request("PATCH", targets[i % targets.size()], reply, patch,
                      "application/merge-patch+json") != 200) {
          Die("PATCH failed: " + reply.substr(0, 300));
        }
        patches.fetch_add(1);
      }
    });
    const double cpu_start = sim.CpuSeconds();
    const auto start = Clock::now();
    const bool open = watch.Run(options.seconds, [] { return false; });
    const double s = Seconds(start);
    const double cpu = sim.CpuSeconds() - cpu_start;
    stop = true;
    writer.join();
    std::printf(
        "  merge patches from one client connection: %llu PATCH answered, %llu MODIFIED events "
        "received in %.1f s = %.0f events/s; kube-sim CPU %.1f s; stream %s\n",
        static_cast<unsigned long long>(patches.load()),
        static_cast<unsigned long long>(watch.counts["MODIFIED"]), s,
        static_cast<double>(watch.counts["MODIFIED"]) / s, cpu, open ? "open" : "CLOSED");
  }
  {
    WatchReader watch(sim.port(), deployments +
                                      "?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"
                                      "&resourceVersionMatch=NotOlderThan");
    const double cpu_start = sim.CpuSeconds();
    const auto start = Clock::now();
    watch.Run(120, [&watch] { return watch.saw_initial_end; });
    const double s = Seconds(start);
    const double cpu = sim.CpuSeconds() - cpu_start;
    std::printf(
        "  initial events (sendInitialEvents=true): %llu ADDED in %.2f s = %.0f events/s (%.1f "
        "MB/s); kube-sim CPU %.2f s\n",
        static_cast<unsigned long long>(watch.counts["ADDED"]), s,
        static_cast<double>(watch.counts["ADDED"]) / s, Mb(watch.bytes) / s, cpu);
  }

  const auto end_mem = sim.Memory();
  std::printf(
      "\nmemory at the end: RSS %.1f MB, peak %.1f MB (the watch history holds the "
      "churned versions)\n",
      Mb(end_mem.first), Mb(end_mem.second));
  std::printf("goals (100k+ objects held and listed, >= 10,000 watch events/s): %s\n",
              goals_met ? "MET" : "NOT MET");
  return goals_met ? 0 : 1;
}
