#include "plumbline/exporters/alertmanager_sink.h"

#include <algorithm>
#include <ctime>
#include <exception>
#include <map>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "log.h"
#include "pipeline.h"
#include "text_util.h"

namespace plumbline::exporters {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;
using Labels = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

struct Alert {
  Labels labels;
  Labels annotations;
  std::string starts_at;
  std::string ends_at;  // set for resolved alerts only
};

void AppendObject(std::string& out, const Labels& pairs) {
  out.push_back('{');
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    AppendJsonString(out, pairs[i].first);
    out.push_back(':');
    AppendJsonString(out, pairs[i].second);
  }
  out.push_back('}');
}

}  // namespace

std::string FormatRfc3339(SystemClock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms.count() % 1000));
  return std::string(buf, n) + frac;
}

class AlertmanagerSink::State {
 public:
  State(asio::io_context& io, AlertmanagerOptions options, Telemetry& telemetry,
        std::unique_ptr<HttpSender> sender, std::string target)
      : target_(std::move(target)),
        io_(io),
        options_(std::move(options)),
        telemetry_(telemetry),
        sender_(std::move(sender)),
        backoff_(options_.retry),
        recent_(options_.dedup_ids),
        wake_(io),
        deadline_(io) {
    if (options_.alert_ttl.count() <= 0) {
      options_.alert_ttl = 4 * options_.resend_interval;
    }
  }

  void Start(const std::shared_ptr<State>& self) {
    asio::co_spawn(io_, Run(self),
                   [name = options_.name](std::exception_ptr e) { OnEnd(name, e); });
  }

  const std::string& name() const { return options_.name; }
  std::size_t firing() const { return firing_.size(); }
  bool finished() const { return finished_; }

  void Publish(std::shared_ptr<const DriftEvent> event) {
    if (!event || closing_ || event->type == EventType::kInfo) {
      return;
    }
    if (!RouteMatches(options_.route, *event)) {
      return;
    }
    if (!event->id.empty() && !recent_.Insert(event->id)) {
      return;
    }
    const std::string key = ResourceKey(event->resource);
    auto it = firing_.find(key);
    if (event->type == EventType::kResolved) {
      if (it != firing_.end()) {
        Resolve(it->second);
        firing_.erase(it);
        MarkDirty();
      }
      return;
    }
    Alert alert = MakeAlert(*event);
    if (it != firing_.end()) {
      if (it->second.labels == alert.labels) {
        alert.starts_at = it->second.starts_at;  // same alert, still firing
      } else {
        Resolve(it->second);  // another drift kind: another alert
      }
      it->second = std::move(alert);
    } else {
      if (firing_.size() >= options_.max_alerts) {
        telemetry_.DeliveryDropped(options_.name, "alerts_full", 1);
        internal::Log()->warn("sink={} msg=\"too many firing alerts, new one dropped\" max={}",
                              options_.name, options_.max_alerts);
        return;
      }
      firing_.emplace(key, std::move(alert));
    }
    MarkDirty();
  }

