// SlackSink: drift notifications to a Slack incoming webhook as a Block Kit message a person
// can act on (docs/delivery.md, "Slack"): per event the resource and cluster, the drift kind,
// the changed paths with their Git and live values (already masked in the event) and who
// changed them when, the target revision, and a diff excerpt; a plain `text` fallback for
// notifications. Within Slack's limits: at most 50 blocks, 3000 characters per section text,
// 150 per header. Events of one grouping window (default 10 s) become one message.
//
// Threading: create, Publish, Close and destroy on the io_context's thread (EventSink).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plumbline/common/event_sink.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"
#include "plumbline/exporters/delivery.h"
#include "plumbline/exporters/http_sender.h"

namespace plumbline::exporters {

namespace internal {
class Pipeline;
}  // namespace internal

struct SlackOptions {
  std::string name = "slack";  // sink name in logs and metrics: "slack:<name>"
  std::string webhook_url;     // https://hooks.slack.com/services/... (required)
  GroupingOptions grouping{std::chrono::milliseconds(10'000), 50};
  std::size_t max_changes_per_event = 10;  // changed paths listed per event
  std::size_t max_diff_chars = 1500;       // diff excerpt per event
  RouteOptions route;
  RetryOptions retry;
  QueueOptions queue;
  HttpSenderOptions http;
};

// The Slack message (JSON with "text" and "blocks") for events of one window.
std::string SlackMessageJson(const std::vector<std::shared_ptr<const DriftEvent>>& events,
                             const SlackOptions& options);

class SlackSink final : public EventSink {
 public:
  // Fails on a bad URL or CA file.
  static Result<std::unique_ptr<SlackSink>> Create(boost::asio::io_context& io,
                                                   SlackOptions options, Telemetry& telemetry);
  ~SlackSink() override;  // Close()

  std::string_view name() const override { return name_; }
  void Publish(std::shared_ptr<const DriftEvent> event) override;
  void Close() override;
  bool finished() const;

 private:
  SlackSink(std::string name, std::shared_ptr<internal::Pipeline> pipeline);
  std::string name_;
  std::shared_ptr<internal::Pipeline> pipeline_;
};

}  // namespace plumbline::exporters
