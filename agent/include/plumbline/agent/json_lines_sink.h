// JsonLinesSink: one DriftEvent per line (docs/events.md) to a file (appended, created 0640) or
// to stdout. Each line is written with one write(2) and the file is fsync'ed per event, so a
// reader never sees half a line and a crash loses nothing that was reported.
//
// Threading: the agent's io thread. Writes are synchronous: local files and pipes are fast;
// a consumer that stops reading a pipe blocks the agent, as any stdout logger would.
#pragma once

#include <memory>
#include <string>

#include "plumbline/common/event_sink.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"

namespace plumbline::agent {

class JsonLinesSink : public EventSink {
 public:
  // `path` "-" means stdout.
  static Result<std::unique_ptr<JsonLinesSink>> Open(const std::string& path, Telemetry& telemetry);
  ~JsonLinesSink() override;

  std::string_view name() const override { return "jsonl"; }
  void Publish(std::shared_ptr<const DriftEvent> event) override;
  void Close() override;

 private:
  JsonLinesSink(int fd, bool owned, std::string path, Telemetry& telemetry);
  int fd_;
  bool owned_;
  std::string path_;
  Telemetry& telemetry_;
};

}  // namespace plumbline::agent
