// AlertmanagerSink: one Alertmanager alert per drifted resource, through the API v2
// (POST <url>/api/v2/alerts). See docs/delivery.md, "Alertmanager".
//
//   labels:      alertname="PlumblineDrift", cluster, namespace, kind, name, drift_kind
//                (plus AlertmanagerOptions::extra_labels)
//   annotations: summary, paths (changed paths with Git and live values), diff (an excerpt),
//                revision, event_id
//   startsAt:    the time of the event that raised it; endsAt: now + alert_ttl on every send
//
// While a resource stays drifted its alert is re-sent every resend_interval, each time pushing
// endsAt forward, so Alertmanager keeps it firing and resolves it by itself alert_ttl after the
// agent stops (the resolve_timeout semantics, with the deadline set by the client as Prometheus
// does). A Resolved event sends the alert once more with endsAt = now and forgets it. A drift
// kind change (modified -> missing) resolves the old alert and raises the new one.
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

struct AlertmanagerOptions {
  std::string name = "alertmanager";  // sink name in logs and metrics
  std::string url;      // Alertmanager base URL, e.g. http://alertmanager:9093 (path prefix kept)
  HttpHeaders headers;  // extra headers (e.g. Authorization for a proxy in front)
  std::vector<std::pair<std::string, std::string>> extra_labels;  // e.g. {"severity","warning"}
  std::string generator_url;  // optional link put on every alert (must be an absolute URL)
  std::chrono::milliseconds resend_interval{60'000};
  // endsAt = send time + alert_ttl; 0: 4 x resend_interval.
  std::chrono::milliseconds alert_ttl{0};
  // Changes within this window go out in one POST.
  std::chrono::milliseconds batch_delay{200};
  std::size_t max_alerts = 10'000;  // firing alerts tracked; beyond, new ones are dropped
  std::size_t dedup_ids = 4096;
  std::size_t max_annotation_chars = 4000;
  RouteOptions route;
  RetryOptions retry{std::chrono::milliseconds(500), std::chrono::milliseconds(30'000), 0.2, 0,
                     std::chrono::milliseconds(300'000)};  // retried until the next change
  HttpSenderOptions http;
  std::chrono::milliseconds close_timeout{5000};
};

class AlertmanagerSink final : public EventSink {
 public:
  // Fails on a bad URL or CA file.
  static Result<std::unique_ptr<AlertmanagerSink>> Create(boost::asio::io_context& io,
                                                          AlertmanagerOptions options,
                                                          Telemetry& telemetry);
  ~AlertmanagerSink() override;  // Close()

  std::string_view name() const override;
  void Publish(std::shared_ptr<const DriftEvent> event) override;
  // Sends pending changes (bounded by close_timeout); firing alerts are not resolved: they
  // expire alert_ttl after the last send, as an agent that is gone should be noticed.
  void Close() override;

  std::size_t firing() const;  // alerts currently firing
  bool finished() const;

  class State;

 private:
  explicit AlertmanagerSink(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// RFC 3339 UTC with milliseconds ("2026-11-23T17:00:00.123Z").
std::string FormatRfc3339(std::chrono::system_clock::time_point time);

}  // namespace plumbline::exporters
