#include "plumbline/exporters/collector_sink.h"

#include <algorithm>
#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "plumbline/exporters/cloudevents.h"

#include "log.h"
#include "pipeline.h"

namespace plumbline::exporters {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {
constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);
}  // namespace

// Shared by the sink object and its coroutines (each holds a shared_ptr).
class CollectorSink::State {
 public:
  State(asio::io_context& io, CollectorOptions options, Telemetry& telemetry,
        std::unique_ptr<HttpSender> sender, std::unique_ptr<Spool> spool)
      : io_(io),
        options_(std::move(options)),
        telemetry_(telemetry),
        sender_(std::move(sender)),
        spool_(std::move(spool)),
        backoff_(options_.retry),
        recent_(options_.dedup_ids),
        wake_(io),
        retry_timer_(io),
        sync_timer_(io),
        deadline_(io),
        batch_limit_(std::max<std::size_t>(options_.max_batch_events, 1)) {}

  void Start(const std::shared_ptr<State>& self) {
    asio::co_spawn(io_, Run(self),
                   [name = options_.name](std::exception_ptr e) { OnEnd(name, e); });
    if (options_.spool.fsync_interval.count() > 0) {
      asio::co_spawn(io_, SyncLoop(self),
                     [name = options_.name](std::exception_ptr e) { OnEnd(name, e); });
    }
    if (spool_->pending() > 0) {
      internal::Log()->info("sink={} msg=\"resuming from spool\" events={}", options_.name,
                            spool_->pending());
    }
  }

  const std::string& name() const { return options_.name; }
  std::size_t pending() const { return spool_->pending(); }
  bool finished() const { return finished_; }

  void Publish(std::shared_ptr<const DriftEvent> event) {
    if (!event) {
      return;
    }
    // A closing sink still spools: the next start delivers.
    if (!RouteMatches(options_.route, *event)) {
      return;
    }
    if (!event->id.empty() && !recent_.Insert(event->id)) {
      return;
    }
    if (Status st = spool_->Append(CloudEventJson(*event)); !st) {
      telemetry_.Error("collector", "spool_write");
      telemetry_.DeliveryDropped(options_.name, "spool_error", 1);
      internal::Log()->error("sink={} msg=\"event not spooled\" id={} error=\"{}\"", options_.name,
                             event->id, st.error().message);
      return;
    }
    if (spool_->pending() == 1) {
      first_pending_ = SteadyClock::now();
    }
    if (waiting_for_events_ || spool_->pending() >= batch_limit_) {
      wake_.cancel();
    }
  }

  void Close(const std::shared_ptr<State>& self) {
    if (closing_) {
      return;
    }
    closing_ = true;
    wake_.cancel();
    retry_timer_.cancel();
    sync_timer_.cancel();
    if (!finished_) {
      asio::co_spawn(io_, Deadline(self),
                     [name = options_.name](std::exception_ptr e) { OnEnd(name, e); });
    }
  }

 private:
  static void OnEnd(const std::string& name, const std::exception_ptr& e) {
    if (!e) {
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      internal::Log()->error("sink={} msg=\"loop ended by an exception\" error=\"{}\"", name,
                             ex.what());
    } catch (...) {
      internal::Log()->error("sink={} msg=\"loop ended by an unknown exception\"", name);
    }
  }

  static asio::awaitable<void> Deadline(std::shared_ptr<State> self) {
    self->deadline_.expires_after(self->options_.close_timeout);
    auto [ec] = co_await self->deadline_.async_wait(kUseAwaitable);
    if (ec || self->finished_) {
      co_return;
    }
    self->aborted_ = true;
    self->sender_->Close();
    self->retry_timer_.cancel();
    self->wake_.cancel();
  }

  static asio::awaitable<void> SyncLoop(std::shared_ptr<State> self) {
    while (!self->closing_) {
      self->sync_timer_.expires_after(self->options_.spool.fsync_interval);
      co_await self->sync_timer_.async_wait(kUseAwaitable);
      if (Status st = self->spool_->Sync(); !st) {
        self->telemetry_.Error("collector", "spool_sync");
        internal::Log()->error("sink={} msg=\"spool sync failed\" error=\"{}\"",
                               self->options_.name, st.error().message);
      }
    }
  }

