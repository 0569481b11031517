// kube-sim's HTTP(S) front end: Boost.Beast on one io_context, HTTP/1.1 keep-alive, chunked
// watch streams, bearer-token authentication, injected latency and stalls. Runs on the thread
// that runs the io_context; the Api it serves is used only there.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "plumbline/common/result.h"
#include "plumbline/sim/api.h"

namespace plumbline::sim {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick one
  std::string tls_cert_file;
  std::string tls_key_file;
  std::vector<std::string> tokens;  // empty: no authentication
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, Api& api, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; returns the bound port.
  Result<std::uint16_t> Start();
  // Stops accepting and ends open watches.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumbline::sim
