#include "plumbline/agent/leader_elector.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unistd.h>

#include "plumbline/common/drift_event.h"
#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"

#include "log.h"

namespace plumbline::agent {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

// MicroTime as the API server writes it: 2026-12-08T01:30:00.123456Z.
std::string NowMicroTime() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(micros % 1'000'000));
  return buf;
}

std::int64_t ToInt(const hashing::Value* v) {
  std::int64_t out = 0;
  if (v != nullptr && v->is_number()) {
    const std::string& t = v->text();
    std::from_chars(t.data(), t.data() + t.size(), out);
  }
  return out;
}

std::int64_t CeilSeconds(std::chrono::milliseconds d) { return (d.count() + 999) / 1000; }

enum class Attempt { kLeading, kHeldByOther, kFailed };

}  // namespace

Result<LeaseRecord> ParseLease(std::string_view json) {
  auto doc = hashing::ParseJson(json);
  if (!doc) {
    return MakeError(ErrorCode::kInvalidArgument, "Lease is not JSON: " + doc.error().message);
  }
  if (!doc->is_object() || doc->GetString("kind") != "Lease") {
    return MakeError(ErrorCode::kInvalidArgument, "not a Lease object");
  }
  LeaseRecord r;
  if (const hashing::Value* meta = doc->Find("metadata"); meta != nullptr && meta->is_object()) {
    r.resource_version = std::string(meta->GetString("resourceVersion"));
  }
  if (r.resource_version.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "Lease without metadata.resourceVersion");
  }
  if (const hashing::Value* spec = doc->Find("spec"); spec != nullptr && spec->is_object()) {
    r.holder_identity = std::string(spec->GetString("holderIdentity"));
    r.lease_duration_seconds = ToInt(spec->Find("leaseDurationSeconds"));
    r.acquire_time = std::string(spec->GetString("acquireTime"));
    r.renew_time = std::string(spec->GetString("renewTime"));
    r.lease_transitions = ToInt(spec->Find("leaseTransitions"));
  }
  return r;
}

std::string LeaseJson(const LeaseRecord& record, std::string_view name,
                      std::string_view namespace_) {
  std::string out = R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":)";
  AppendJsonString(out, name);
  out += R"(,"namespace":)";
  AppendJsonString(out, namespace_);
  if (!record.resource_version.empty()) {
    out += R"(,"resourceVersion":)";
    AppendJsonString(out, record.resource_version);
  }
  out += R"(},"spec":{"holderIdentity":)";
  AppendJsonString(out, record.holder_identity);
  out += R"(,"leaseDurationSeconds":)" + std::to_string(record.lease_duration_seconds);
  if (!record.acquire_time.empty()) {
    out += R"(,"acquireTime":)";
    AppendJsonString(out, record.acquire_time);
  }
  if (!record.renew_time.empty()) {
    out += R"(,"renewTime":)";
    AppendJsonString(out, record.renew_time);
  }
  out += R"(,"leaseTransitions":)" + std::to_string(record.lease_transitions) + "}}";
  return out;
}

Status ValidateLeaderElection(const LeaderElectionOptions& o) {
  if (o.lease_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "leader election: the lease name is empty");
  }
  if (o.retry_period.count() <= 0 || o.renew_deadline.count() <= 0 ||
      o.lease_duration.count() <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, "leader election: durations must be positive");
  }
  if (o.lease_duration <= o.renew_deadline) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "leader election: the lease duration must exceed the renew deadline");
  }
  if (o.renew_deadline <= o.retry_period) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "leader election: the renew deadline must exceed the retry period");
  }
  return Status::Ok();
}

std::string DefaultIdentity() {
  std::string base;
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    base = pod;
  } else {
    char host[256] = {};
    base = gethostname(host, sizeof host - 1) == 0 ? host : "plumbline-agent";
  }
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "_%08x", static_cast<unsigned>(rd()));
  return base + suffix;
}

class LeaderElector::Impl {
 public:
  Impl(ApiClient& client, LeaderElectionOptions options, std::function<void(bool)> on_change,
       Telemetry& telemetry)
      : client_(client),
        options_(std::move(options)),
        on_change_(std::move(on_change)),
        telemetry_(telemetry),
        timer_(client.executor()),
        jitter_(std::random_device{}()) {
    if (options_.identity.empty()) {
      options_.identity = DefaultIdentity();
    }
    if (options_.lease_namespace.empty()) {
      options_.lease_namespace =
          client.config().namespace_.empty() ? "default" : client.config().namespace_;
    }
    collection_ = "/apis/coordination.k8s.io/v1/namespaces/" + options_.lease_namespace + "/leases";
  }

