#include "plumbline/agent/reflector.h"

#include <algorithm>
#include <cctype>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "log.h"

namespace plumbline::agent {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15u]);
    }
  }
  return out;
}

std::int64_t UnixNanosNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double UnixSecondsNow() { return static_cast<double>(UnixNanosNow()) / 1e9; }

std::string_view StringField(simdjson::dom::element e, std::string_view key) {
  std::string_view out;
  if (e[key].get(out) != simdjson::SUCCESS) {
    return {};
  }
  return out;
}

std::string_view ResourceVersionOf(simdjson::dom::element object) {
  simdjson::dom::element meta;
  if (object["metadata"].get(meta) != simdjson::SUCCESS) {
    return {};
  }
  return StringField(meta, "resourceVersion");
}

// The part of a Status body worth logging.
std::string BodySnippet(const std::string& body) {
  std::string s = body.substr(0, 300);
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

Reflector::Reflector(ApiClient& client, ApiResource resource, ReflectorHandler& handler,
                     ReflectorOptions options, Telemetry& telemetry)
    : client_(client),
      resource_(std::move(resource)),
      handler_(handler),
      options_(std::move(options)),
      telemetry_(telemetry),
      label_(resource_.Label()),
      backoff_(options_.backoff, options_.random),
      wait_timer_(client.executor()),
      use_watch_list_(options_.use_watch_list) {}

Reflector::~Reflector() = default;

void Reflector::Stop() {
  stopped_ = true;
  canceller_.Cancel();
  wait_timer_.cancel();
}

void Reflector::RequestResync() {
  resync_requested_ = true;
  canceller_.Cancel();
}

std::string Reflector::BasePath() const {
  std::string path = resource_.group.empty() ? "/api/" + resource_.version
                                             : "/apis/" + resource_.group + "/" + resource_.version;
  if (resource_.namespaced && !options_.namespace_.empty()) {
    path += "/namespaces/" + UrlEncode(options_.namespace_);
  }
  return path + "/" + resource_.resource;
}

std::string Reflector::Selectors() const {
  std::string q;
  if (!options_.label_selector.empty()) {
    q += "&labelSelector=" + UrlEncode(options_.label_selector);
  }
  if (!options_.field_selector.empty()) {
    q += "&fieldSelector=" + UrlEncode(options_.field_selector);
  }
  return q;
}

void Reflector::Synced() {
  need_list_ = false;
  consecutive_gone_ = 0;
  ++stats_.snapshots;
  handler_.OnSynced(resource_);
  if (!synced_) {
    KubeLog().info("msg=\"synced\" resource={} resourceVersion={}", label_, resource_version_);
  }
  synced_ = true;
  telemetry_.WatchSynced(label_, true);
}

asio::awaitable<void> Reflector::Wait(milliseconds delay) {
  stats_.last_wait = delay;
  if (delay.count() <= 0 || stopped_) {
    co_return;
  }
  wait_timer_.expires_after(delay);
  auto [ec] = co_await wait_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  (void)ec;  // cancelled by Stop()
}

Reflector::Outcome Reflector::FromStatus(int status, const ApiResponse& response,
                                         std::string_view what) {
  Outcome o;
  if (status == 410) {
    o.next = Next::kRelist;
    o.reason = "gone";
    return o;
  }
  if (status == 429 || status >= 500) {
    o.reason = status == 429 ? "http_429" : "http_5xx";
    if (auto ra = response.RetryAfter(); ra) {
      o.next = Next::kRetryAfter;
      o.retry_after = std::min<milliseconds>(*ra, options_.max_retry_after);
    } else {
      o.next = Next::kBackoff;
    }
    return o;
  }
  o.next = Next::kBackoff;
  o.reason = status == 401   ? "unauthorized"
             : status == 403 ? "forbidden"
             : status == 404 ? "not_found"
                             : "http_" + std::to_string(status);
  telemetry_.Error("reflector", o.reason);
  KubeLog().warn("msg=\"{} failed\" resource={} status={} body=\"{}\"", what, label_, status,
                 BodySnippet(response.body));
  return o;
}

asio::awaitable<Reflector::Outcome> Reflector::List() {
  std::string continue_token;
  bool started = false;
  for (;;) {
    std::string target = BasePath() + "?";
    if (options_.page_size > 0) {
      target += "limit=" + std::to_string(options_.page_size);
    }
    target += Selectors();
    if (!continue_token.empty()) {
      target += "&continue=" + UrlEncode(continue_token);
    }
    canceller_.Reset();
    RequestOptions ro;
    ro.verb = "list";
    ro.resource = label_;
    ro.canceller = &canceller_;
    ro.retry_after_retries = 0;  // waited for in Run(), counted and stoppable there
    ++stats_.lists;
    auto r = co_await client_.Get(target, ro);
    if (stopped_) {
      co_return Outcome{Next::kStop, "", {}};
    }
    if (resync_requested_) {
      co_return Outcome{Next::kNow, "resync", {}};
    }
    if (!r) {
      KubeLog().warn("msg=\"list failed\" resource={} error=\"{}\"", label_, r.error().message);
      co_return Outcome{Next::kBackoff,
                        r.error().code == ErrorCode::kLimitExceeded ? "too_large" : "network",
                        {}};
    }
    if (r->status != 200) {
      co_return FromStatus(r->status, *r, "list");
    }
    const std::int64_t received = UnixNanosNow();
    r->body.reserve(r->body.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element doc;
    if (parser_.parse(r->body).get(doc) != simdjson::SUCCESS) {
      telemetry_.Error("reflector", "decode");
      KubeLog().warn("msg=\"list response is not JSON\" resource={}", label_);
      co_return Outcome{Next::kBackoff, "decode", {}};
    }
    simdjson::dom::element meta;
    simdjson::dom::array items;
    if (doc["metadata"].get(meta) != simdjson::SUCCESS) {
      telemetry_.Error("reflector", "decode");
      co_return Outcome{Next::kBackoff, "decode", {}};
    }
    const auto items_error = doc["items"].get(items);
    if (!started) {
      handler_.OnResync(resource_);
      started = true;
    }
    if (items_error == simdjson::SUCCESS) {
      for (simdjson::dom::element item : items) {
        handler_.OnObject(resource_, WatchEventType::kAdded, item, received);
        if (stopped_) {
          co_return Outcome{Next::kStop, "", {}};
        }
      }
    }
    continue_token = std::string(StringField(meta, "continue"));
    if (continue_token.empty()) {
      resource_version_ = std::string(StringField(meta, "resourceVersion"));
      Synced();
      co_return Outcome{Next::kNow, "", {}};
    }
  }
}

Status Reflector::OnLine(std::string_view line, std::int64_t received_unix_nanos) {
  simdjson::dom::element event;
  if (parser_.parse(line.data(), line.size(), false).get(event) != simdjson::SUCCESS) {
    stream_outcome_ = Outcome{Next::kBackoff, "decode", {}};
    return MakeError(ErrorCode::kInvalidArgument, "watch event is not JSON");
  }
  std::string_view type;
  simdjson::dom::element object;
  if (event["type"].get(type) != simdjson::SUCCESS ||
      event["object"].get(object) != simdjson::SUCCESS) {
    stream_outcome_ = Outcome{Next::kBackoff, "decode", {}};
    return MakeError(ErrorCode::kInvalidArgument, "watch event without type or object");
  }
  if (watch_list_mode_ && !snapshot_started_ && type != "ERROR") {
    handler_.OnResync(resource_);
    snapshot_started_ = true;
  }
  WatchEventType kind = WatchEventType::kAdded;
  if (type == "ADDED") {
    kind = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    kind = WatchEventType::kModified;
  } else if (type == "DELETED") {
    kind = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    ++stats_.bookmarks;
    if (const auto rv = ResourceVersionOf(object); !rv.empty()) {
      resource_version_ = std::string(rv);
    }
    telemetry_.WatchBookmark(label_, UnixSecondsNow());
    if (watch_list_mode_ && !initial_done_) {
      std::string_view end;
      simdjson::dom::element meta;
      if (object["metadata"].get(meta) == simdjson::SUCCESS) {
        simdjson::dom::element annotations;
        if (meta["annotations"].get(annotations) == simdjson::SUCCESS) {
          end = StringField(annotations, "k8s.io/initial-events-end");
        }
      }
      if (end == "true") {
        initial_done_ = true;
        Synced();
      } else {
        // A server without watch-list sends plain bookmarks and never ends the initial events.
        plain_bookmark_before_end_ = true;
        stream_outcome_ = Outcome{Next::kFallback, "watch_list_unsupported", {}};
        return MakeError(ErrorCode::kUnavailable, "bookmark before the initial events ended");
      }
    }
    return Status::Ok();
  } else if (type == "ERROR") {
    std::int64_t code = 0;
    if (object["code"].get(code) != simdjson::SUCCESS) {
      code = 0;
    }
    const std::string message(StringField(object, "message"));
    if (code == 410) {
      stream_outcome_ = Outcome{Next::kRelist, "gone", {}};
    } else {
      stream_outcome_ = code == 429 || code >= 500
                            ? Outcome{Next::kBackoff, code == 429 ? "http_429" : "http_5xx", {}}
                            : Outcome{Next::kBackoff, "watch_error", {}};
      telemetry_.Error("reflector", "watch_error");
      KubeLog().warn("msg=\"watch error event\" resource={} code={} message=\"{}\"", label_, code,
                     message);
    }
    return MakeError(ErrorCode::kUnavailable, "watch ERROR event " + std::to_string(code));
  } else {
    stream_outcome_ = Outcome{Next::kBackoff, "decode", {}};
    telemetry_.Error("reflector", "decode");
    return MakeError(ErrorCode::kInvalidArgument, "unknown watch event type");
  }
  ++stats_.events;
  ++stream_events_;
  const auto rv = ResourceVersionOf(object);
  handler_.OnObject(resource_, kind, object, received_unix_nanos);
  if (!rv.empty()) {
    resource_version_ = std::string(rv);
  }
  telemetry_.WatchEventReceived(label_, static_cast<double>(received_unix_nanos) / 1e9);
  if (stopped_) {
    stream_outcome_ = Outcome{Next::kStop, "", {}};
    return MakeError(ErrorCode::kUnavailable, "stopped");
  }
  return Status::Ok();
}

asio::awaitable<Reflector::Outcome> Reflector::Watch(bool watch_list) {
  const double jitter = std::clamp(backoff_.Random(), 0.0, 1.0);
  const auto timeout_seconds = static_cast<std::int64_t>(
      static_cast<double>(options_.watch_timeout.count()) * (1.0 + jitter));
  std::string target = BasePath() + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=" +
                       std::to_string(std::max<std::int64_t>(timeout_seconds, 1)) + Selectors();
  if (watch_list) {
    target += "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan";
  } else {
    target += "&resourceVersion=" + UrlEncode(resource_version_);
  }
  watch_list_mode_ = watch_list;
  snapshot_started_ = false;
  initial_done_ = false;
  plain_bookmark_before_end_ = false;
  stream_outcome_.reset();
  stream_events_ = 0;

  canceller_.Reset();
  RequestOptions ro;
  ro.verb = "watch";
  ro.resource = label_;
  ro.canceller = &canceller_;
  ro.retry_after_retries = 0;
  ro.timeout = options_.watch_idle_timeout.count() > 0
                   ? options_.watch_idle_timeout
                   : milliseconds((timeout_seconds + 60) * 1000);
  ++stats_.watches;
  const auto started = SteadyClock::now();
  auto r = co_await client_.Stream(target, this, ro);
  const auto lasted = SteadyClock::now() - started;
  watch_list_mode_ = false;
  if (stopped_) {
    co_return Outcome{Next::kStop, "", {}};
  }
  if (resync_requested_) {
    co_return Outcome{Next::kNow, "resync", {}};
  }
  if (stream_outcome_) {
    if (stream_outcome_->next == Next::kFallback) {
      KubeLog().info("msg=\"watch-list not supported, using LIST+WATCH\" resource={}", label_);
    }
    co_return *stream_outcome_;
  }
  if (!r) {
    KubeLog().info("msg=\"watch broken\" resource={} error=\"{}\"", label_, r.error().message);
    co_return Outcome{
        Next::kBackoff, r.error().code == ErrorCode::kLimitExceeded ? "too_large" : "network", {}};
  }
  if (r->status != 200) {
    if (watch_list && (r->status == 400 || r->status == 415 || r->status == 422)) {
      KubeLog().info("msg=\"watch-list rejected, using LIST+WATCH\" resource={} status={}", label_,
                     r->status);
      co_return Outcome{Next::kFallback, "watch_list_unsupported", {}};
    }
    co_return FromStatus(r->status, *r, "watch");
  }
  // The server ended the watch.
  if (watch_list && !initial_done_) {
    if (lasted >= options_.watch_list_timeout) {
      co_return Outcome{Next::kFallback, "watch_list_unsupported", {}};
    }
    co_return Outcome{Next::kBackoff, "closed", {}};
  }
  if (stream_events_ == 0 && lasted < std::chrono::seconds(1)) {
    // Closed at once without an event: do not spin on a server that drops every watch.
    co_return Outcome{Next::kBackoff, "closed", {}};
  }
  co_return Outcome{Next::kNow, "timeout", {}};
}

asio::awaitable<void> Reflector::Run() {
  running_ = true;
  telemetry_.WatchSynced(label_, false);
  bool first_list = true;
  while (!stopped_) {
    Outcome out;
    if (resync_requested_) {
      resync_requested_ = false;
      need_list_ = true;
    }
    if (need_list_) {
      if (!first_list) {
        telemetry_.WatchRelisted(label_);
      }
      first_list = false;
      // Not `?:`: g++ 12 mishandles co_await inside conditional expressions.
      if (use_watch_list_) {
        out = co_await Watch(true);
      } else {
        out = co_await List();
      }
    } else {
      out = co_await Watch(false);
    }
    if (stopped_ || out.next == Next::kStop) {
      break;
    }
    if (!out.reason.empty() && out.reason != "resync") {
      telemetry_.WatchRestarted(label_, out.reason);
    }
    switch (out.next) {
      case Next::kNow:
      case Next::kStop:
        break;
      case Next::kFallback:
        use_watch_list_ = false;
        need_list_ = true;
        break;
      case Next::kRelist:
        ++stats_.gone;
        need_list_ = true;
        resource_version_.clear();
        KubeLog().info("msg=\"resourceVersion expired, relisting\" resource={}", label_);
        // A 410 storm (history compacted again and again) must not spin.
        if (++consecutive_gone_ > 2) {
          ++stats_.backoff_waits;
          co_await Wait(backoff_.Next(SteadyClock::now()));
        }
        break;
      case Next::kRetryAfter:
        ++stats_.retry_after_waits;
        KubeLog().info("msg=\"server asked to retry later\" resource={} reason={} wait_s={}",
                       label_, out.reason,
                       std::chrono::duration_cast<std::chrono::seconds>(out.retry_after).count());
        co_await Wait(out.retry_after);
        break;
      case Next::kBackoff: {
        ++stats_.backoff_waits;
        const auto delay = backoff_.Next(SteadyClock::now());
        KubeLog().debug("msg=\"backing off\" resource={} reason={} wait_ms={}", label_, out.reason,
                        delay.count());
        co_await Wait(delay);
        break;
      }
    }
  }
  running_ = false;
  co_return;
}

}  // namespace plumbline::agent
