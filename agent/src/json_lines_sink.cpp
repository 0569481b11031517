#include "plumbline/agent/json_lines_sink.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace plumbline::agent {

Result<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Open(const std::string& path,
                                                           Telemetry& telemetry) {
  if (path == "-" || path.empty()) {
    return std::unique_ptr<JsonLinesSink>(
        new JsonLinesSink(STDOUT_FILENO, /*owned=*/false, "stdout", telemetry));
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo,
                     "--events-file " + path + ": cannot open: " + std::strerror(errno));
  }
  return std::unique_ptr<JsonLinesSink>(new JsonLinesSink(fd, /*owned=*/true, path, telemetry));
}

JsonLinesSink::JsonLinesSink(int fd, bool owned, std::string path, Telemetry& telemetry)
    : fd_(fd), owned_(owned), path_(std::move(path)), telemetry_(telemetry) {}

JsonLinesSink::~JsonLinesSink() { Close(); }

void JsonLinesSink::Publish(std::shared_ptr<const DriftEvent> event) {
  if (fd_ < 0) {
    telemetry_.DeliveryDropped(name(), "closed", 1);
    return;
  }
  std::string line = DriftEventToJson(*event);
  line.push_back('\n');
  std::size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      spdlog::error("component=jsonl path={} msg=\"write failed\" error=\"{}\"", path_,
                    std::strerror(errno));
      telemetry_.DeliveryFailed(name(), "write");
      return;
    }
    written += static_cast<std::size_t>(n);
  }
  if (owned_ && ::fdatasync(fd_) != 0 && errno != EINVAL) {
    telemetry_.DeliveryFailed(name(), "fsync");
  }
  telemetry_.DeliverySent(name(), 1);
}

void JsonLinesSink::Close() {
  if (owned_ && fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = -1;
}

}  // namespace plumbline::agent