  Awaitable<void> Run() {
    KubeLog().info("msg=\"leader election\" lease={}/{} identity={}", options_.lease_namespace,
                   options_.lease_name, options_.identity);
    telemetry_.LeaderStatus(false);
    while (!stopped_) {
      const Attempt a = co_await TryAcquireOrRenew();
      if (stopped_) {
        break;
      }
      const auto now = Clock::now();
      if (a == Attempt::kLeading) {
        last_renew_ = now;
        SetLeading(true);
      } else if (leading_ &&
                 (a == Attempt::kHeldByOther || now - last_renew_ >= options_.renew_deadline)) {
        KubeLog().warn("msg=\"lost leadership\" lease={}/{} reason={}", options_.lease_namespace,
                       options_.lease_name,
                       a == Attempt::kHeldByOther ? "taken" : "renew deadline passed");
        SetLeading(false);
      }
      // A candidate waits a jittered period (client-go: factor 1.2) so two standbys do not
      // collide forever; the leader renews on the plain period.
      auto wait = options_.retry_period;
      if (!leading_) {
        std::uniform_real_distribution<double> extra(0.0, 1.2);
        wait += std::chrono::milliseconds(
            static_cast<std::int64_t>(static_cast<double>(wait.count()) * extra(jitter_)));
      }
      timer_.expires_after(wait);
      auto [ec] = co_await timer_.async_wait(kUseAwaitable);
      (void)ec;  // cancelled by Stop()
    }
    if (leading_) {
      canceller_.Reset();
      co_await Release();
      SetLeading(false);
    }
  }

  void Stop() {
    stopped_ = true;
    timer_.cancel();
    canceller_.Cancel();  // an attempt in flight
  }

  bool leading() const { return leading_; }
  const LeaderElectionOptions& options() const { return options_; }

 private:
  RequestOptions Options(std::string verb) {
    RequestOptions o;
    o.verb = std::move(verb);
    o.resource = "coordination.k8s.io/v1/leases";
    o.retry_after_retries = 0;  // this loop retries on its own period
    // An attempt must end well inside the renew deadline.
    o.timeout = std::max(options_.renew_deadline / 2, std::chrono::milliseconds(100));
    o.canceller = &canceller_;
    return o;
  }

  void SetLeading(bool leading) {
    if (leading == leading_) {
      return;
    }
    leading_ = leading;
    if (leading) {
      KubeLog().info("msg=\"became leader\" lease={}/{} identity={}", options_.lease_namespace,
                     options_.lease_name, options_.identity);
    }
    telemetry_.LeaderStatus(leading);
    if (on_change_) {
      on_change_(leading);
    }
  }

  LeaseRecord Claim(const LeaseRecord* current) const {
    LeaseRecord r;
    r.holder_identity = options_.identity;
    r.lease_duration_seconds = CeilSeconds(options_.lease_duration);
    r.renew_time = NowMicroTime();
    if (current != nullptr && current->holder_identity == options_.identity) {
      r.acquire_time = current->acquire_time;
      r.lease_transitions = current->lease_transitions;
    } else {
      r.acquire_time = r.renew_time;
      r.lease_transitions = current != nullptr ? current->lease_transitions + 1 : 0;
    }
    if (current != nullptr) {
      r.resource_version = current->resource_version;
    }
    return r;
  }

  // Remembers a record and when this replica first saw it (the expiry clock).
  void Observe(const LeaseRecord& record) {
    if (!observed_ || !(*observed_ == record)) {
      observed_ = record;
      observed_at_ = Clock::now();
    }
  }

  void Warn(std::string_view what, const Result<ApiResponse>& r) {
    telemetry_.Error("leader_election", what);
    if (!r) {
      KubeLog().warn("msg=\"leader election {} failed\" lease={}/{} error=\"{}\"", what,
                     options_.lease_namespace, options_.lease_name, r.error().message);
    } else {
      KubeLog().warn("msg=\"leader election {} failed\" lease={}/{} status={}", what,
                     options_.lease_namespace, options_.lease_name, r->status);
    }
  }

