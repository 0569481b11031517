#include "plumbline/agent/api_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "plumbline/agent/backoff.h"

namespace plumbline::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64u << 10;
constexpr std::size_t kMaxErrorBody = 1u << 20;
// A longer Retry-After is returned to the caller instead of waited for inside a request.
constexpr std::chrono::seconds kMaxClientRetryAfter{60};

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::int64_t UnixNanosNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Joins the bytes of a stream into lines and hands complete ones to the handler. The buffer
// always has kLinePadding spare bytes of capacity past its end, so a line can be parsed in
// place by simdjson.
class LineSplitter {
 public:
  LineSplitter(LineHandler* handler, std::size_t max_line) : handler_(handler), max_(max_line) {}

  Status Feed(const char* data, std::size_t n, std::int64_t received) {
    if (buf_.capacity() < buf_.size() + n + kLinePadding) {
      buf_.reserve(std::max(buf_.capacity() * 2, buf_.size() + n + kLinePadding));
    }
    buf_.append(data, n);
    std::size_t start = 0;
    for (;;) {
      const auto nl = buf_.find('\n', scan_);
      if (nl == std::string::npos) {
        scan_ = buf_.size();
        break;
      }
      std::size_t end = nl;
      if (end > start && buf_[end - 1] == '\r') {
        --end;
      }
      if (end > start) {
        Status st = handler_->OnLine(std::string_view(buf_.data() + start, end - start), received);
        if (!st) {
          return st;
        }
      }
      start = nl + 1;
      scan_ = start;
    }
    if (start > 0) {
      buf_.erase(0, start);
      scan_ -= start;
    }
    if (buf_.size() > max_) {
      return MakeError(ErrorCode::kLimitExceeded,
                       "a streamed line is longer than " + std::to_string(max_) + " bytes");
    }
    return Status::Ok();
  }

  // A last line without '\n' when the stream ends.
  Status Finish(std::int64_t received) {
    if (buf_.find_first_not_of(" \r\n\t") == std::string::npos) {
      return Status::Ok();
    }
    buf_.reserve(buf_.size() + kLinePadding);
    return handler_->OnLine(buf_, received);
  }

 private:
  LineHandler* handler_;
  std::size_t max_;
  std::string buf_;
  std::size_t scan_ = 0;
};

}  // namespace

std::string_view ApiResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) {
      return v;
    }
  }
  return {};
}

std::optional<std::chrono::seconds> ApiResponse::RetryAfter() const {
  std::string_view v = Header("Retry-After");
  while (!v.empty() && v.front() == ' ') {
    v.remove_prefix(1);
  }
  while (!v.empty() && v.back() == ' ') {
    v.remove_suffix(1);
  }
  std::int64_t seconds = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

// One pooled connection: plain TCP or TLS over TCP.
struct Connection {
  std::shared_ptr<ssl::context> tls_context;  // keeps the context alive for the stream
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::uint64_t cert_generation = 0;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void Close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }
};
using ConnectionPtr = std::unique_ptr<Connection>;

// Clears the canceller's hook when a request phase ends (the hook points at locals).
class CancelScope {
 public:
  explicit CancelScope(RequestCanceller* c) : c_(c) {}
  ~CancelScope() {
    if (c_ != nullptr) {
      c_->SetOnCancel(nullptr);
    }
  }
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;
  void Set(std::function<void()> f) {
    if (c_ != nullptr) {
      c_->SetOnCancel(std::move(f));
    }
  }
  bool cancelled() const { return c_ != nullptr && c_->cancelled(); }

 private:
  RequestCanceller* c_;
};

Error Cancelled() { return MakeError(ErrorCode::kUnavailable, "request cancelled"); }

class ApiClient::Impl {
 public:
  Impl(asio::any_io_executor executor, ClusterConfig config, ApiClientOptions options,
       Telemetry& telemetry)
      : executor_(std::move(executor)),
        config_(std::move(config)),
        options_(std::move(options)),
        telemetry_(telemetry),
        provider_(config_, options_.token_file_refresh),
        bucket_(options_.qps, options_.burst) {
    const bool ipv6 = config_.host.find(':') != std::string::npos;
    host_header_ = (ipv6 ? "[" + config_.host + "]" : config_.host);
    if (!((config_.tls && config_.port == "443") || (!config_.tls && config_.port == "80"))) {
      host_header_ += ":" + config_.port;
    }
    verify_name_ = config_.tls_server_name.empty() ? config_.host : config_.tls_server_name;
  }

