#include "plumbline/exporters/http_sender.h"

#include <charconv>
#include <ctime>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

namespace plumbline::exporters {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[i]);
    if (std::tolower(ca) != std::tolower(cb)) {
      return false;
    }
  }
  return true;
}

Error Unavailable(const Url& url, std::string_view what, const beast::error_code& ec) {
  return MakeError(ErrorCode::kUnavailable,
                   std::string(what) + " " + url.Origin() + ": " + ec.message());
}

}  // namespace

std::string Url::Origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Url> ParseUrl(std::string_view text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "URL without a scheme: " + std::string(text));
  }
  url.scheme = std::string(text.substr(0, scheme_end));
  for (auto& c : url.scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (url.scheme != "http" && url.scheme != "https") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "URL scheme must be http or https: " + std::string(text));
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find('#') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "URL with a fragment: " + std::string(text));
  }
  const auto path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  url.target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (!url.target.empty() && url.target[0] == '?') {
    url.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "URL with credentials (use the token or secret options instead)");
  }
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "bad IPv6 literal in " + std::string(text));
    }
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return MakeError(ErrorCode::kInvalidArgument, "bad authority in " + std::string(text));
      }
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  if (url.host.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "URL without a host: " + std::string(text));
  }
  url.port = url.tls() ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return MakeError(ErrorCode::kInvalidArgument, "bad port in URL " + std::string(text));
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) {
      return v;
    }
  }
  return {};
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::int64_t now_unix_seconds) {
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  while (!value.empty() && value.back() == ' ') {
    value.remove_suffix(1);
  }
  if (value.empty()) {
    return std::nullopt;
  }
  std::int64_t seconds = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && ptr == value.data() + value.size()) {
    return seconds < 0 ? std::nullopt : std::optional(std::chrono::seconds(seconds));
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  const std::string text(value);
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  const std::int64_t at = timegm(&tm);
  return std::chrono::seconds(at > now_unix_seconds ? at - now_unix_seconds : 0);
}

class HttpSender::Impl {
 public:
  Impl(asio::io_context& io, Url url, HttpSenderOptions options)
      : io_(io), url_(std::move(url)), options_(std::move(options)), resolver_(io) {}

