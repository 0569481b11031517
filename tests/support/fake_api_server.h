// FakeApiServer: a scripted HTTP server on 127.0.0.1:0 for what kube-sim cannot do on purpose
// (an event split across chunks and TCP writes, a server without watch-list, odd responses). It
// runs on the test's io_context: per request it asks the responder for a script of raw byte
// pieces, writes them one by one with a short pause between, then closes the connection.
// Single-threaded test code.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // before Asio (asio#944)
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace plumbline::testing {

class FakeApiServer {
 public:
  using Script = std::vector<std::string>;
  using Responder = std::function<Script(const std::string& target)>;

  FakeApiServer(boost::asio::io_context& io, Responder responder)
      : io_(io), responder_(std::move(responder)), acceptor_(io) {
    namespace ip = boost::asio::ip;
    const ip::tcp::endpoint ep(ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    boost::asio::co_spawn(io_, Accept(this), [](const std::exception_ptr&) {});
  }
  ~FakeApiServer() {
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::vector<std::string>& targets() const { return targets_; }

  // A complete response with a body (Content-Length).
  static std::string Response(int status, const std::string& body,
                              const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Type: application/json\r\nConnection: close\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  // The head of a chunked response; follow it with Chunk() pieces and LastChunk().
  static std::string ChunkedHead() {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
           "Transfer-Encoding: chunked\r\n\r\n";
  }
  static std::string Chunk(const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
  }
  static std::string LastChunk() { return "0\r\n\r\n"; }

 private:
  static boost::asio::awaitable<void> Accept(FakeApiServer* self) {
    for (;;) {
      auto [ec, socket] =
          co_await self->acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) {
        co_return;
      }
      boost::asio::co_spawn(self->io_, Serve(self, std::move(socket)),
                            [](const std::exception_ptr&) {});
    }
  }

  static boost::asio::awaitable<void> Serve(FakeApiServer* self,
                                            boost::asio::ip::tcp::socket socket) {
    constexpr auto kTok = boost::asio::as_tuple(boost::asio::use_awaitable);
    std::string buffer;
    auto [ec, n] = co_await boost::asio::async_read_until(
        socket, boost::asio::dynamic_buffer(buffer), "\r\n\r\n", kTok);
    if (ec) {
      co_return;
    }
    (void)n;
    const auto sp1 = buffer.find(' ');
    const auto sp2 = buffer.find(' ', sp1 + 1);
    const std::string target = buffer.substr(sp1 + 1, sp2 - sp1 - 1);
    self->targets_.push_back(target);
    const Script script = self->responder_(target);
    boost::asio::steady_timer pause(socket.get_executor());
    for (const auto& piece : script) {
      auto [wec, wn] = co_await boost::asio::async_write(socket, boost::asio::buffer(piece), kTok);
      (void)wn;
      if (wec) {
        co_return;
      }
      pause.expires_after(std::chrono::milliseconds(5));
      co_await pause.async_wait(kTok);
    }
    boost::system::error_code ignored;
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  boost::asio::io_context& io_;
  Responder responder_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::vector<std::string> targets_;
};

}  // namespace plumbline::testing
