// The agent's own HTTP endpoint: /healthz (the process runs its loop), /readyz (every watched
// kind has synced), and whatever else is registered (/metrics from exporters/). Plain HTTP/1.1
// with keep-alive on one address; GET only.
//
// Threading: runs on the agent's io thread; handlers are called there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "plumbline/common/result.h"

namespace plumbline::agent {

struct StatusResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class StatusServer {
 public:
  using Handler = std::function<StatusResponse()>;

  explicit StatusServer(boost::asio::any_io_executor executor);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Registers the handler for an exact path ("/readyz"). Before Start().
  void Handle(std::string path, Handler handler);
  // Binds "HOST:PORT" ("[::1]:0", "0.0.0.0:9090"; port 0 picks one) and starts serving.
  // Returns the bound port.
  Result<std::uint16_t> Start(const std::string& address);
  // Stops accepting and closes idle connections.
  void Stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// Splits "HOST:PORT" / "[v6]:PORT" into host and port.
Result<std::pair<std::string, std::uint16_t>> SplitHostPort(const std::string& address);

}  // namespace plumbline::agent