  void Close(const std::shared_ptr<State>& self) {
    if (closing_) {
      return;
    }
    closing_ = true;
    wake_.cancel();
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

  void MarkDirty() {
    if (!dirty_) {
      dirty_ = true;
      dirty_since_ = SteadyClock::now();
    }
    if (waiting_for_events_) {
      wake_.cancel();
    }
  }

  void Resolve(Alert alert) {
    alert.ends_at = FormatRfc3339(SystemClock::now());
    // Alertmanager refuses endsAt before startsAt (a skewed event clock); both are RFC 3339 UTC,
    // so they compare as strings.
    if (alert.ends_at < alert.starts_at) {
      alert.ends_at = alert.starts_at;
    }
    resolved_.push_back(std::move(alert));
  }

  Alert MakeAlert(const DriftEvent& e) const {
    Alert alert;
    alert.labels = {{"alertname", "PlumblineDrift"},
                    {"cluster", e.cluster},
                    {"namespace", e.resource.namespace_},
                    {"kind", e.resource.kind},
                    {"name", e.resource.name},
                    {"drift_kind", e.drift_kind}};
    for (const auto& label : options_.extra_labels) {
      alert.labels.push_back(label);
    }
    // An empty value is an absent label for Alertmanager (cluster-scoped: no namespace).
    std::erase_if(alert.labels, [](const auto& label) { return label.second.empty(); });
    std::string summary =
        internal::ResourceTitle(e.resource.kind, e.resource.namespace_, e.resource.name) + " in " +
        e.cluster + " drifted from Git (" + e.drift_kind + ")";
    if (!e.message.empty()) {
      summary += ": " + e.message;
    }
    std::string paths;
    for (const auto& c : e.changes) {
      paths += c.path + ": " + c.git_json.value_or("(absent)") + " -> " +
               c.live_json.value_or("(absent)");
      if (c.actor) {
        paths += " by " + c.actor->manager + " at " + c.actor->time;
      }
      paths += "\n";
    }
    const std::size_t max = options_.max_annotation_chars;
    alert.annotations = {{"summary", internal::Truncate(summary, max)}};
    if (!paths.empty()) {
      alert.annotations.emplace_back("paths", internal::Truncate(paths, max));
    }
    if (!e.diff.empty()) {
      alert.annotations.emplace_back("diff", internal::Truncate(e.diff, max));
    }
    if (!e.target.revision.empty()) {
      alert.annotations.emplace_back("revision", e.target.revision);
    }
    alert.annotations.emplace_back("event_id", e.id);
    alert.starts_at = e.time.empty() ? FormatRfc3339(SystemClock::now()) : e.time;
    return alert;
  }

  std::string Body(const std::vector<Alert>& resolved) const {
    const std::string ends_at = FormatRfc3339(SystemClock::now() + options_.alert_ttl);
    std::string out = "[";
    auto append = [&](const Alert& a, const std::string& end) {
      if (out.size() > 1) {
        out.push_back(',');
      }
      out.append("{\"labels\":");
      AppendObject(out, a.labels);
      out.append(",\"annotations\":");
      AppendObject(out, a.annotations);
      out.append(",\"startsAt\":");
      AppendJsonString(out, a.starts_at);
      out.append(",\"endsAt\":");
      AppendJsonString(out, end);
      if (!options_.generator_url.empty()) {
        out.append(",\"generatorURL\":");
        AppendJsonString(out, options_.generator_url);
      }
      out.push_back('}');
    };
    for (const auto& a : resolved) {
      append(a, a.ends_at);
    }
    for (const auto& [key, a] : firing_) {
      append(a, ends_at);
    }
    out.push_back(']');
    return out;
  }

  static asio::awaitable<void> Deadline(std::shared_ptr<State> self) {
    self->deadline_.expires_after(self->options_.close_timeout);
    auto [ec] = co_await self->deadline_.async_wait(kUseAwaitable);
    if (ec || self->finished_) {
      co_return;
    }
    self->aborted_ = true;
    self->sender_->Close();
    self->wake_.cancel();
  }

  // Sends every firing alert plus the resolved ones whenever something changed or the resend
  // interval passed; a failure keeps the change pending and retries with backoff.
  static asio::awaitable<void> Run(std::shared_ptr<State> self) {
    State& s = *self;
    int failures = 0;
    auto next_resend = SteadyClock::time_point::max();
    for (;;) {
      if (s.aborted_ || (s.closing_ && (!s.dirty_ || failures > 0))) {
        break;
      }
      const auto now = SteadyClock::now();
      const bool resend_due = !s.firing_.empty() && now >= next_resend;
      if (!s.dirty_ && !resend_due) {
        s.wake_.expires_at(s.firing_.empty() ? SteadyClock::time_point::max() : next_resend);
        s.waiting_for_events_ = true;
        co_await s.wake_.async_wait(kUseAwaitable);
        s.waiting_for_events_ = false;
        continue;
      }
      if (s.dirty_ && !s.closing_ && failures == 0 &&
          now < s.dirty_since_ + s.options_.batch_delay) {
        s.wake_.expires_at(s.dirty_since_ + s.options_.batch_delay);
        co_await s.wake_.async_wait(kUseAwaitable);
        continue;
      }
      std::vector<Alert> resolved = std::move(s.resolved_);
      s.resolved_.clear();
      s.dirty_ = false;
      HttpRequest request;
      request.target = s.target_;
      request.content_type = "application/json";
      request.headers = s.options_.headers;
      request.body = s.Body(resolved);
      const std::size_t alerts = resolved.size() + s.firing_.size();
      Result<HttpResponse> response = co_await s.sender_->Send(std::move(request));
      internal::Outcome outcome = internal::ClassifyHttp(response);
      if (outcome.ok) {
        s.telemetry_.DeliverySent(s.options_.name, alerts);
        failures = 0;
        next_resend = SteadyClock::now() + s.options_.resend_interval;
        continue;
      }
      s.telemetry_.DeliveryFailed(s.options_.name, outcome.reason);
      // Keep the resolutions for the next try (alerts firing are always in the next body).
      s.resolved_.insert(s.resolved_.begin(), std::make_move_iterator(resolved.begin()),
                         std::make_move_iterator(resolved.end()));
      ++failures;
      const bool give_up = !outcome.retryable || (s.options_.retry.max_attempts > 0 &&
                                                  failures >= s.options_.retry.max_attempts);
      if (give_up) {
        internal::Log()->warn("sink={} msg=\"alerts not accepted\" error=\"{}\"", s.options_.name,
                              outcome.detail);
        s.telemetry_.DeliveryDropped(s.options_.name, "rejected", s.resolved_.size());
        s.resolved_.clear();
        failures = 0;
        next_resend = SteadyClock::now() + s.options_.resend_interval;
        continue;
      }
      s.dirty_ = true;
      if (s.closing_) {
        continue;
      }
      if (failures == 1) {
        internal::Log()->warn("sink={} msg=\"alerts not sent, retrying\" error=\"{}\"",
                              s.options_.name, outcome.detail);
      }
      s.telemetry_.DeliveryRetried(s.options_.name);
      const auto delay = outcome.retry_after
                             ? std::min(*outcome.retry_after, s.options_.retry.max_retry_after)
                             : s.backoff_.Delay(failures);
      s.wake_.expires_after(delay);
      co_await s.wake_.async_wait(kUseAwaitable);
    }
    s.finished_ = true;
    s.deadline_.cancel();
  }

  std::string target_;  // <url path>/api/v2/alerts
  asio::io_context& io_;
  AlertmanagerOptions options_;
  Telemetry& telemetry_;
  std::unique_ptr<HttpSender> sender_;
  Backoff backoff_;
  RecentIds recent_;
  asio::steady_timer wake_;
  asio::steady_timer deadline_;
  std::map<std::string, Alert> firing_;  // by resource key
  std::vector<Alert> resolved_;          // to send once with endsAt set
  SteadyClock::time_point dirty_since_;
  bool dirty_ = false;
  bool waiting_for_events_ = false;
  bool closing_ = false;
  bool aborted_ = false;
  bool finished_ = false;
};

Result<std::unique_ptr<AlertmanagerSink>> AlertmanagerSink::Create(asio::io_context& io,
                                                                   AlertmanagerOptions options,
                                                                   Telemetry& telemetry) {
  Result<Url> url = ParseUrl(options.url);
  if (!url) {
    return MakeError(url.error().code, "alertmanager: " + url.error().message);
  }
  std::string target = url->target;
  while (!target.empty() && target.back() == '/') {
    target.pop_back();
  }
  target += "/api/v2/alerts";
  Result<std::unique_ptr<HttpSender>> sender = HttpSender::Create(io, *url, options.http);
  if (!sender) {
    return MakeError(sender.error().code, "alertmanager: " + sender.error().message);
  }
  auto state = std::make_shared<State>(io, std::move(options), telemetry, std::move(*sender),
                                       std::move(target));
  state->Start(state);
  return std::unique_ptr<AlertmanagerSink>(new AlertmanagerSink(std::move(state)));
}

AlertmanagerSink::AlertmanagerSink(std::shared_ptr<State> state) : state_(std::move(state)) {}
AlertmanagerSink::~AlertmanagerSink() { Close(); }
std::string_view AlertmanagerSink::name() const { return state_->name(); }
void AlertmanagerSink::Publish(std::shared_ptr<const DriftEvent> event) {
  state_->Publish(std::move(event));
}
void AlertmanagerSink::Close() { state_->Close(state_); }
std::size_t AlertmanagerSink::firing() const { return state_->firing(); }
bool AlertmanagerSink::finished() const { return state_->finished(); }

}  // namespace plumbline::exporters
