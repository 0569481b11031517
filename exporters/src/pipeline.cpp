#include "pipeline.h"

#include <algorithm>
#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "log.h"

namespace plumbline::exporters::internal {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

// Completion handler of the pipeline's coroutines: an exception (from Boost or std) ends the
// loop; it is logged, never rethrown into io_context::run().
void OnLoopEnd(std::string name, const std::exception_ptr& e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    Log()->error("sink={} msg=\"delivery loop ended by an exception\" error=\"{}\"", name,
                 ex.what());
  } catch (...) {
    Log()->error("sink={} msg=\"delivery loop ended by an unknown exception\"", name);
  }
}

}  // namespace

Outcome ClassifyHttp(const Result<HttpResponse>& result) {
  Outcome outcome;
  if (!result) {
    outcome.reason = "network";
    outcome.detail = result.error().message;
    return outcome;
  }
  const int status = result->status;
  if (status >= 200 && status < 300) {
    outcome.ok = true;
    return outcome;
  }
  outcome.detail = "HTTP " + std::to_string(status);
  if (!result->body.empty()) {
    outcome.detail += ": " + result->body.substr(0, 200);
  }
  if (status == 429) {
    outcome.reason = "http_429";
  } else if (status >= 500) {
    outcome.reason = "http_5xx";
  } else {
    outcome.reason = "http_4xx";
    outcome.retryable = status == 408 || status == 425;
  }
  if ((status == 429 || status == 503) && result->retry_after) {
    outcome.retry_after = std::chrono::milliseconds(*result->retry_after);
  }
  return outcome;
}

Pipeline::Pipeline(asio::io_context& io, PipelineOptions options,
                   std::unique_ptr<BatchDeliverer> deliverer, Telemetry& telemetry)
    : io_(io),
      options_(std::move(options)),
      deliverer_(std::move(deliverer)),
      telemetry_(telemetry),
      backoff_(options_.retry),
      recent_(options_.queue.dedup_ids),
      wake_(io),
      retry_timer_(io),
      deadline_(io) {
  options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
}

void Pipeline::Start() {
  asio::co_spawn(io_, Run(shared_from_this()),
                 [name = options_.name](std::exception_ptr e) { OnLoopEnd(name, e); });
}

void Pipeline::Drop(std::size_t events, const char* reason) {
  if (events == 0) {
    return;
  }
  telemetry_.DeliveryDropped(options_.name, reason, events);
  Log()->warn("sink={} msg=\"events dropped\" reason={} events={}", options_.name, reason, events);
}

void Pipeline::Publish(EventPtr event) {
  if (!event) {
    return;
  }
  if (closing_) {
    Drop(1, "closed");
    return;
  }
  if (!RouteMatches(options_.route, *event)) {
    return;
  }
  if (!event->id.empty() && !recent_.Insert(event->id)) {
    Log()->debug("sink={} msg=\"duplicate event skipped\" id={}", options_.name, event->id);
    return;
  }
  if (queue_.size() >= std::max<std::size_t>(options_.queue.max_events, 1)) {
    queue_.pop_front();
    Drop(1, "queue_full");
  }
  queue_.push_back({std::move(event), SteadyClock::now()});
  if (waiting_ == Waiting::kForEvents ||
      (waiting_ == Waiting::kForWindow && queue_.size() >= options_.max_batch)) {
    wake_.cancel();
  }
}

void Pipeline::Close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  wake_.cancel();
  retry_timer_.cancel();
  if (!finished_) {
    asio::co_spawn(io_, CloseDeadline(shared_from_this()),
                   [name = options_.name](std::exception_ptr e) { OnLoopEnd(name, e); });
  }
}

asio::awaitable<void> Pipeline::CloseDeadline(std::shared_ptr<Pipeline> self) {
  self->deadline_.expires_after(self->options_.queue.close_timeout);
  auto [ec] = co_await self->deadline_.async_wait(kUseAwaitable);
  if (ec || self->finished_) {
    co_return;  // the loop ended first and cancelled us
  }
  self->aborted_ = true;
  self->deliverer_->Abort();
  self->retry_timer_.cancel();
  self->wake_.cancel();
}

asio::awaitable<void> Pipeline::DeliverWithRetries(Batch batch) {
  for (int attempt = 1;; ++attempt) {
    if (aborted_) {
      Drop(batch.size(), "closed");
      co_return;
    }
    Outcome outcome = co_await deliverer_->Deliver(batch);
    if (outcome.ok) {
      telemetry_.DeliverySent(options_.name, batch.size());
      co_return;
    }
    telemetry_.DeliveryFailed(options_.name, outcome.reason);
    const bool exhausted =
        options_.retry.max_attempts > 0 && attempt >= options_.retry.max_attempts;
    if (!outcome.retryable || exhausted || closing_) {
      Log()->warn("sink={} msg=\"delivery failed\" attempt={} error=\"{}\"", options_.name, attempt,
                  outcome.detail);
      Drop(batch.size(), !outcome.retryable ? "rejected"
                         : closing_         ? "closed"
                                            : "retries_exhausted");
      co_return;
    }
    auto delay = outcome.retry_after
                     ? std::min(*outcome.retry_after, options_.retry.max_retry_after)
                     : backoff_.Delay(attempt);
    if (attempt == 1) {
      Log()->warn("sink={} msg=\"delivery failed, retrying\" error=\"{}\" retry_in_ms={}",
                  options_.name, outcome.detail, delay.count());
    } else {
      Log()->debug("sink={} msg=\"delivery failed, retrying\" attempt={} error=\"{}\"",
                   options_.name, attempt, outcome.detail);
    }
    telemetry_.DeliveryRetried(options_.name);
    retry_timer_.expires_after(delay);
    co_await retry_timer_.async_wait(kUseAwaitable);  // Close() cuts the wait short
  }
}

asio::awaitable<void> Pipeline::Run(std::shared_ptr<Pipeline> self) {
  Pipeline& p = *self;
  for (;;) {
    if (p.aborted_) {
      p.Drop(p.queue_.size(), "closed");
      p.queue_.clear();
      break;
    }
    if (p.queue_.empty()) {
      if (p.closing_) {
        break;
      }
      p.wake_.expires_at(SteadyClock::time_point::max());
      p.waiting_ = Waiting::kForEvents;
      co_await p.wake_.async_wait(kUseAwaitable);
      p.waiting_ = Waiting::kNo;
      continue;
    }
    const auto window = p.options_.grouping.window;
    if (window.count() > 0 && !p.closing_ && p.queue_.size() < p.options_.max_batch) {
      const auto until = p.queue_.front().arrived + window;
      if (SteadyClock::now() < until) {
        p.wake_.expires_at(until);
        p.waiting_ = Waiting::kForWindow;
        co_await p.wake_.async_wait(kUseAwaitable);
        p.waiting_ = Waiting::kNo;
        continue;  // re-check: the window ended, the batch filled or Close() came
      }
    }
    const std::size_t n = std::min(p.queue_.size(), p.options_.max_batch);
    Batch batch;
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(p.queue_.front().event));
      p.queue_.pop_front();
    }
    co_await p.DeliverWithRetries(std::move(batch));
  }
  p.finished_ = true;
  p.deadline_.cancel();
}

}  // namespace plumbline::exporters::internal
