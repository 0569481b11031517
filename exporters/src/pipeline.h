// Pipeline: the delivery loop shared by the notification sinks (webhook, Slack). It filters
// (route), de-duplicates (recent ids), queues (bounded, oldest dropped), groups (window), hands
// each batch to a sink-specific BatchDeliverer and retries with backoff, honouring Retry-After.
// Close() keeps delivering for QueueOptions::close_timeout, then aborts and drops the rest.
//
// Threading: io thread only. The loop coroutine owns a shared_ptr to the pipeline, so the sink
// object may be destroyed first.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "plumbline/common/drift_event.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"
#include "plumbline/exporters/delivery.h"
#include "plumbline/exporters/http_sender.h"

namespace plumbline::exporters::internal {

using EventPtr = std::shared_ptr<const DriftEvent>;
using Batch = std::vector<EventPtr>;

struct Outcome {
  bool ok = false;
  bool retryable = true;
  std::optional<std::chrono::milliseconds> retry_after;
  std::string reason;  // telemetry reason: network, http_429, http_5xx, http_4xx, ...
  std::string detail;  // for the log
};

// 2xx: ok. 408, 425, 429, 5xx and transport errors: retryable (Retry-After kept for 429/503).
// Other statuses: not retryable.
Outcome ClassifyHttp(const Result<HttpResponse>& result);

class BatchDeliverer {
 public:
  virtual ~BatchDeliverer() = default;
  virtual boost::asio::awaitable<Outcome> Deliver(Batch batch) = 0;
  // Cancels in-flight I/O; later Deliver calls fail fast.
  virtual void Abort() = 0;
};

struct PipelineOptions {
  std::string name;
  RouteOptions route;
  RetryOptions retry;
  QueueOptions queue;
  GroupingOptions grouping;
  std::size_t max_batch = 1;  // events per Deliver call
};

class Pipeline : public std::enable_shared_from_this<Pipeline> {
 public:
  Pipeline(boost::asio::io_context& io, PipelineOptions options,
           std::unique_ptr<BatchDeliverer> deliverer, Telemetry& telemetry);

  void Start();
  void Publish(EventPtr event);
  void Close();
  bool finished() const { return finished_; }

 private:
  struct Queued {
    EventPtr event;
    std::chrono::steady_clock::time_point arrived;
  };
  static boost::asio::awaitable<void> Run(std::shared_ptr<Pipeline> self);
  static boost::asio::awaitable<void> CloseDeadline(std::shared_ptr<Pipeline> self);
  boost::asio::awaitable<void> DeliverWithRetries(Batch batch);
  void Drop(std::size_t events, const char* reason);

  boost::asio::io_context& io_;
  PipelineOptions options_;
  std::unique_ptr<BatchDeliverer> deliverer_;
  Telemetry& telemetry_;
  Backoff backoff_;
  RecentIds recent_;
  std::deque<Queued> queue_;
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer deadline_;
  enum class Waiting { kNo, kForEvents, kForWindow } waiting_ = Waiting::kNo;
  bool closing_ = false;
  bool aborted_ = false;
  bool finished_ = false;
};

}  // namespace plumbline::exporters::internal