  ~Impl() { CloseIdle(); }

  void CloseIdle() {
    for (auto& c : idle_) {
      c->Close();
    }
    idle_.clear();
  }

  // Get (handler == nullptr) or Stream.
  asio::awaitable<Result<ApiResponse>> Request(std::string target, RequestOptions o,
                                               LineHandler* handler) {
    const auto started = std::chrono::steady_clock::now();
    if (o.method != "GET" && !IsLeaseTarget(o.method, target)) {
      // The read-only promise, enforced where every request passes.
      co_return MakeError(ErrorCode::kInvalidArgument,
                          "refusing " + o.method + " " + target + ": the agent only reads");
    }
    CancelScope scope(o.canceller);
    if (scope.cancelled()) {
      co_return Cancelled();
    }
    const std::string resource = o.resource.empty() ? std::string("other") : o.resource;
    // Client-side rate limit.
    if (const auto delay = bucket_.Reserve(std::chrono::steady_clock::now());
        delay > std::chrono::nanoseconds(0)) {
      asio::steady_timer timer(executor_, delay);
      scope.Set([&timer] { timer.cancel(); });
      auto [ec] = co_await timer.async_wait(kUseAwaitable);
      (void)ec;
      scope.Set(nullptr);
      if (scope.cancelled()) {
        co_return Cancelled();
      }
    }
    bool retried_auth = false;
    int stale_retries = 0;
    int retry_after_left = o.retry_after_retries;
    for (;;) {
      auto creds = provider_.Get();
      if (!creds) {
        telemetry_.Error("api_client", "credentials");
        co_return creds.error();
      }
      if (Status st = EnsureTlsContext(*creds); !st) {
        telemetry_.Error("api_client", "tls_config");
        co_return st.error();
      }
      ConnectionPtr conn = TakeIdle(creds->cert_generation);
      const bool reused = conn != nullptr;
      if (!conn) {
        auto fresh = co_await Connect(o.canceller, creds->cert_generation);
        if (!fresh) {
          telemetry_.ApiRequest(o.verb, resource, 0, Seconds(started));
          co_return fresh.error();
        }
        conn = std::move(*fresh);
      }
      bool response_started = false;
      bool keep = false;
      // Not a conditional expression: g++ 12 mishandles co_await inside `?:`.
      std::optional<Result<ApiResponse>> exchanged;
      if (conn->tls) {
        exchanged.emplace(co_await Exchange(&*conn->tls, conn.get(), target, o, handler,
                                            creds->bearer_token, &response_started, &keep,
                                            started));
      } else {
        exchanged.emplace(co_await Exchange(&*conn->plain, conn.get(), target, o, handler,
                                            creds->bearer_token, &response_started, &keep,
                                            started));
      }
      Result<ApiResponse> r = std::move(*exchanged);
      if (!r && reused && !response_started && !scope.cancelled() && stale_retries < 3 &&
          o.method != "POST") {
        // The server closed an idle keep-alive connection: GET and PUT are idempotent, try a
        // fresh one.
        ++stale_retries;
        conn->Close();
        continue;
      }
      if (r && r->status == 401 && !retried_auth && provider_.Invalidate()) {
        // Bound tokens rotate and plugin credentials expire early: fetch new ones once.
        retried_auth = true;
        if (keep) {
          PutIdle(std::move(conn));
        } else {
          conn->Close();
        }
        telemetry_.ApiRequest(o.verb, resource, 401, Seconds(started));
        continue;
      }
      if (keep) {
        PutIdle(std::move(conn));
      } else {
        conn->Close();
      }
      if (handler == nullptr || !r || r->status != 200) {
        telemetry_.ApiRequest(o.verb, resource, r ? r->status : 0, Seconds(started));
      }
      if (r && (r->status == 429 || r->status >= 500) && retry_after_left > 0) {
        // client-go's rule: retry throttled or failed requests that say when to come back.
        if (const auto wait = r->RetryAfter(); wait && *wait <= kMaxClientRetryAfter) {
          --retry_after_left;
          asio::steady_timer timer(executor_, *wait);
          scope.Set([&timer] { timer.cancel(); });
          auto [ec] = co_await timer.async_wait(kUseAwaitable);
          (void)ec;
          scope.Set(nullptr);
          if (scope.cancelled()) {
            co_return Cancelled();
          }
          continue;
        }
      }
      co_return r;
    }
  }