  static asio::awaitable<void> Run(std::shared_ptr<State> self) {
    State& s = *self;
    int attempt = 0;
    for (;;) {
      if (s.aborted_ || (s.closing_ && (s.spool_->pending() == 0 || attempt > 0))) {
        break;  // what is left stays in the spool
      }
      if (s.spool_->pending() == 0) {
        s.wake_.expires_at(SteadyClock::time_point::max());
        s.waiting_for_events_ = true;
        co_await s.wake_.async_wait(kUseAwaitable);
        s.waiting_for_events_ = false;
        continue;
      }
      if (attempt == 0 && !s.closing_ && s.options_.batch_delay.count() > 0 &&
          s.spool_->pending() < s.batch_limit_) {
        const auto until = s.first_pending_ + s.options_.batch_delay;
        if (SteadyClock::now() < until) {
          s.wake_.expires_at(until);
          co_await s.wake_.async_wait(kUseAwaitable);
          continue;
        }
      }
      Spool::Batch batch = s.spool_->Peek(s.batch_limit_, s.options_.max_batch_bytes);
      if (batch.payloads.empty()) {
        continue;  // only damaged records, now forgotten
      }
      HttpRequest request;
      request.content_type = std::string(kCloudEventBatchContentType) + "; charset=utf-8";
      request.headers = s.options_.headers;
      if (!s.options_.bearer_token.empty()) {
        request.headers.emplace_back("Authorization", "Bearer " + s.options_.bearer_token);
      }
      request.body = JoinJsonArray(batch.payloads);
      const std::size_t events = batch.payloads.size();
      Result<HttpResponse> response = co_await s.sender_->Send(std::move(request));
      internal::Outcome outcome = internal::ClassifyHttp(response);
      if (outcome.ok) {
        s.Acknowledge(batch);
        s.telemetry_.DeliverySent(s.options_.name, events);
        if (attempt > 0) {
          internal::Log()->info("sink={} msg=\"delivery recovered\" attempts={}", s.options_.name,
                                attempt + 1);
        }
        attempt = 0;
        s.batch_limit_ = std::max<std::size_t>(s.options_.max_batch_events, 1);
        s.first_pending_ = SteadyClock::now();
        continue;
      }
      s.telemetry_.DeliveryFailed(s.options_.name, outcome.reason);
      if (!outcome.retryable) {
        if (events > 1) {
          s.batch_limit_ = std::max<std::size_t>(events / 2, 1);  // find the refused event
          continue;
        }
        internal::Log()->error("sink={} msg=\"collector refused an event, dropped\" error=\"{}\"",
                               s.options_.name, outcome.detail);
        s.Acknowledge(batch);
        s.telemetry_.DeliveryDropped(s.options_.name, "rejected", 1);
        continue;
      }
      ++attempt;
      if (s.closing_) {
        continue;  // one attempt while closing; the loop ends above
      }
      auto delay = outcome.retry_after
                       ? std::min(*outcome.retry_after, s.options_.retry.max_retry_after)
                       : s.backoff_.Delay(attempt);
      if (attempt == 1) {
        internal::Log()->warn(
            "sink={} msg=\"delivery failed, retrying; events stay spooled\" pending={} "
            "error=\"{}\"",
            s.options_.name, s.spool_->pending(), outcome.detail);
      }
      s.telemetry_.DeliveryRetried(s.options_.name);
      s.retry_timer_.expires_after(delay);
      co_await s.retry_timer_.async_wait(kUseAwaitable);
    }
    if (Status st = s.spool_->Sync(); !st) {
      s.telemetry_.Error("collector", "spool_sync");
    }
    s.finished_ = true;
    s.deadline_.cancel();
    s.sync_timer_.cancel();
  }

  void Acknowledge(const Spool::Batch& batch) {
    if (Status st = spool_->Ack(batch); !st) {
      telemetry_.Error("collector", "spool_ack");
      internal::Log()->error(
          "sink={} msg=\"spool ack not saved (events may be sent again)\" "
          "error=\"{}\"",
          options_.name, st.error().message);
    }
  }

  asio::io_context& io_;
  CollectorOptions options_;
  Telemetry& telemetry_;
  std::unique_ptr<HttpSender> sender_;
  std::unique_ptr<Spool> spool_;
  Backoff backoff_;
  RecentIds recent_;
  asio::steady_timer wake_;
  asio::steady_timer retry_timer_;
  asio::steady_timer sync_timer_;
  asio::steady_timer deadline_;
  std::size_t batch_limit_;
  SteadyClock::time_point first_pending_ = SteadyClock::now();
  bool waiting_for_events_ = false;
  bool closing_ = false;
  bool aborted_ = false;
  bool finished_ = false;
};

Result<std::unique_ptr<CollectorSink>> CollectorSink::Create(asio::io_context& io,
                                                             CollectorOptions options,
                                                             Telemetry& telemetry) {
  Result<Url> url = ParseUrl(options.url);
  if (!url) {
    return MakeError(url.error().code, "collector: " + url.error().message);
  }
  Result<std::unique_ptr<HttpSender>> sender = HttpSender::Create(io, *url, options.http);
  if (!sender) {
    return MakeError(sender.error().code, "collector: " + sender.error().message);
  }
  Result<std::unique_ptr<Spool>> spool = Spool::Open(options.spool, telemetry, options.name);
  if (!spool) {
    return MakeError(spool.error().code, "collector: " + spool.error().message);
  }
  auto state = std::make_shared<State>(io, std::move(options), telemetry, std::move(*sender),
                                       std::move(*spool));
  state->Start(state);
  return std::unique_ptr<CollectorSink>(new CollectorSink(std::move(state)));
}

CollectorSink::CollectorSink(std::shared_ptr<State> state) : state_(std::move(state)) {}
CollectorSink::~CollectorSink() { Close(); }
std::string_view CollectorSink::name() const { return state_->name(); }
void CollectorSink::Publish(std::shared_ptr<const DriftEvent> event) {
  state_->Publish(std::move(event));
}
void CollectorSink::Close() { state_->Close(state_); }
std::size_t CollectorSink::pending() const { return state_->pending(); }
bool CollectorSink::finished() const { return state_->finished(); }

}  // namespace plumbline::exporters
