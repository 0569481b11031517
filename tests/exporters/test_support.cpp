// The test receiver's Beast session, compiled once for every exporters test.
#include "exporters/test_support.h"

#include <cctype>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

namespace plumbline::testing {

namespace http = beast::http;

TestReceiver::TestReceiver(asio::io_context& io, std::uint16_t port) : io_(io), acceptor_(io) {
  Open(port);
}

TestReceiver::~TestReceiver() { SetDown(true); }

void TestReceiver::SetDown(bool down) {
  if (down) {
    beast::error_code ec;
    acceptor_.close(ec);
    for (auto& weak : sessions_) {
      if (auto s = weak.lock()) {
        s->socket().close(ec);
      }
    }
    sessions_.clear();
  } else if (!acceptor_.is_open()) {
    Open(port_);
  }
}

void TestReceiver::Open(std::uint16_t port) {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, Accept(this), [](const std::exception_ptr&) {});  // ends when closed
}

asio::awaitable<void> TestReceiver::Accept(TestReceiver* self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      co_return;
    }
    ++self->connections_;
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    self->sessions_.push_back(stream);
    asio::co_spawn(self->io_, Serve(self, stream), [](const std::exception_ptr&) {});
  }
}

asio::awaitable<void> TestReceiver::Serve(TestReceiver* self,
                                          std::shared_ptr<beast::tcp_stream> s) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(*s, buffer, req, asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) {
      co_return;
    }
    ReceivedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      r.headers[name] = std::string(f.value());
    }
    r.body = req.body();
    r.at = std::chrono::steady_clock::now();
    if (self->on_request) {
      self->on_request(r);
    }
    Reply reply = self->default_reply;
    if (!self->script_.empty()) {
      reply = self->script_.front();
      self->script_.pop_front();
    }
    r.status = reply.status;
    self->requests.push_back(std::move(r));
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    if (!reply.retry_after.empty()) {
      res.set(http::field::retry_after, reply.retry_after);
    }
    res.body() = reply.body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(*s, res, asio::as_tuple(asio::use_awaitable));
    (void)wn;
    if (wec || !req.keep_alive()) {
      co_return;
    }
  }
}

// Runs the io_context until `done()` or the timeout; returns done().
bool RunUntil(asio::io_context& io, const std::function<bool()>& done,
              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(5ms);
    if (io.stopped()) {
      io.restart();
      std::this_thread::sleep_for(1ms);
    }
  }
  return done();
}

}  // namespace plumbline::testing
