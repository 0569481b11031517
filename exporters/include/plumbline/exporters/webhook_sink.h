// WebhookSink: a generic webhook receiving CloudEvents 1.0 structured JSON (cloudevents.h).
// By default one event per POST (`application/cloudevents+json`); with `batch` the events of a
// grouping window go out as one `application/cloudevents-batch+json` array.
//
// Signature (when hmac_secret is set), see docs/delivery.md:
//   X-Plumbline-Timestamp: <unix seconds when the request was built>
//   X-Plumbline-Signature: sha256=<lowercase hex HMAC-SHA256(secret, timestamp + "." + body)>
// Receivers recompute it over the raw body, compare in constant time and reject timestamps more
// than a few minutes old (replay).
//
// Delivery: route filter, de-duplication by event id, a bounded queue (oldest dropped,
// counted), retries with exponential backoff and jitter, Retry-After honoured on 429/503.
// Threading: create, Publish, Close and destroy on the io_context's thread (EventSink).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "plumbline/common/event_sink.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"
#include "plumbline/exporters/delivery.h"
#include "plumbline/exporters/http_sender.h"

namespace plumbline::exporters {

namespace internal {
class Pipeline;
}  // namespace internal

inline constexpr std::string_view kSignatureHeader = "X-Plumbline-Signature";
inline constexpr std::string_view kTimestampHeader = "X-Plumbline-Timestamp";

struct WebhookOptions {
  std::string name = "webhook";  // sink name in logs and metrics: "webhook:<name>"
  std::string url;               // http:// or https:// endpoint (required)
  HttpHeaders headers;           // extra headers on every request (e.g. Authorization)
  std::string hmac_secret;       // empty: requests are not signed
  bool batch = false;            // true: one batch POST per grouping window
  GroupingOptions grouping{std::chrono::milliseconds(10'000), 100};  // used with batch only
  RouteOptions route;
  RetryOptions retry;
  QueueOptions queue;
  HttpSenderOptions http;
};

// "sha256=" + lowercase hex of HMAC-SHA256(secret, timestamp + "." + body).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

class WebhookSink final : public EventSink {
 public:
  // Fails on a bad URL or CA file. `telemetry` must outlive the sink's loop.
  static Result<std::unique_ptr<WebhookSink>> Create(boost::asio::io_context& io,
                                                     WebhookOptions options, Telemetry& telemetry);
  ~WebhookSink() override;  // Close()

  std::string_view name() const override { return name_; }
  void Publish(std::shared_ptr<const DriftEvent> event) override;
  void Close() override;
  // True once the delivery loop has ended (after Close()).
  bool finished() const;

 private:
  WebhookSink(std::string name, std::shared_ptr<internal::Pipeline> pipeline);
  std::string name_;
  std::shared_ptr<internal::Pipeline> pipeline_;
};

}  // namespace plumbline::exporters
