#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <utility>

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plumbline/exporters/collector_sink.h"

#include "exporters/test_support.h"

#ifndef COLLECTOR_DRIVER_BIN
#error "COLLECTOR_DRIVER_BIN must name the collector_driver executable"
#endif

extern char** environ;

namespace plumbline::exporters {
namespace {

namespace fs = std::filesystem;
using namespace plumbline::testing;

struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "plumbline-collector-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

// Event ids in the CloudEvent batches the receiver accepted (with repeats).
std::multiset<std::string> AcceptedIds(const TestReceiver& receiver) {
  std::multiset<std::string> ids;
  simdjson::dom::parser parser;
  for (const auto& r : receiver.requests) {
    if (r.status != 200) {
      continue;
    }
    simdjson::dom::array array;
    REQUIRE(parser.parse(r.body).get(array) == simdjson::SUCCESS);
    for (auto e : array) {
      std::string_view id;
      REQUIRE(e["id"].get(id) == simdjson::SUCCESS);
      ids.insert(std::string(id));
    }
  }
  return ids;
}

CollectorOptions FastOptions(const TestReceiver& receiver, const std::string& dir) {
  CollectorOptions o;
  o.url = receiver.Url("/v1/events");
  o.bearer_token = "t0ken";
  o.spool.dir = dir;
  o.spool.fsync_interval = std::chrono::milliseconds(20);
  o.batch_delay = 30ms;
  o.max_batch_events = 20;
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 100ms;
  o.http.connect_timeout = 500ms;
  o.http.request_timeout = 1000ms;
  o.close_timeout = 300ms;
  return o;
}

void Finish(asio::io_context& io, CollectorSink& sink) {
  sink.Close();
  REQUIRE(RunUntil(
      io, [&] { return sink.finished(); }, 3000ms));
}

TEST_CASE("Collector: batched CloudEvents with a bearer token, 500s retried",
          "[exporters][collector]") {
  asio::io_context io;
  TempDir dir;
  TestReceiver receiver(io);
  receiver.Script({{500, "", ""}, {503, "0", ""}});
  RecordingTelemetry telemetry;
  auto sink = CollectorSink::Create(io, FastOptions(receiver, dir.path), telemetry);
  REQUIRE(sink);
  for (int i = 0; i < 45; ++i) {
    (*sink)->Publish(MakeEvent("c" + std::to_string(i)));
  }
  (*sink)->Publish(MakeEvent("c0"));  // a duplicate id is not spooled twice
  CHECK((*sink)->pending() == 45);
  REQUIRE(RunUntil(io, [&] { return (*sink)->pending() == 0; }));
  const auto ids = AcceptedIds(receiver);
  CHECK(ids.size() == 45);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 45);
  for (const auto& r : receiver.requests) {
    CHECK(r.Header("authorization") == "Bearer t0ken");
    CHECK(r.Header("content-type") == "application/cloudevents-batch+json; charset=utf-8");
  }
  CHECK(receiver.requests.size() >= 5);  // 2 failures, then batches of at most 20
  CHECK(telemetry.sent["collector"] == 45);
  CHECK(telemetry.failed["collector/http_5xx"] == 2);
  Finish(io, **sink);
}

TEST_CASE("Collector: an outage across a restart loses nothing and repeats nothing acked",
          "[exporters][collector]") {
  asio::io_context io;
  TempDir dir;
  TestReceiver receiver(io);
  RecordingTelemetry telemetry;
  {
    auto sink = CollectorSink::Create(io, FastOptions(receiver, dir.path), telemetry);
    REQUIRE(sink);
    for (int i = 0; i < 10; ++i) {
      (*sink)->Publish(MakeEvent("a" + std::to_string(i)));
    }
    REQUIRE(RunUntil(io, [&] { return (*sink)->pending() == 0; }));
    receiver.SetDown(true);
    for (int i = 0; i < 30; ++i) {
      (*sink)->Publish(MakeEvent("b" + std::to_string(i)));
    }
    RunFor(io, 200ms);
    CHECK((*sink)->pending() == 30);
    Finish(io, **sink);
  }
  // The closed sink's coroutines end (and free its spool, with the folder's lock) once the
  // io_context has run them out: at most the close timeout (300 ms).
  RunFor(io, 400ms);
  receiver.SetDown(false);
  const std::size_t before = receiver.requests.size();
  auto sink = CollectorSink::Create(io, FastOptions(receiver, dir.path), telemetry);
  REQUIRE(sink);
  CHECK((*sink)->pending() == 30);
  REQUIRE(RunUntil(io, [&] { return (*sink)->pending() == 0; }));
  CHECK(receiver.requests.size() > before);
  const auto ids = AcceptedIds(receiver);
  CHECK(ids.size() == 40);  // the acknowledged a* were not sent again
  Finish(io, **sink);
}

TEST_CASE("Collector: a refused event is isolated and dropped, the rest delivered",
          "[exporters][collector]") {
  asio::io_context io;
  TempDir dir;
  TestReceiver receiver(io);
  // Refuse every batch that holds "poison".
  receiver.on_request = [&](const ReceivedRequest& r) {
    receiver.default_reply = r.body.find("\"id\":\"poison\"") != std::string::npos
                                 ? Reply{400, "", "bad event"}
                                 : Reply{200, "", ""};
  };
  RecordingTelemetry telemetry;
  auto sink = CollectorSink::Create(io, FastOptions(receiver, dir.path), telemetry);
  REQUIRE(sink);
  for (int i = 0; i < 8; ++i) {
    (*sink)->Publish(MakeEvent(i == 5 ? "poison" : "p" + std::to_string(i)));
  }
  REQUIRE(RunUntil(io, [&] { return (*sink)->pending() == 0; }));
  CHECK(AcceptedIds(receiver).size() == 7);
  CHECK(telemetry.dropped["collector/rejected"] == 1);
  Finish(io, **sink);
}

// The driver process: stdout read without blocking.
class Driver {
 public:
  Driver(const std::string& url, const std::string& dir, int from, int to, bool drain) {
    std::vector<std::string> args = {COLLECTOR_DRIVER_BIN, url, dir, std::to_string(from),
                                     std::to_string(to)};
    if (drain) {
      args.push_back("--drain");
    }
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
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
    REQUIRE(rc == 0);
    fd_ = out[0];
    fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~Driver() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(fd_);
  }
  // Reads what is available; returns the highest "published N" seen so far (-1: none).
  int LastPublished() {
    char buf[4096];
    ssize_t n = 0;
    while ((n = read(fd_, buf, sizeof buf)) > 0) {
      output_.append(buf, static_cast<std::size_t>(n));
    }
    int last = -1;
    std::size_t at = 0;
    while ((at = output_.find("published ", at)) != std::string::npos) {
      at += 10;
      const auto end = output_.find('\n', at);
      if (end == std::string::npos) {
        break;
      }
      last = std::stoi(output_.substr(at, end - at));
    }
    return last;
  }
  bool Said(const std::string& text) {
    LastPublished();
    return output_.find(text) != std::string::npos;
  }
  void Kill() {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    CHECK(WIFSIGNALED(status));
  }
  // Exit status once it ended, or -1 while it runs.
  int Poll() {
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  int exit_code_ = -1;
  std::string output_;
};

TEST_CASE("Collector durability: SIGKILL while events are spooled, restart, nothing lost",
          "[exporters][collector][durability]") {
  asio::io_context io;
  TempDir dir;
  TestReceiver receiver(io);
  constexpr int kEvents = 400;
  // Up for the first few batches, then 500s: part is acknowledged, the rest stays spooled.
  int seen = 0;
  receiver.on_request = [&](const ReceivedRequest&) {
    if (++seen > 3) {
      receiver.default_reply = {500, "", "collector broken"};
    }
  };
  int last = -1;
  {
    Driver first(receiver.Url("/v1/events"), dir.path, 0, kEvents, false);
    REQUIRE(RunUntil(
        io, [&] { return (last = first.LastPublished()) >= kEvents / 2; }, 15000ms));
    first.Kill();
    last = std::max(last, first.LastPublished());
  }
  INFO("killed after event " << last);
  CHECK(receiver.Accepted() >= 1);
  // Restart while the collector is down, then bring it back.
  receiver.SetDown(true);
  receiver.on_request = nullptr;
  receiver.default_reply = {200, "", ""};
  Driver second(receiver.Url("/v1/events"), dir.path, last + 1, kEvents, true);
  RunFor(io, 300ms);
  receiver.SetDown(false);
  REQUIRE(RunUntil(
      io, [&] { return second.Poll() >= 0; }, 30000ms));
  CHECK(second.Poll() == 0);
  CHECK(second.Said("drained"));
  const auto ids = AcceptedIds(receiver);
  const std::set<std::string> unique(ids.begin(), ids.end());
  for (int i = 0; i < kEvents; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "ev-%06d", i);
    if (unique.count(id) == 0) {
      FAIL("lost " << id);
    }
  }
  CHECK(unique.size() == kEvents);
  INFO("duplicates: " << ids.size() - unique.size());
  // At-least-once: repeats only of what was in flight or unacknowledged at the kill.
  CHECK(ids.size() - unique.size() <= 100);
}

}  // namespace
}  // namespace plumbline::exporters
