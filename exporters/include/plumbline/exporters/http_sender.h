// HttpSender: a keep-alive HTTP/1.1 client for one origin (scheme, host, port), written with
// Beast coroutines, used by every delivery sink to POST to webhooks, Slack, Alertmanager and the
// collector. TLS verifies the server against a CA file or the system roots, with SNI and a
// hostname check. Every phase has a timeout; the response body is read up to a bound.
//
// Threading: create, call and destroy on the io_context's thread. One request at a time: a
// sink's single delivery loop serializes its calls. The object must outlive its Send coroutines
// (sinks keep it in state shared with their loop).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before Asio (STYLE.md §2)
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "plumbline/common/result.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace plumbline::exporters {

// An http:// or https:// URL, split. IPv6 literals are written "[::1]" and stored without the
// brackets.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  std::uint16_t port = 0;  // the scheme's default when the URL names none
  std::string target;      // path and query; "/" when the URL has none
  bool tls() const { return scheme == "https"; }
  // "scheme://host:port" (for logs; never contains credentials, which are refused anyway).
  std::string Origin() const;
};

// Refuses other schemes, userinfo ("user:pass@"), fragments and bad ports.
Result<Url> ParseUrl(std::string_view url);

struct HttpSenderOptions {
  // PEM file of CA certificates that verify an https server; empty: the system's roots.
  std::string ca_file;
  // DNS resolution, TCP connect and TLS handshake together.
  std::chrono::milliseconds connect_timeout{5000};
  // Writing one request and reading its response.
  std::chrono::milliseconds request_timeout{10000};
  // Response bodies longer than this are cut (HttpResponse::body_truncated) and the connection
  // is not reused.
  std::size_t max_response_body = 64 * 1024;
  std::string user_agent = "plumbline-agent/0.1";
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string target;  // empty: the URL's target
  std::string content_type;
  HttpHeaders headers;  // Host, User-Agent and Content-Length are set by the sender
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // at most HttpSenderOptions::max_response_body bytes
  bool body_truncated = false;
  // Retry-After, delay-seconds or an HTTP date (converted to a delay, never negative).
  std::optional<std::chrono::seconds> retry_after;

  // The first header of that name (case-insensitive); "" when absent.
  std::string_view Header(std::string_view name) const;
};

// Parses a Retry-After value: delay-seconds or an IMF-fixdate, relative to `now_unix_seconds`.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::int64_t now_unix_seconds);

class HttpSender {
 public:
  // Fails (kInvalidArgument) when the CA file cannot be loaded.
  static Result<std::unique_ptr<HttpSender>> Create(boost::asio::io_context& io, Url url,
                                                    HttpSenderOptions options);
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  // Sends the request and reads the response, reusing the open connection when it is still
  // alive (a stale kept-alive connection is retried once on a fresh one). Any HTTP status is a
  // value; errors (kUnavailable) are failures to resolve, connect, handshake, verify, write or
  // read, timeouts and Close(). Never throws.
  boost::asio::awaitable<Result<HttpResponse>> Send(HttpRequest request);

  // Closes the connection: an in-flight Send ends with an error, later ones fail at once.
  void Close();

  const Url& url() const;

 private:
  class Impl;
  explicit HttpSender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumbline::exporters
