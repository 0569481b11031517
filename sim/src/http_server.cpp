#include "plumbline/sim/http_server.h"

#include <chrono>
#include <cstdio>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace plumbline::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxBody = 64u << 20;

}  // namespace

class HttpServer::Impl {
 public:
  Impl(asio::io_context& io, Api& api, ServerOptions options)
      : io_(io), api_(api), options_(std::move(options)), acceptor_(io) {}

  Result<std::uint16_t> Start() {
    if (!options_.tls_cert_file.empty()) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      beast::error_code ec;
      tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
      if (!ec) {
        tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
      }
      if (ec) {
        return MakeError(ErrorCode::kInvalidArgument, "TLS certificate or key: " + ec.message());
      }
    }
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.address, ec);
    if (ec) {
      return MakeError(ErrorCode::kInvalidArgument, "bad listen address " + options_.address);
    }
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return MakeError(ErrorCode::kIo, "listen on " + options_.address + ":" +
                                           std::to_string(options_.port) + ": " + ec.message());
    }
    asio::co_spawn(io_, Churn(), OnSessionEnd);
    asio::co_spawn(io_, Accept(), [](std::exception_ptr e) {
      if (e) {
        std::rethrow_exception(e);
      }
    });
    return acceptor_.local_endpoint().port();
  }

  void Stop() {
    beast::error_code ec;
    acceptor_.close(ec);
    api_.DropWatches();
  }

 private:
  // Drives status churn when the control endpoint asked for it.
  asio::awaitable<void> Churn() {
    asio::steady_timer tick(io_);
    auto last = Clock::now();
    while (acceptor_.is_open()) {
      // Behind its rate, churn goes on at once (after the other handlers queued meanwhile);
      // ChurnTick bounds each slice, so watches and requests are served in between.
      tick.expires_after(std::chrono::milliseconds(api_.churn_behind()     ? 0
                                                   : api_.churn_rate() > 0 ? 10
                                                                           : 100));
      auto [ec] = co_await tick.async_wait(kUseAwaitable);
      if (ec) {
        co_return;
      }
      const auto now = Clock::now();
      api_.ChurnTick(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count()));
      last = now;
    }
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kUseAwaitable);
      if (ec) {
        if (ec == asio::error::operation_aborted) {
          co_return;
        }
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      if (tls_) {
        asio::co_spawn(io_, ServeTls(std::move(socket)), OnSessionEnd);
      } else {
        asio::co_spawn(io_, Serve(beast::tcp_stream(std::move(socket))), OnSessionEnd);
      }
    }
  }

  asio::awaitable<void> ServeTls(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls_);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseAwaitable);
    if (ec) {
      co_return;
    }
    beast::get_lowest_layer(stream).expires_never();
    co_await Serve(std::move(stream));
  }

  // A session's failure ends that connection only; it is reported, never rethrown.
  static void OnSessionEnd(const std::exception_ptr& e) {
    if (!e) {
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "kube-sim: connection ended by an error: %s\n", ex.what());
    }
  }

  bool Authorized(const http::request<http::string_body>& req) const {
    if (options_.tokens.empty()) {
      return true;
    }
    const std::string auth(req[http::field::authorization]);
    for (const auto& t : options_.tokens) {
      if (auth == "Bearer " + t) {
        return true;
      }
    }
    return false;
  }

  template <typename Stream>
  asio::awaitable<void> Serve(Stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBody);
      parser.header_limit(64 * 1024);
      auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kUseAwaitable);
      (void)bytes;
      if (ec) {
        co_return;
      }
      http::request<http::string_body> req = parser.release();
      const bool keep_alive = req.keep_alive();
      const std::string target(req.target());
      const bool control = target.rfind("/_sim/", 0) == 0;
      if (!control && !Authorized(req)) {
        http::response<http::string_body> res{http::status::unauthorized, req.version()};
        res.set(http::field::content_type, "application/json");
        res.body() =
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})";
        res.keep_alive(keep_alive);
        res.prepare_payload();
        auto [wec, n] = co_await http::async_write(stream, res, kUseAwaitable);
        (void)n;
        if (wec || !keep_alive) {
          co_return;
        }
        continue;
      }
      if (!control && api_.faults().latency_ms > 0) {
        asio::steady_timer delay(io_, std::chrono::milliseconds(api_.faults().latency_ms));
        co_await delay.async_wait(kUseAwaitable);
      }
      Request request;
      request.method = std::string(req.method_string());
      request.target = target;
      request.accept = std::string(req[http::field::accept]);
      request.content_type = std::string(req[http::field::content_type]);
      request.user_agent = std::string(req[http::field::user_agent]);
      request.body = std::move(req.body());
      WatchStreamPtr watch;
      Response response = api_.Handle(request, &watch);
      if (watch) {
        co_await StreamWatch(stream, req.version(), response, watch);
        co_return;  // a watch ends the connection
      }
      http::response<http::string_body> res{static_cast<http::status>(response.status),
                                            req.version()};
      res.set(http::field::content_type, response.content_type);
      for (const auto& [k, v] : response.headers) {
        res.set(k, v);
      }
      res.body() = std::move(response.body);
      res.keep_alive(keep_alive);
      res.prepare_payload();
      auto [wec, n] = co_await http::async_write(stream, res, kUseAwaitable);
      (void)n;
      if (wec || !keep_alive) {
        co_return;
      }
    }
  }

  template <typename Stream>
  asio::awaitable<void> StreamWatch(Stream& stream, unsigned version, const Response& response,
                                    WatchStreamPtr watch) {
    http::response<http::empty_body> res{http::status::ok, version};
    res.set(http::field::content_type, response.content_type);
    res.set(http::field::cache_control, "no-cache, private");
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer{res};
    auto [hec, hn] = co_await http::async_write_header(stream, serializer, kUseAwaitable);
    (void)hn;
    if (hec) {
      Finish(*watch);
      co_return;
    }
    asio::steady_timer wake(io_);
    watch->notify = [&wake] { wake.cancel(); };
    const auto start = Clock::now();
    auto next_bookmark = watch->bookmark_interval_ms > 0
                             ? start + std::chrono::milliseconds(watch->bookmark_interval_ms)
                             : Clock::time_point::max();
    const auto deadline = watch->timeout_ms > 0
                              ? start + std::chrono::milliseconds(watch->timeout_ms)
                              : Clock::time_point::max();
    bool ok = true;
    while (ok) {
      const auto now = Clock::now();
      if (now >= deadline) {
        break;
      }
      if (now >= next_bookmark && watch->on_bookmark) {
        watch->on_bookmark();
        next_bookmark = now + std::chrono::milliseconds(watch->bookmark_interval_ms);
      }
      if (!watch->pending.empty() && !api_.faults().stall_watches) {
        // Send what is queued in one chunk.
        std::string chunk;
        while (!watch->pending.empty() && chunk.size() < (1u << 20)) {
          chunk += watch->pending.front();
          watch->pending.pop_front();
        }
        auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(chunk)),
                                                  kUseAwaitable);
        (void)n;
        ok = !ec;
        continue;
      }
      if (watch->closed) {
        break;
      }
      // Sleep until an event, the next bookmark, the deadline, or a stall check.
      auto until = std::min(deadline, next_bookmark);
      if (api_.faults().stall_watches) {
        until = std::min(until, now + std::chrono::milliseconds(100));
      }
      if (until == Clock::time_point::max()) {
        wake.expires_at(Clock::now() + std::chrono::hours(24));
      } else {
        wake.expires_at(until);
      }
      auto [ec] = co_await wake.async_wait(kUseAwaitable);
      (void)ec;  // cancelled = new events
    }
    if (ok) {
      auto [ec, n] = co_await asio::async_write(stream, http::make_chunk_last(), kUseAwaitable);
      (void)ec;
      (void)n;
    }
    Finish(*watch);
  }

  static void Finish(WatchStream& watch) {
    watch.notify = nullptr;
    watch.closed = true;
    if (watch.cancel) {
      watch.cancel();
      watch.cancel = nullptr;
    }
  }

  asio::io_context& io_;
  Api& api_;
  ServerOptions options_;
  tcp::acceptor acceptor_;
  std::unique_ptr<asio::ssl::context> tls_;
};

HttpServer::HttpServer(asio::io_context& io, Api& api, ServerOptions options)
    : impl_(std::make_unique<Impl>(io, api, std::move(options))) {}

HttpServer::~HttpServer() = default;

Result<std::uint16_t> HttpServer::Start() { return impl_->Start(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace plumbline::sim
