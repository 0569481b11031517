// Test support for the exporters suites: a tiny HTTP/1.1 receiver on 127.0.0.1:0 that records
// requests and answers as scripted (down, 500, 429 with Retry-After, accept), a recording
// Telemetry, event builders and an io_context driver. Single-threaded: everything runs on the
// test's io_context.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>

#include "plumbline/common/drift_event.h"
#include "plumbline/common/telemetry.h"

namespace plumbline::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
using namespace std::chrono_literals;

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  int status = 0;  // what the receiver answered
  std::chrono::steady_clock::time_point at;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Reply {
  int status = 200;
  std::string retry_after;  // Retry-After value, when not empty
  std::string body;
};

// Records every request; answers the scripted replies first, then `default_reply`.
class TestReceiver {
 public:
  explicit TestReceiver(asio::io_context& io, std::uint16_t port = 0);
  ~TestReceiver();
  TestReceiver(const TestReceiver&) = delete;
  TestReceiver& operator=(const TestReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  std::string Url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Down: the port refuses connections and open connections are closed. Up: listens again on
  // the same port.
  void SetDown(bool down);

  void Script(std::vector<Reply> replies) {
    for (auto& r : replies) {
      script_.push_back(std::move(r));
    }
  }
  Reply default_reply;
  std::vector<ReceivedRequest> requests;
  // Called for each request before the answer is chosen (may change the script).
  std::function<void(const ReceivedRequest&)> on_request;

  std::size_t connections() const { return connections_; }

  std::size_t Accepted() const {
    std::size_t n = 0;
    for (const auto& r : requests) {
      n += (r.status >= 200 && r.status < 300) ? 1 : 0;
    }
    return n;
  }

 private:
  void Open(std::uint16_t port);
  static asio::awaitable<void> Accept(TestReceiver* self);
  static asio::awaitable<void> Serve(TestReceiver* self, std::shared_ptr<beast::tcp_stream> s);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::size_t connections_ = 0;
  std::deque<Reply> script_;
  std::vector<std::weak_ptr<beast::tcp_stream>> sessions_;
};

// Runs the io_context until `done()` or the timeout; returns done().
bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
              std::chrono::milliseconds timeout = 5000ms);

inline void RunFor(asio::io_context& io, std::chrono::milliseconds d) {
  RunUntil(
      io, [] { return false; }, d);
}

class RecordingTelemetry : public Telemetry {
 public:
  void DeliverySent(std::string_view sink, std::uint64_t events) override {
    sent[std::string(sink)] += events;
  }
  void DeliveryFailed(std::string_view sink, std::string_view reason) override {
    failed[std::string(sink) + "/" + std::string(reason)] += 1;
  }
  void DeliveryRetried(std::string_view sink) override { retried[std::string(sink)] += 1; }
  void DeliveryDropped(std::string_view sink, std::string_view reason,
                       std::uint64_t events) override {
    dropped[std::string(sink) + "/" + std::string(reason)] += events;
  }
  void SpoolBytes(std::string_view /*sink*/, std::uint64_t bytes, std::uint64_t capacity) override {
    spool_bytes = bytes;
    spool_capacity = capacity;
  }
  void Error(std::string_view component, std::string_view reason) override {
    errors[std::string(component) + "/" + std::string(reason)] += 1;
  }

  std::map<std::string, std::uint64_t> sent, failed, retried, dropped, errors;
  std::uint64_t spool_bytes = 0;
  std::uint64_t spool_capacity = 0;
};

inline std::shared_ptr<DriftEvent> MakeEvent(std::string id, EventType type = EventType::kDrifted,
                                             std::string kind = "Deployment",
                                             std::string ns = "shop", std::string name = "web") {
  auto e = std::make_shared<DriftEvent>();
  e->id = std::move(id);
  e->type = type;
  e->time = "2026-11-23T17:00:00.123Z";
  e->detected_unix_nanos = 1'795'000'000'000'000'000;
  e->cluster = "prod-eu-1";
  e->resource.api_version = kind == "Deployment" ? "apps/v1" : "v1";
  e->resource.group = kind == "Deployment" ? "apps" : "";
  e->resource.kind = std::move(kind);
  e->resource.namespace_ = std::move(ns);
  e->resource.name = std::move(name);
  e->resource.uid = "0b9f6a52-7c1e-4a57-9d1c-5a3e2f7b8c91";
  e->resource.resource_version = "12345";
  if (type == EventType::kDrifted) {
    e->drift_kind = "modified";
  } else if (type == EventType::kMissing) {
    e->drift_kind = "missing";
  } else if (type == EventType::kOrphan) {
    e->drift_kind = "orphan";
  } else if (type == EventType::kExtraneous) {
    e->drift_kind = "extraneous";
  }
  e->target = {"https://git.example.com/shop.git", "3f2c1a9", "deploy/web.yaml"};
  if (type != EventType::kResolved) {
    e->changes.push_back({"/spec/template/spec/containers/0/image", "\"nginx:1.25\"",
                          "\"nginx:1.27\"",
                          EventActor{"kubectl-set", "Update", "2026-11-23T16:59:58Z", ""}});
    e->changes.push_back({"/spec/replicas", "3", "5",
                          EventActor{"kubectl-scale", "Update", "2026-11-23T16:59:00Z", "scale"}});
    e->patch.push_back({"replace", "/spec/replicas", "5"});
    e->diff =
        "--- git\n+++ live\n@@ -1,3 +1,3 @@\n-  replicas: 3\n+  replicas: 5\n"
        "-        image: nginx:1.25\n+        image: nginx:1.27\n";
    e->message = "image changed by kubectl-set";
  } else {
    e->message = "back in sync";
  }
  return e;
}

}  // namespace plumbline::testing
