// CollectorSink: durable delivery to a central collector. Publish() appends the event, as a
// CloudEvent (cloudevents.h), to an on-disk Spool (spool.h) and returns; the delivery loop POSTs
// the oldest unacknowledged records as one `application/cloudevents-batch+json` array with
// `Authorization: Bearer <token>`, acknowledges them in the spool on a 2xx and retries anything
// else with backoff (Retry-After honoured), forever: the spool bounds the backlog. On start it
// resumes from the spool, so hours of collector outage and crashes lose nothing (up to the
// spool's bound). At-least-once: the collector de-duplicates by CloudEvent id.
//
// A batch refused with a 4xx (other than 408/429) is split in halves; a single refused event is
// acknowledged and counted as dropped ("rejected"), so one poison event cannot stop the queue.
//
// Threading: create, Publish, Close and destroy on the io_context's thread (EventSink).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "plumbline/common/event_sink.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"
#include "plumbline/exporters/delivery.h"
#include "plumbline/exporters/http_sender.h"
#include "plumbline/exporters/spool.h"

namespace plumbline::exporters {

struct CollectorOptions {
  std::string name = "collector";  // sink name in logs and metrics
  std::string url;                 // collector endpoint, e.g. https://collector:8443/v1/events
  std::string bearer_token;        // sent as "Authorization: Bearer <token>"; empty: none
  HttpHeaders headers;             // extra headers on every request
  std::size_t max_batch_events = 500;
  std::size_t max_batch_bytes = 1 << 20;  // payload bytes per POST (at least one event)
  // After the first event of a burst, wait this long for more before sending (0: send at once).
  std::chrono::milliseconds batch_delay{1000};
  RouteOptions route;
  RetryOptions retry{std::chrono::milliseconds(500), std::chrono::milliseconds(60'000), 0.2, 0,
                     std::chrono::milliseconds(300'000)};  // max_attempts 0: forever
  std::size_t dedup_ids = 4096;                            // recent event ids not spooled twice
  SpoolOptions spool;                                      // spool.dir is required
  HttpSenderOptions http;
  // Close() keeps sending for at most this long; whatever is left stays in the spool.
  std::chrono::milliseconds close_timeout{5000};
};

class CollectorSink final : public EventSink {
 public:
  // Fails on a bad URL or CA file, or a spool directory that cannot be created.
  static Result<std::unique_ptr<CollectorSink>> Create(boost::asio::io_context& io,
                                                       CollectorOptions options,
                                                       Telemetry& telemetry);
  ~CollectorSink() override;  // Close()

  std::string_view name() const override;
  // Spools the event (one write(2)); never waits for the network.
  void Publish(std::shared_ptr<const DriftEvent> event) override;
  void Close() override;

  // Events in the spool not yet acknowledged by the collector.
  std::size_t pending() const;
  // True once the delivery loop has ended (after Close()).
  bool finished() const;

  class State;

 private:
  explicit CollectorSink(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace plumbline::exporters