  const asio::any_io_executor& executor() const { return executor_; }
  const ClusterConfig& config() const { return config_; }
  const ApiClientOptions& options() const { return options_; }
  std::uint64_t connections_opened() const { return connections_opened_; }
  int exec_runs() const { return provider_.exec_runs(); }

 private:
  static double Seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
  }

  std::string Where() const { return config_.host + ":" + config_.port; }

  Status EnsureTlsContext(const Credentials& creds) {
    if (!config_.tls || (tls_context_ && tls_generation_ == creds.cert_generation)) {
      return Status::Ok();
    }
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    if (config_.insecure_skip_tls_verify) {
      ctx->set_verify_mode(ssl::verify_none, ec);
    } else {
      ctx->set_verify_mode(ssl::verify_peer, ec);
      if (!config_.ca_pem.empty()) {
        ctx->add_certificate_authority(asio::buffer(config_.ca_pem), ec);
        if (ec) {
          return MakeError(ErrorCode::kInvalidArgument,
                           config_.origin + ": certificate-authority: not a PEM certificate (" +
                               ec.message() + ")");
        }
      } else {
        ctx->set_default_verify_paths(ec);
      }
    }
    if (!creds.client_cert_pem.empty()) {
      ctx->use_certificate_chain(asio::buffer(creds.client_cert_pem), ec);
      if (ec) {
        return MakeError(
            ErrorCode::kInvalidArgument,
            config_.origin + ": client-certificate: not a PEM certificate (" + ec.message() + ")");
      }
      ctx->use_private_key(asio::buffer(creds.client_key_pem), ssl::context::pem, ec);
      if (ec) {
        return MakeError(ErrorCode::kInvalidArgument, config_.origin +
                                                          ": client-key: not a PEM key matching "
                                                          "the certificate (" +
                                                          ec.message() + ")");
      }
    }
    tls_context_ = std::move(ctx);
    tls_generation_ = creds.cert_generation;
    CloseIdle();  // connections made with the old certificate
    return Status::Ok();
  }

  ConnectionPtr TakeIdle(std::uint64_t generation) {
    while (!idle_.empty()) {
      ConnectionPtr c = std::move(idle_.back());
      idle_.pop_back();
      if (c->cert_generation == generation && c->lowest().socket().is_open()) {
        return c;
      }
      c->Close();
    }
    return nullptr;
  }

  void PutIdle(ConnectionPtr c) {
    if (idle_.size() >= options_.max_idle_connections) {
      c->Close();
      return;
    }
    c->lowest().expires_never();
    idle_.push_back(std::move(c));
  }

  asio::awaitable<Result<ConnectionPtr>> Connect(RequestCanceller* canceller,
                                                 std::uint64_t generation) {
    CancelScope scope(canceller);
    tcp::resolver resolver(executor_);
    scope.Set([&resolver] { resolver.cancel(); });
    auto [rec, endpoints] =
        co_await resolver.async_resolve(config_.host, config_.port, kUseAwaitable);
    if (scope.cancelled()) {
      co_return Cancelled();
    }
    if (rec) {
      telemetry_.Error("api_client", "resolve");
      co_return MakeError(ErrorCode::kUnavailable, "resolve " + Where() + ": " + rec.message());
    }
    auto conn = std::make_unique<Connection>();
    conn->cert_generation = generation;
    if (config_.tls) {
      conn->tls_context = tls_context_;
      conn->tls.emplace(beast::tcp_stream(executor_), *tls_context_);
    } else {
      conn->plain.emplace(executor_);
    }
    Connection* raw = conn.get();
    scope.Set([raw] { raw->Close(); });
    beast::tcp_stream& lowest = conn->lowest();
    lowest.expires_after(options_.connect_timeout);
    auto [cec, ep] = co_await lowest.async_connect(endpoints, kUseAwaitable);
    (void)ep;
    if (scope.cancelled()) {
      co_return Cancelled();
    }
    if (cec) {
      telemetry_.Error("api_client", "connect");
      co_return MakeError(ErrorCode::kUnavailable, "connect " + Where() + ": " + cec.message());
    }
    ++connections_opened_;
    beast::error_code ec;
    lowest.socket().set_option(tcp::no_delay(true), ec);
    // Watches can be silent for minutes: let the kernel notice a peer that vanished.
    lowest.socket().set_option(asio::socket_base::keep_alive(true), ec);
    if (config_.tls) {
      SSL* ssl_handle = conn->tls->native_handle();
      const bool ip = IsIpAddress(verify_name_);
      if (!ip) {
        // SSL_set_tlsext_host_name without the macro's C cast.
        SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(verify_name_.c_str()));  // NOLINT: OpenSSL's signature
      }
      if (!config_.insecure_skip_tls_verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, verify_name_.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, verify_name_.c_str(), 0);
        if (ok != 1) {
          co_return MakeError(ErrorCode::kInvalidArgument,
                              "cannot verify the server name '" + verify_name_ + "'");
        }
      }
      auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kUseAwaitable);
      if (scope.cancelled()) {
        co_return Cancelled();
      }
      if (hec) {
        telemetry_.Error("api_client", "tls_handshake");
        std::string msg = "TLS handshake with " + Where() + ": " + hec.message();
        const long verify = SSL_get_verify_result(ssl_handle);
        if (verify != X509_V_OK) {
          msg += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
        }
        co_return MakeError(ErrorCode::kUnavailable, msg);
      }
    }
    co_return conn;
  }

  template <typename Stream>
  asio::awaitable<Result<ApiResponse>> Exchange(Stream* stream, Connection* conn,
                                                std::string target, RequestOptions o,
                                                LineHandler* handler, std::string token,
                                                bool* response_started, bool* keep,
                                                std::chrono::steady_clock::time_point started) {
    *keep = false;
    CancelScope scope(o.canceller);
    scope.Set([conn] { conn->Close(); });
    http::request<http::string_body> req{http::string_to_verb(o.method), config_.base_path + target,
                                         11};
    if (!o.body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(o.body);
      req.prepare_payload();
    }
    req.set(http::field::host, host_header_);
    req.set(http::field::user_agent, options_.user_agent);
    req.set(http::field::accept, o.accept);
    if (!token.empty()) {
      req.set(http::field::authorization, "Bearer " + token);
    }
    req.keep_alive(true);
    const auto timeout = o.timeout.count() > 0 ? o.timeout : options_.request_timeout;
    beast::tcp_stream& lowest = conn->lowest();
    if (handler == nullptr || o.timeout.count() > 0) {
      lowest.expires_after(timeout);
    } else {
      lowest.expires_after(options_.request_timeout);  // until the response head
    }
    auto [wec, wn] = co_await http::async_write(*stream, req, kUseAwaitable);
    (void)wn;
    if (scope.cancelled()) {
      co_return Cancelled();
    }
    if (wec) {
      co_return MakeError(ErrorCode::kUnavailable,
                          o.method + " " + target + " on " + Where() + ": write: " + wec.message());
    }
    if (handler == nullptr) {
      http::response_parser<http::string_body> parser;
      parser.header_limit(256u << 10);
      parser.body_limit(options_.max_body_bytes);
      auto [rec, rn] = co_await http::async_read(*stream, conn->buffer, parser, kUseAwaitable);
      *response_started = rn > 0 || parser.got_some();
      if (scope.cancelled()) {
        co_return Cancelled();
      }
      if (rec == http::error::body_limit) {
        co_return MakeError(ErrorCode::kLimitExceeded,
                            o.method + " " + target + ": response body larger than " +
                                std::to_string(options_.max_body_bytes) + " bytes");
      }
      if (rec) {
        co_return MakeError(ErrorCode::kUnavailable, o.method + " " + target + " on " + Where() +
                                                         ": read: " + rec.message());
      }
      auto msg = parser.release();
      ApiResponse r;
      r.status = static_cast<int>(msg.result_int());
      for (const auto& field : msg) {
        r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      r.body = std::move(msg.body());
      *keep = msg.keep_alive();
      co_return r;
    }

    // Streaming: read the head, then the body in pieces as they arrive.
    http::response_parser<http::buffer_body> parser;
    parser.header_limit(256u << 10);
    parser.body_limit(boost::none);
    auto [hec, hn] = co_await http::async_read_header(*stream, conn->buffer, parser, kUseAwaitable);
    *response_started = hn > 0 || parser.got_some();
    if (scope.cancelled()) {
      co_return Cancelled();
    }
    if (hec) {
      co_return MakeError(ErrorCode::kUnavailable,
                          o.method + " " + target + " on " + Where() + ": read: " + hec.message());
    }
    ApiResponse r;
    r.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (r.status == 200) {
      telemetry_.ApiRequest(o.verb, o.resource.empty() ? std::string("other") : o.resource, 200,
                            Seconds(started));
    }
    LineSplitter splitter(handler, options_.max_line_bytes);
    std::vector<char> chunk(kReadChunk);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      if (o.timeout.count() > 0) {
        lowest.expires_after(o.timeout);
      } else {
        lowest.expires_never();
      }
      auto [ec, n] = co_await http::async_read_some(*stream, conn->buffer, parser, kUseAwaitable);
      (void)n;
      if (scope.cancelled()) {
        co_return Cancelled();
      }
      if (ec == http::error::need_buffer) {
        ec = {};
      }
      if (ec) {
        const bool timed_out = ec == beast::error::timeout;
        co_return MakeError(
            ErrorCode::kUnavailable,
            o.method + " " + target + " on " + Where() + ": " +
                (timed_out ? std::string("no data for ") + std::to_string(o.timeout.count()) + " ms"
                           : "read: " + ec.message()));
      }
      const std::size_t got = chunk.size() - parser.get().body().size;
      if (got == 0) {
        continue;
      }
      if (r.status == 200) {
        Status st = splitter.Feed(chunk.data(), got, UnixNanosNow());
        if (!st) {
          co_return st.error();
        }
      } else {
        if (r.body.size() + got > kMaxErrorBody) {
          co_return MakeError(ErrorCode::kLimitExceeded,
                              o.method + " " + target + ": error response larger than 1 MiB");
        }
        r.body.append(chunk.data(), got);
      }
    }
    if (r.status == 200) {
      Status st = splitter.Finish(UnixNanosNow());
      if (!st) {
        co_return st.error();
      }
    }
    *keep = parser.get().keep_alive();
    co_return r;
  }

  asio::any_io_executor executor_;
  ClusterConfig config_;
  ApiClientOptions options_;
  Telemetry& telemetry_;
  CredentialProvider provider_;
  TokenBucket bucket_;
  std::string host_header_;
  std::string verify_name_;
  std::shared_ptr<ssl::context> tls_context_;
  std::uint64_t tls_generation_ = 0;
  std::vector<ConnectionPtr> idle_;  // keep-alive pool, most recent last
  std::uint64_t connections_opened_ = 0;
};