  Status Init() {
    if (!url_.tls()) {
      return Status::Ok();
    }
    tls_context_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    tls_context_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                  ssl::context::no_tlsv1_1,
                              ec);
    if (options_.ca_file.empty()) {
      tls_context_->set_default_verify_paths(ec);
    } else {
      tls_context_->load_verify_file(options_.ca_file, ec);
    }
    if (ec) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "CA certificates " +
                           (options_.ca_file.empty() ? std::string("(system)") : options_.ca_file) +
                           ": " + ec.message());
    }
    tls_context_->set_verify_mode(ssl::verify_peer);
    return Status::Ok();
  }

  const Url& url() const { return url_; }

  void Close() {
    closed_ = true;
    resolver_.cancel();
    CancelConnection();
  }

  asio::awaitable<Result<HttpResponse>> Send(HttpRequest request) {
    http::request<http::string_body> req{http::string_to_verb(request.method),
                                         request.target.empty() ? url_.target : request.target, 11};
    const bool default_port = url_.port == (url_.tls() ? 443 : 80);
    const bool v6 = url_.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + url_.host + "]" : url_.host;
    if (!default_port) {
      host += ":" + std::to_string(url_.port);
    }
    req.set(http::field::host, host);
    req.set(http::field::user_agent, options_.user_agent);
    if (!request.content_type.empty()) {
      req.set(http::field::content_type, request.content_type);
    }
    for (const auto& [name, value] : request.headers) {
      req.set(name, value);
    }
    req.keep_alive(true);
    req.body() = std::move(request.body);
    req.prepare_payload();

    for (int attempt = 0;; ++attempt) {
      if (closed_) {
        co_return MakeError(ErrorCode::kUnavailable, "sender closed");
      }
      const bool reused = connected_;
      if (!connected_) {
        if (Status st = co_await Connect(); !st) {
          Disconnect();
          co_return st.error();
        }
      }
      bool got_response_bytes = false;
      // (No co_await inside ?: — GCC 12 miscompiles some of those.)
      Result<HttpResponse> result = MakeError(ErrorCode::kInternal, "no stream");
      if (tls_) {
        result = co_await Exchange(&*tls_, &req, &got_response_bytes);
      } else {
        result = co_await Exchange(&*plain_, &req, &got_response_bytes);
      }
      if (result) {
        if (!keep_connection_) {
          Disconnect();
        }
        co_return result;
      }
      Disconnect();
      // A kept-alive connection the server closed meanwhile fails before any response byte:
      // retry once on a fresh one. Receivers de-duplicate by event id, so a repeat is harmless.
      if (!reused || got_response_bytes || attempt > 0 || closed_) {
        co_return result;
      }
    }
  }

 private:
  asio::awaitable<Status> Connect() {
    auto [rec, endpoints] =
        co_await resolver_.async_resolve(url_.host, std::to_string(url_.port), kUseAwaitable);
    if (rec) {
      co_return Unavailable(url_, "resolve", rec);
    }
    if (closed_) {
      co_return MakeError(ErrorCode::kUnavailable, "sender closed");
    }
    beast::tcp_stream* lowest = nullptr;
    if (url_.tls()) {
      tls_.emplace(io_, *tls_context_);
      lowest = &beast::get_lowest_layer(*tls_);
    } else {
      plain_.emplace(io_);
      lowest = &*plain_;
    }
    lowest->expires_after(options_.connect_timeout);
    auto [cec, endpoint] = co_await lowest->async_connect(endpoints, kUseAwaitable);
    (void)endpoint;
    if (cec) {
      co_return Unavailable(url_, "connect", cec);
    }
    beast::error_code ec;
    lowest->socket().set_option(tcp::no_delay(true), ec);
    if (tls_) {
      // SNI, then the certificate must name the host (DNS name or IP address).
      // SNI only for names (RFC 6066 forbids IP literals). SSL_set_tlsext_host_name is a
      // macro with an old-style cast, hence SSL_ctrl.
      beast::error_code aec;
      asio::ip::make_address(url_.host, aec);
      if (aec && SSL_ctrl(tls_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                          TLSEXT_NAMETYPE_host_name, const_cast<char*>(url_.host.c_str())) != 1) {
        co_return MakeError(ErrorCode::kUnavailable, "TLS SNI for " + url_.host);
      }
      tls_->set_verify_callback(ssl::host_name_verification(url_.host));
      auto [hec] = co_await tls_->async_handshake(ssl::stream_base::client, kUseAwaitable);
      if (hec) {
        co_return Unavailable(url_, "TLS handshake with", hec);
      }
    }
    lowest->expires_never();
    connected_ = true;
    buffer_.clear();
    co_return Status::Ok();
  }

  // `stream` and `req` point into this object and the calling frame, which outlive the call.
  template <typename Stream>
  asio::awaitable<Result<HttpResponse>> Exchange(Stream* stream,
                                                 http::request<http::string_body>* req,
                                                 bool* got_response_bytes) {
    beast::tcp_stream& lowest = beast::get_lowest_layer(*stream);
    lowest.expires_after(options_.request_timeout);
    auto [wec, written] = co_await http::async_write(*stream, *req, kUseAwaitable);
    (void)written;
    if (wec) {
      co_return Unavailable(url_, "write to", wec);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_response_body);
    parser.header_limit(32 * 1024);
    auto [rec, read] = co_await http::async_read(*stream, buffer_, parser, kUseAwaitable);
    *got_response_bytes = read > 0 || parser.got_some();
    lowest.expires_never();
    HttpResponse response;
    if (rec == http::error::body_limit && parser.is_header_done()) {
      response.body_truncated = true;
      keep_connection_ = false;
    } else if (rec) {
      co_return Unavailable(url_, "read from", rec);
    } else {
      keep_connection_ = parser.get().keep_alive();
    }
    const auto& res = parser.get();
    response.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (!response.body_truncated) {
      response.body = res.body();
    }
    if (const auto it = res.find(http::field::retry_after); it != res.end()) {
      response.retry_after =
          ParseRetryAfter(std::string_view(it->value().data(), it->value().size()),
                          std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
    }
    co_return response;
  }

  void CancelConnection() {
    beast::error_code ec;
    if (tls_) {
      beast::get_lowest_layer(*tls_).socket().close(ec);
    }
    if (plain_) {
      plain_->socket().close(ec);
    }
  }

  // Only between operations: no coroutine is using the streams.
  void Disconnect() {
    CancelConnection();
    tls_.reset();
    plain_.reset();
    connected_ = false;
    keep_connection_ = true;
    buffer_.clear();
  }

  asio::io_context& io_;
  Url url_;
  HttpSenderOptions options_;
  tcp::resolver resolver_;
  std::unique_ptr<ssl::context> tls_context_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  bool keep_connection_ = true;
  bool closed_ = false;
};

Result<std::unique_ptr<HttpSender>> HttpSender::Create(asio::io_context& io, Url url,
                                                       HttpSenderOptions options) {
  auto impl = std::make_unique<Impl>(io, std::move(url), std::move(options));
  PLUMBLINE_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpSender>(new HttpSender(std::move(impl)));
}

HttpSender::HttpSender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpSender::~HttpSender() = default;

asio::awaitable<Result<HttpResponse>> HttpSender::Send(HttpRequest request) {
  return impl_->Send(std::move(request));
}

void HttpSender::Close() { impl_->Close(); }

const Url& HttpSender::url() const { return impl_->url(); }

}  // namespace plumbline::exporters
