#include "plumbline/exporters/http_sender.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>
#include <unistd.h>

#include "exporters/test_support.h"

namespace plumbline::exporters {
namespace {

namespace fs = std::filesystem;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using namespace plumbline::testing;

asio::awaitable<void> Fetch(HttpSender* sender, HttpRequest request,
                            std::optional<Result<HttpResponse>>* out) {
  out->emplace(co_await sender->Send(std::move(request)));
}

Result<HttpResponse> SendNow(asio::io_context& io, HttpSender& sender, HttpRequest request) {
  std::optional<Result<HttpResponse>> out;
  asio::co_spawn(io, Fetch(&sender, std::move(request), &out), [](const std::exception_ptr&) {});
  RunUntil(
      io, [&] { return out.has_value(); }, 5000ms);
  REQUIRE(out.has_value());
  return std::move(*out);
}

HttpRequest Post(std::string body) {
  HttpRequest r;
  r.content_type = "text/plain";
  r.headers = {{"X-Custom", "v"}};
  r.body = std::move(body);
  return r;
}

TEST_CASE("HttpSender: keep-alive, headers in and out, bounded body", "[exporters][http]") {
  asio::io_context io;
  TestReceiver receiver(io);
  receiver.default_reply = {202, "", "accepted-body"};
  auto sender = HttpSender::Create(io, *ParseUrl(receiver.Url("/in?x=1")), HttpSenderOptions{});
  REQUIRE(sender);
  for (int i = 0; i < 3; ++i) {
    auto r = SendNow(io, **sender, Post("hello " + std::to_string(i)));
    REQUIRE(r);
    CHECK(r->status == 202);
    CHECK(r->body == "accepted-body");
    CHECK(r->Header("content-length") == "13");
  }
  CHECK(receiver.connections() == 1);  // one kept-alive connection
  REQUIRE(receiver.requests.size() == 3);
  CHECK(receiver.requests[0].target == "/in?x=1");
  CHECK(receiver.requests[0].Header("x-custom") == "v");
  CHECK(receiver.requests[0].Header("content-type") == "text/plain");
  CHECK(receiver.requests[0].Header("user-agent") == "plumbline-agent/0.1");
  CHECK(receiver.requests[2].body == "hello 2");

  // The server drops its connections: the stale one is replaced transparently.
  receiver.SetDown(true);
  receiver.SetDown(false);
  auto again = SendNow(io, **sender, Post("after restart"));
  REQUIRE(again);
  CHECK(again->status == 202);

  HttpSenderOptions small;
  small.max_response_body = 4;
  auto bounded = HttpSender::Create(io, *ParseUrl(receiver.Url()), small);
  REQUIRE(bounded);
  auto cut = SendNow(io, **bounded, Post("x"));
  REQUIRE(cut);
  CHECK(cut->status == 202);
  CHECK(cut->body_truncated);
  CHECK(cut->body.empty());

  (*sender)->Close();
  auto closed = SendNow(io, **sender, Post("x"));
  CHECK_FALSE(closed);
}

TEST_CASE("HttpSender: connect refused and a silent server time out as errors",
          "[exporters][http]") {
  asio::io_context io;
  // A listener that accepts and never answers.
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<asio::ip::tcp::socket> held;
  std::function<void()> accept = [&] {
    silent.async_accept([&](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (!ec) {
        held.push_back(std::move(s));
        accept();
      }
    });
  };
  accept();
  HttpSenderOptions options;
  options.request_timeout = 200ms;
  auto sender = HttpSender::Create(
      io, *ParseUrl("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port())), options);
  REQUIRE(sender);
  const auto start = std::chrono::steady_clock::now();
  auto r = SendNow(io, **sender, Post("x"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - start < 1500ms);

  TestReceiver receiver(io);
  receiver.SetDown(true);
  auto refused = HttpSender::Create(io, *ParseUrl(receiver.Url()), HttpSenderOptions{});
  auto rr = SendNow(io, **refused, Post("x"));
  REQUIRE_FALSE(rr);
  CHECK(rr.error().message.find("connect") != std::string::npos);
  silent.close();
}

// ---- TLS ----

struct Certs {
  std::string dir;
  bool ok = false;
  Certs() {
    std::string pattern = (fs::temp_directory_path() / "plumbline-tls-XXXXXX").string();
    dir = mkdtemp(pattern.data());
    auto make = [&](const std::string& name, const std::string& san) {
      const std::string cmd =
          "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
          "-nodes -days 1 -subj /CN=plumbline-test -keyout " +
          dir + "/" + name + ".key -out " + dir + "/" + name +
          ".crt -addext subjectAltName=" + san + " >/dev/null 2>&1";
      return std::system(cmd.c_str()) == 0;
    };
    ok = make("good", "DNS:localhost,IP:127.0.0.1") && make("other", "DNS:other.example");
  }
  ~Certs() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

asio::awaitable<void> ServeTls(ssl::context* tls, asio::ip::tcp::acceptor* acceptor,
                               int* handshakes) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server,
                                                 asio::as_tuple(asio::use_awaitable));
    if (hec) {
      continue;
    }
    ++*handshakes;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    auto [rec, n] =
        co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (rec) {
      continue;
    }
    http::response<http::string_body> res{http::status::ok, 11};
    res.body() = "tls-ok";
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  }
}

TEST_CASE("HttpSender: TLS verifies the CA and the host name", "[exporters][http][tls]") {
  Certs certs;
  if (!certs.ok) {
    WARN("SKIPPED: the openssl command could not make test certificates");
    return;
  }
  auto run = [&](const std::string& cert, const std::string& host, bool with_ca) {
    asio::io_context io;
    ssl::context tls(ssl::context::tls_server);
    tls.use_certificate_chain_file(certs.dir + "/" + cert + ".crt");
    tls.use_private_key_file(certs.dir + "/" + cert + ".key", ssl::context::pem);
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    int handshakes = 0;
    asio::co_spawn(io, ServeTls(&tls, &acceptor, &handshakes), [](const std::exception_ptr&) {});
    HttpSenderOptions options;
    if (with_ca) {
      options.ca_file = certs.dir + "/" + cert + ".crt";
    }
    auto sender = HttpSender::Create(
        io, *ParseUrl("https://" + host + ":" + std::to_string(acceptor.local_endpoint().port())),
        options);
    REQUIRE(sender);
    Result<HttpResponse> r = SendNow(io, **sender, Post("secret"));
    acceptor.close();
    RunFor(io, 20ms);
    return r;
  };
  SECTION("trusted CA, name and IP in the certificate") {
    auto by_name = run("good", "localhost", true);
    REQUIRE(by_name);
    CHECK(by_name->body == "tls-ok");
    auto by_ip = run("good", "127.0.0.1", true);
    REQUIRE(by_ip);
    CHECK(by_ip->status == 200);
  }
  SECTION("a self-signed certificate not in the system roots is refused") {
    auto r = run("good", "localhost", false);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("TLS handshake") != std::string::npos);
  }
  SECTION("a certificate for another name is refused") {
    auto r = run("other", "127.0.0.1", true);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("TLS handshake") != std::string::npos);
  }
  SECTION("a missing CA file is a configuration error") {
    asio::io_context io;
    HttpSenderOptions options;
    options.ca_file = certs.dir + "/absent.crt";
    auto sender = HttpSender::Create(io, *ParseUrl("https://localhost/"), options);
    REQUIRE_FALSE(sender);
    CHECK(sender.error().code == ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace plumbline::exporters