ApiClient::ApiClient(asio::any_io_executor executor, ClusterConfig config, ApiClientOptions options,
                     Telemetry& telemetry)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(config), std::move(options),
                                   telemetry)) {}

ApiClient::~ApiClient() = default;

bool IsLeaseTarget(std::string_view method, std::string_view target) {
  constexpr std::string_view kPrefix = "/apis/coordination.k8s.io/v1/namespaces/";
  if (!target.starts_with(kPrefix) || target.find('?') != std::string_view::npos) {
    return false;
  }
  target.remove_prefix(kPrefix.size());
  const auto slash = target.find('/');
  if (slash == 0 || slash == std::string_view::npos) {
    return false;
  }
  const std::string_view rest = target.substr(slash);
  if (method == "POST") {
    return rest == "/leases";
  }
  if (method == "PUT") {
    return rest.starts_with("/leases/") && rest.size() > 8 &&
           rest.find('/', 8) == std::string_view::npos;
  }
  return false;
}

Awaitable<Result<ApiResponse>> ApiClient::WriteLease(std::string method, std::string target,
                                                     std::string body, RequestOptions options) {
  options.method = std::move(method);
  options.body = std::move(body);
  if (options.verb == "get") {
    options.verb = options.method == "POST" ? "create" : "update";
  }
  return impl_->Request(std::move(target), std::move(options), nullptr);
}

Awaitable<Result<ApiResponse>> ApiClient::Get(std::string target, RequestOptions options) {
  return impl_->Request(std::move(target), std::move(options), nullptr);
}

Awaitable<Result<ApiResponse>> ApiClient::Stream(std::string target, LineHandler* handler,
                                                 RequestOptions options) {
  return impl_->Request(std::move(target), std::move(options), handler);
}

void ApiClient::CloseIdle() { impl_->CloseIdle(); }
const asio::any_io_executor& ApiClient::executor() const { return impl_->executor(); }
const ClusterConfig& ApiClient::config() const { return impl_->config(); }
const ApiClientOptions& ApiClient::options() const { return impl_->options(); }
std::uint64_t ApiClient::connections_opened() const { return impl_->connections_opened(); }
int ApiClient::exec_runs() const { return impl_->exec_runs(); }

}  // namespace plumbline::agent