  Awaitable<Attempt> TryAcquireOrRenew() {
    const std::string target = collection_ + "/" + options_.lease_name;
    auto got = co_await client_.Get(target, Options("get"));
    if (!got || (got->status != 200 && got->status != 404)) {
      Warn("get", got);
      co_return Attempt::kFailed;
    }
    if (got->status == 404) {
      const LeaseRecord claim = Claim(nullptr);
      auto created = co_await client_.WriteLease(
          "POST", collection_, LeaseJson(claim, options_.lease_name, options_.lease_namespace),
          Options("create"));
      if (created && created->status == 409) {
        co_return Attempt::kHeldByOther;  // another candidate created it first
      }
      co_return Accept(created, "create");
    }
    auto current = ParseLease(got->body);
    if (!current) {
      KubeLog().warn("msg=\"leader election: unreadable Lease\" error=\"{}\"",
                     current.error().message);
      telemetry_.Error("leader_election", "parse");
      co_return Attempt::kFailed;
    }
    Observe(*current);
    const auto holder_duration =
        current->lease_duration_seconds > 0
            ? std::chrono::milliseconds(current->lease_duration_seconds * 1000)
            : options_.lease_duration;
    if (!current->holder_identity.empty() && current->holder_identity != options_.identity &&
        Clock::now() < observed_at_ + holder_duration) {
      co_return Attempt::kHeldByOther;
    }
    const LeaseRecord claim = Claim(&*current);
    auto updated = co_await client_.WriteLease(
        "PUT", target, LeaseJson(claim, options_.lease_name, options_.lease_namespace),
        Options("update"));
    if (updated && updated->status == 409) {
      co_return Attempt::kHeldByOther;  // changed since the read: someone else renewed or won
    }
    co_return Accept(updated, "update");
  }

  Attempt Accept(const Result<ApiResponse>& r, std::string_view what) {
    if (!r || (r->status != 200 && r->status != 201)) {
      Warn(what, r);
      return Attempt::kFailed;
    }
    auto record = ParseLease(r->body);
    if (!record) {
      telemetry_.Error("leader_election", "parse");
      return Attempt::kFailed;
    }
    Observe(*record);
    return Attempt::kLeading;
  }

  // Gives the Lease up so that a standby takes it at its next attempt (client-go's
  // ReleaseOnCancel): holder cleared, a one-second duration. A renewal cancelled by Stop() may
  // still have reached the server and moved the resourceVersion on: a 409 reads the Lease
  // again and, if this replica still holds it, releases that version.
  Awaitable<void> Release() {
    if (!observed_ || observed_->holder_identity != options_.identity) {
      co_return;
    }
    const std::string target = collection_ + "/" + options_.lease_name;
    LeaseRecord current = *observed_;
    for (int attempt = 0; attempt < 3; ++attempt) {
      LeaseRecord r = current;
      r.holder_identity.clear();
      r.lease_duration_seconds = 1;
      r.renew_time = NowMicroTime();
      r.acquire_time = r.renew_time;
      auto put = co_await client_.WriteLease(
          "PUT", target, LeaseJson(r, options_.lease_name, options_.lease_namespace),
          Options("update"));
      if (put && put->status == 200) {
        KubeLog().info("msg=\"released leadership\" lease={}/{}", options_.lease_namespace,
                       options_.lease_name);
        co_return;
      }
      if (!put || put->status != 409) {
        Warn("release", put);
        co_return;
      }
      auto got = co_await client_.Get(target, Options("get"));
      if (!got || got->status != 200) {
        Warn("release", got);
        co_return;
      }
      auto fresh = ParseLease(got->body);
      if (!fresh || fresh->holder_identity != options_.identity) {
        co_return;  // unreadable, or no longer ours to release
      }
      current = *fresh;
    }
  }

  ApiClient& client_;
  LeaderElectionOptions options_;
  std::function<void(bool)> on_change_;
  Telemetry& telemetry_;
  asio::steady_timer timer_;
  RequestCanceller canceller_;
  std::mt19937 jitter_;
  std::string collection_;
  bool stopped_ = false;
  bool leading_ = false;
  Clock::time_point last_renew_{};
  std::optional<LeaseRecord> observed_;
  Clock::time_point observed_at_{};
};

LeaderElector::LeaderElector(ApiClient& client, LeaderElectionOptions options,
                             std::function<void(bool)> on_change, Telemetry& telemetry)
    : impl_(std::make_unique<Impl>(client, std::move(options), std::move(on_change), telemetry)) {}

LeaderElector::~LeaderElector() = default;

Awaitable<void> LeaderElector::Run() { return impl_->Run(); }

void LeaderElector::Stop() { impl_->Stop(); }

bool LeaderElector::leading() const { return impl_->leading(); }

const LeaderElectionOptions& LeaderElector::options() const { return impl_->options(); }

}  // namespace plumbline::agent
