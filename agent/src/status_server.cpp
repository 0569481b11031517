#include "plumbline/agent/status_server.h"

#include <chrono>
#include <map>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace plumbline::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
constexpr auto kIdleTimeout = std::chrono::seconds(60);

void LogSessionEnd(std::exception_ptr e) {
  if (e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::warn("component=status_server msg=\"session failed\" error=\"{}\"", ex.what());
    }
  }
}

}  // namespace

Result<std::pair<std::string, std::uint16_t>> SplitHostPort(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "address \"" + address + "\" is not HOST:PORT (for example 127.0.0.1:9090)");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    host = "0.0.0.0";
  }
  unsigned long port = 0;
  const std::string port_text = address.substr(colon + 1);
  for (const char c : port_text) {
    if (c < '0' || c > '9') {
      return MakeError(ErrorCode::kInvalidArgument, "address \"" + address + "\": bad port");
    }
    port = port * 10 + static_cast<unsigned long>(c - '0');
    if (port > 65535) {
      return MakeError(ErrorCode::kInvalidArgument, "address \"" + address + "\": bad port");
    }
  }
  return std::make_pair(std::move(host), static_cast<std::uint16_t>(port));
}

class StatusServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(asio::any_io_executor executor) : executor_(executor), acceptor_(executor) {}

  std::map<std::string, Handler> handlers;

  Result<std::uint16_t> Start(const std::string& address) {
    auto host_port = SplitHostPort(address);
    if (!host_port) {
      return host_port.error();
    }
    beast::error_code ec;
    const auto ip = asio::ip::make_address(host_port->first, ec);
    if (ec) {
      return MakeError(ErrorCode::kInvalidArgument, "bad listen address " + address);
    }
    const tcp::endpoint endpoint(ip, host_port->second);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      return MakeError(ErrorCode::kIo, "listen on " + address + ": " + ec.message());
    }
    asio::co_spawn(executor_, Accept(shared_from_this()), LogSessionEnd);
    return acceptor_.local_endpoint().port();
  }

  void Stop() {
    beast::error_code ec;
    acceptor_.close(ec);
    stopped_ = true;
  }

 private:
  static asio::awaitable<void> Accept(std::shared_ptr<Impl> self) {
    while (self->acceptor_.is_open()) {
      auto [ec, socket] = co_await self->acceptor_.async_accept(kUseAwaitable);
      if (ec) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) {
          co_return;
        }
        continue;
      }
      asio::co_spawn(self->executor_, Serve(self, beast::tcp_stream(std::move(socket))),
                     LogSessionEnd);
    }
  }

  static asio::awaitable<void> Serve(std::shared_ptr<Impl> self, beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    while (!self->stopped_) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(16 * 1024);
      stream.expires_after(kIdleTimeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseAwaitable);
      if (ec) {
        co_return;
      }
      const auto& request = parser.get();
      http::response<http::string_body> response;
      response.version(request.version());
      response.keep_alive(request.keep_alive());
      const std::string_view target(request.target().data(), request.target().size());
      const std::string path(target.substr(0, target.find('?')));
      auto handler = self->handlers.find(path);
      if (request.method() != http::verb::get && request.method() != http::verb::head) {
        response.result(http::status::method_not_allowed);
        response.set(http::field::allow, "GET, HEAD");
        response.body() = "method not allowed\n";
      } else if (handler == self->handlers.end()) {
        response.result(http::status::not_found);
        response.body() = "not found\n";
      } else {
        StatusResponse r = handler->second();
        response.result(static_cast<unsigned>(r.status));
        response.set(http::field::content_type, r.content_type);
        response.body() = std::move(r.body);
      }
      if (response.find(http::field::content_type) == response.end()) {
        response.set(http::field::content_type, "text/plain; charset=utf-8");
      }
      response.prepare_payload();
      if (request.method() == http::verb::head) {
        response.body().clear();
      }
      auto [wec, written] = co_await http::async_write(stream, response, kUseAwaitable);
      if (wec || !response.keep_alive()) {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  asio::any_io_executor executor_;
  tcp::acceptor acceptor_;
  bool stopped_ = false;
};

StatusServer::StatusServer(asio::any_io_executor executor)
    : impl_(std::make_shared<Impl>(executor)) {}

StatusServer::~StatusServer() { impl_->Stop(); }

void StatusServer::Handle(std::string path, Handler handler) {
  impl_->handlers[std::move(path)] = std::move(handler);
}

Result<std::uint16_t> StatusServer::Start(const std::string& address) {
  return impl_->Start(address);
}

void StatusServer::Stop() { impl_->Stop(); }

}  // namespace plumbline::agent
