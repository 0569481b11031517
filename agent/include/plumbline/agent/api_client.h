// ApiClient: the agent's HTTP/1.1 client for the Kubernetes API server. GET only (the agent is
// read-only; its RBAC is get/list/watch), with one exception enforced here: WriteLease, for the
// optional leader election. Keeps a small pool of keep-alive connections, speaks
// TLS through OpenSSL (cluster CA verified, SNI, host name or IP checked unless
// insecure-skip-tls-verify), authenticates with a bearer token or client certificate from the
// CredentialProvider (re-reading/re-running after a 401), paces requests with a client-side
// QPS/burst token bucket (client-go's defaults: 50 qps, burst 100), and bounds everything it reads.
//
// Threading: all methods run on the executor given at construction, which must be the agent's
// single io thread (STYLE.md §6). Not thread-safe. The client must outlive every coroutine that
// uses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before Asio (asio#944)
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "plumbline/agent/kube_config.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"

namespace plumbline::agent {

template <typename T>
using Awaitable = boost::asio::awaitable<T>;

struct ApiClientOptions {
  double qps = 50;  // <= 0: no client-side limit
  int burst = 100;
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect + TLS handshake
  std::chrono::milliseconds request_timeout{60'000};  // a whole non-streaming request
  std::size_t max_body_bytes = 256u << 20;            // a response body (Get)
  std::size_t max_line_bytes = 64u << 20;             // one line of a stream (a watch event)
  std::size_t max_idle_connections = 4;
  std::string user_agent = "plumbline-agent/0.1.0";
  std::chrono::milliseconds token_file_refresh{60'000};
};

struct ApiResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header of that name (case-insensitive); empty when absent.
  std::string_view Header(std::string_view name) const;
  // Retry-After as plain seconds (the form the API server sends); nullopt when absent or an
  // HTTP date.
  std::optional<std::chrono::seconds> RetryAfter() const;
};

// Lets another coroutine on the same thread abort the request in flight (Reflector::Stop,
// RequestResync): the connection is closed and the request returns an error. A cancelled
// canceller makes later requests fail at once until Reset.
class RequestCanceller {
 public:
  void Cancel() {
    cancelled_ = true;
    if (on_cancel_) {
      auto f = std::move(on_cancel_);
      on_cancel_ = nullptr;
      f();
    }
  }
  bool cancelled() const { return cancelled_; }
  void Reset() { cancelled_ = false; }

  // Used by ApiClient: what Cancel does while a request is in flight (empty: nothing).
  void SetOnCancel(std::function<void()> f) { on_cancel_ = std::move(f); }

 private:
  std::function<void()> on_cancel_;
  bool cancelled_ = false;
};

struct RequestOptions {
  std::string accept = "application/json";
  std::string verb = "get";  // Telemetry::ApiRequest label: "get", "list", "watch"
  std::string resource;      // Telemetry label ("group/version/resource"); "" = "other"
  RequestCanceller* canceller = nullptr;
  // A 429 or 5xx answer with a Retry-After of at most 60 s is retried after that wait, this many
  // times (client-go retries up to 10); then, or without Retry-After, the answer is returned.
  // The reflector and discovery set 0 and do their own waiting.
  int retry_after_retries = 3;
  // 0: ApiClientOptions::request_timeout for Get; for Stream, the longest silence allowed
  // between two reads (0: none beyond the server's own timeout).
  std::chrono::milliseconds timeout{0};
  // Set by WriteLease only: the HTTP method and the JSON body.
  std::string method = "GET";
  std::string body;
};

// True for the targets WriteLease accepts: /apis/coordination.k8s.io/v1/namespaces/NS/leases
// (POST) and .../leases/NAME (PUT), without a query.
bool IsLeaseTarget(std::string_view method, std::string_view target);

// Receives the lines of a streaming response (newline-delimited JSON).
class LineHandler {
 public:
  virtual ~LineHandler() = default;
  // One complete, non-empty line without its '\n' (or "\r\n"). At least kLinePadding readable
  // bytes follow line.data() + line.size() (simdjson can parse in place). `received_unix_nanos`:
  // when the read that completed the line returned. An error stops the stream and Stream
  // returns it.
  virtual Status OnLine(std::string_view line, std::int64_t received_unix_nanos) = 0;
};

inline constexpr std::size_t kLinePadding = 64;  // == SIMDJSON_PADDING

class ApiClient {
 public:
  ApiClient(boost::asio::any_io_executor executor, ClusterConfig config,
            ApiClientOptions options = {}, Telemetry& telemetry = NullTelemetry());
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // GET target ("/api/v1/pods?limit=500", relative to the server's base path). Returns the
  // status, headers and body for any HTTP status; errors are transport failures (kUnavailable),
  // an oversized body (kLimitExceeded), bad credentials (the provider's error) or cancellation.
  Awaitable<Result<ApiResponse>> Get(std::string target, RequestOptions options = {});

  // Streaming GET. On 200 every line goes to `handler` as it arrives (lines split across reads
  // or chunks are joined; a line over max_line_bytes is kLimitExceeded) until the server ends
  // the response: the result is then status 200 with an empty body. Any other status is
  // returned like Get, without calling the handler. `handler` must outlive the call.
  Awaitable<Result<ApiResponse>> Stream(std::string target, LineHandler* handler,
                                        RequestOptions options = {});

  // POST (create) or PUT (update) of a coordination.k8s.io/v1 Lease with a JSON body, for
  // leader election; any other method or target is refused (kInvalidArgument) without a
  // request. Never retried on a stale connection unless PUT (idempotent with resourceVersion).
  Awaitable<Result<ApiResponse>> WriteLease(std::string method, std::string target,
                                            std::string body, RequestOptions options = {});

  // Closes the idle connections of the pool.
  void CloseIdle();

  const boost::asio::any_io_executor& executor() const;
  const ClusterConfig& config() const;
  const ApiClientOptions& options() const;
  // Connections opened so far (tests check keep-alive reuse).
  std::uint64_t connections_opened() const;
  int exec_runs() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumbline::agent
