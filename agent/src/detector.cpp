#include "plumbline/agent/detector.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

#include <xxhash.h>

#include "event_builder.h"

namespace plumbline::agent {
namespace {

using hashing::Digest128;
using simdjson::dom::element;

enum class State : std::uint8_t { kNone, kInSync, kModified, kMissing, kExtraneous, kOrphan };

// What the detector remembers per live object (or per declared object that is missing).
// 64 bytes; the key lives in the map node.
struct ObjectState {
  Digest128 declared;
  Digest128 live_only;
  std::uint64_t resource_version = 0;  // numeric resourceVersion; 0 = unknown (never skipped)
  std::uint64_t restarted_hash = 0;    // XXH3-64 of the rollout-restart annotation; 0 = none
  std::uint32_t generation = 0;        // target generation the object was judged under
  std::uint32_t epoch = 0;             // snapshot in which it was last delivered
  State state = State::kNone;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return static_cast<std::size_t>(XXH3_64bits(s.data(), s.size()));
  }
};

// Live objects of one (group, kind), keyed by "namespace/name".
struct KindTable {
  std::unordered_map<std::string, ObjectState, StringHash, std::equal_to<>> objects;
  std::uint32_t epoch = 0;
  bool synced = false;
};

std::string_view StringAt(element object, std::string_view pointer) {
  std::string_view out;
  if (object.at_pointer(pointer).get(out) != simdjson::SUCCESS) {
    return {};
  }
  return out;
}

std::uint64_t ParseResourceVersion(std::string_view rv) {
  std::uint64_t value = 0;
  if (rv.empty() || rv.size() > 19) {
    return 0;
  }
  for (const char c : rv) {
    if (c < '0' || c > '9') {
      return 0;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::optional<ResourceState> PublicState(State s) {
  switch (s) {
    case State::kInSync:
      return ResourceState::kInSync;
    case State::kModified:
      return ResourceState::kModified;
    case State::kMissing:
      return ResourceState::kMissing;
    case State::kExtraneous:
      return ResourceState::kExtraneous;
    case State::kOrphan:
      return ResourceState::kOrphan;
    case State::kNone:
      break;
  }
  return std::nullopt;
}

bool IsScalableKind(std::string_view group, std::string_view kind) {
  return group == "apps" && (kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet");
}

}  // namespace

class Detector::Impl {
 public:
  Impl(const hashing::Policy& policy, const hashing::SecretHasher& hasher, DetectorOptions options,
       EventCallback emit, Telemetry& telemetry)
      : policy_(policy),
        engine_(policy, hasher),
        options_(std::move(options)),
        emit_(std::move(emit)),
        telemetry_(telemetry) {
    if (!options_.now_unix_nanos) {
      options_.now_unix_nanos = [] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      };
    }
  }

  const TargetSet* targets = nullptr;
  std::function<void(std::string, std::string)> on_hpa_change;
  Counts counts;

  void OnResync(const ApiResource& r, std::string_view scope) {
    KindTable& table = Table(r.group, r.kind, scope);
    ++table.epoch;
  }

  void DropScope(const ApiResource& r, std::string_view scope) {
    kind_key_.assign(r.group).append("/").append(r.kind).append("|").append(scope);
    if (auto it = tables_.find(kind_key_); it != tables_.end()) {
      for (auto& [key, st] : it->second.objects) {
        SetState(r, key, st, State::kNone);
      }
      tables_.erase(it);
    }
  }

  void OnSynced(const ApiResource& r, std::string_view scope) {
    KindTable& table = Table(r.group, r.kind, scope);
    table.synced = true;
    // Objects not delivered in this snapshot are gone.
    for (auto it = table.objects.begin(); it != table.objects.end();) {
      ObjectState& st = it->second;
      const TargetEntry* target = FindTarget(r.group, r.kind, it->first);
      if (st.state == State::kMissing && target == nullptr) {
        // Declared, missing, and no longer declared: nothing is missing any more.
        Emit(BuildResolvedGone(EventContextFor(r, it->first), "", ""));
        SetState(r, it->first, st, State::kNone);
        it = table.objects.erase(it);
        continue;
      }
      if (st.epoch == table.epoch || st.state == State::kMissing) {
        ++it;
        continue;
      }
      if (target != nullptr) {
        GoneDeclared(r, *target, st, /*uid=*/"", /*resource_version=*/"");
        ++it;
      } else {
        GoneUntracked(r, it->first, st, "", "");
        SetState(r, it->first, st, State::kNone);
        if (r.kind == "HorizontalPodAutoscaler") {
          ForgetHpa(it->first);
        }
        it = table.objects.erase(it);
      }
    }
    if (scope.empty()) {
      ReportMissingTargets(r.group, r.kind, table);
    }
  }

  void OnObject(const ApiResource& r, std::string_view scope, WatchEventType type, element object,
                std::int64_t received_unix_nanos) {
    received_ = received_unix_nanos;
    KindTable& table = Table(r.group, r.kind, scope);
    const std::string_view ns = StringAt(object, "/metadata/namespace");
    const std::string_view name = StringAt(object, "/metadata/name");
    if (name.empty()) {
      telemetry_.Error("detector", "object_without_name");
      return;
    }
    key_.assign(ns).append("/").append(name);

    if (r.group == "autoscaling" && r.kind == "HorizontalPodAutoscaler") {
      if (type == WatchEventType::kDeleted) {
        ForgetHpa(key_);
      } else {
        RememberHpa(key_, ns, object);
      }
    }

    const TargetEntry* target = FindTarget(r.group, r.kind, key_);
    if (type == WatchEventType::kDeleted) {
      auto it = table.objects.find(key_);
      if (target != nullptr) {
        ObjectState& st = it != table.objects.end() ? it->second : table.objects[key_];
        GoneDeclared(r, *target, st, StringAt(object, "/metadata/uid"),
                     StringAt(object, "/metadata/resourceVersion"));
      } else if (it != table.objects.end()) {
        GoneUntracked(r, key_, it->second, StringAt(object, "/metadata/uid"),
                      StringAt(object, "/metadata/resourceVersion"));
        SetState(r, key_, it->second, State::kNone);
        table.objects.erase(it);
      }
      return;
    }

    const std::uint64_t rv = ParseResourceVersion(StringAt(object, "/metadata/resourceVersion"));
    const std::uint32_t generation = targets != nullptr ? targets->generation() : 0;
    auto it = table.objects.find(key_);
    if (it != table.objects.end()) {
      ObjectState& st = it->second;
      st.epoch = table.epoch;
      if (rv != 0 && st.resource_version == rv && st.generation == generation &&
          st.state != State::kMissing) {
        ++counts.skipped;
        return;
      }
    }
    if (target != nullptr) {
      if (it == table.objects.end()) {
        it = table.objects.emplace(key_, ObjectState{}).first;
        it->second.epoch = table.epoch;
      }
      JudgeDeclared(r, *target, it->second, object, rv, generation);
    } else {
      JudgeUntracked(r, table, it, object, rv, generation);
    }
  }

  Counts Snapshot() const {
    Counts c = counts;
    c.tracked = 0;
    for (const auto& [kind, table] : tables_) {
      for (const auto& [key, st] : table.objects) {
        ++c.tracked;
        switch (st.state) {
          case State::kInSync:
            ++c.in_sync;
            break;
          case State::kModified:
            ++c.modified;
            break;
          case State::kMissing:
            ++c.missing;
            break;
          case State::kExtraneous:
            ++c.extraneous;
            break;
          case State::kOrphan:
            ++c.orphan;
            break;
          case State::kNone:
            break;
        }
      }
    }
    return c;
  }

  std::size_t StateBytes() const {
    std::size_t bytes = 0;
    for (const auto& [kind, table] : tables_) {
      // Node: next pointer, cached hash, key object, state; plus the bucket slot.
      bytes += table.objects.bucket_count() * sizeof(void*);
      for (const auto& [key, st] : table.objects) {
        bytes += 2 * sizeof(void*) + sizeof(std::string) + sizeof(ObjectState);
        if (key.capacity() > 15) {
          bytes += key.capacity() + 1;
        }
      }
    }
    return bytes;
  }

  void InvalidateAll() {
    for (auto& [kind, table] : tables_) {
      for (auto& [key, st] : table.objects) {
        st.generation = 0;
      }
    }
  }

 private:
  // Tables are per kind and watch scope: "group/Kind|namespace" ("|" alone: cluster-wide).
  KindTable& Table(std::string_view group, std::string_view kind, std::string_view scope) {
    kind_key_.assign(group).append("/").append(kind).append("|").append(scope);
    auto it = tables_.find(kind_key_);
    if (it == tables_.end()) {
      it = tables_.emplace(kind_key_, KindTable{}).first;
    }
    return it->second;
  }

  const TargetEntry* FindTarget(std::string_view group, std::string_view kind,
                                std::string_view key) const {
    if (targets == nullptr) {
      return nullptr;
    }
    const auto* of_kind = targets->OfKind(group, kind);
    if (of_kind == nullptr) {
      return nullptr;
    }
    // The index is keyed by std::string; a lookup by view would need a transparent map there.
    lookup_.assign(key);
    auto it = of_kind->find(lookup_);
    return it == of_kind->end() ? nullptr : it->second;
  }

  void JudgeDeclared(const ApiResource& r, const TargetEntry& entry, ObjectState& st,
                     element object, std::uint64_t rv, std::uint32_t generation) {
    const hashing::Target& target = entry.target;
    hashing::LiveContext context;
    scaled_key_.assign(target.id.group).append("/").append(target.id.kind).append("/");
    scaled_key_.append(target.id.namespace_).append("/").append(target.id.name);
    context.scaled_by_hpa = hpa_scaled_.contains(scaled_key_);

    const hashing::LiveDigests digests = engine_.Digest(target, object, context);
    const State before = st.state;
    const bool first_sight = before == State::kNone;
    st.resource_version = rv;
    st.generation = generation;

    const std::uint64_t restart = digests.restarted ? RestartHash(object) : 0;
    const bool restarted_now =
        restart != 0 && restart != st.restarted_hash && !first_sight && before != State::kMissing;
    st.restarted_hash = restart;

    if (digests.in_sync) {
      ++counts.fast_path;
      st.declared = digests.declared;
      st.live_only = digests.live_only;
      SetState(r, key_, st, State::kInSync);
      if (before == State::kModified || before == State::kMissing) {
        Emit(BuildResolved(Context(entry), object));
      }
      if (restarted_now) {
        Emit(BuildInfo(Context(entry), object, RestartedAt(object)));
      }
      return;
    }
    if (before == State::kModified && st.declared == digests.declared &&
        st.live_only == digests.live_only) {
      ++counts.fast_path;  // status-only or unrelated change: the drift is the same
      if (restarted_now) {
        Emit(BuildInfo(Context(entry), object, RestartedAt(object)));
      }
      return;
    }
    ++counts.compares;
    hashing::Verdict verdict = engine_.Compare(target, object, context);
    st.declared = digests.declared;
    st.live_only = digests.live_only;
    if (!verdict.suppressed.empty()) {
      telemetry_.SuppressedDifferences(KindLabel(r), verdict.suppressed.size());
    }
    if (!verdict.drifted()) {
      // Digest and Compare share one walk; a disagreement is a bug worth counting, not a crash.
      telemetry_.Error("detector", "digest_compare_disagree");
      SetState(r, key_, st, State::kInSync);
      return;
    }
    SetState(r, key_, st, State::kModified);
    Emit(BuildDrifted(Context(entry), object, verdict));
    if (restarted_now) {
      Emit(BuildInfo(Context(entry), object, RestartedAt(object)));
    }
  }

  void JudgeUntracked(
      const ApiResource& r, KindTable& table,
      std::unordered_map<std::string, ObjectState, StringHash, std::equal_to<>>::iterator it,
      element object, std::uint64_t rv, std::uint32_t generation) {
    api_version_.assign(r.group).append(r.group.empty() ? "" : "/").append(r.version);
    hashing::Verdict verdict = engine_.JudgeUntracked(object, api_version_, r.kind);
    State now = State::kNone;
    if (verdict.kind == hashing::DriftKind::kExtraneous) {
      now = State::kExtraneous;
    } else if (verdict.kind == hashing::DriftKind::kOrphan) {
      now = State::kOrphan;
    }
    const State before = it == table.objects.end() ? State::kNone : it->second.state;
    if (now == State::kNone) {
      // Untracked objects in no drift state cost no memory.
      if (it != table.objects.end()) {
        if (before == State::kExtraneous || before == State::kOrphan) {
          Emit(BuildResolvedUntracked(EventContextFor(r, key_), object));
        }
        SetState(r, key_, it->second, State::kNone);
        table.objects.erase(it);
      }
      return;
    }
    if (it == table.objects.end()) {
      it = table.objects.emplace(key_, ObjectState{}).first;
    }
    ObjectState& st = it->second;
    st.epoch = table.epoch;
    st.resource_version = rv;
    st.generation = generation;
    SetState(r, key_, st, now);
    if (before != now) {
      Emit(BuildUntracked(EventContextFor(r, key_), object, verdict));
    }
  }

  // The live object of a declared resource is gone (watch DELETED, or absent from a relist).
  void GoneDeclared(const ApiResource& r, const TargetEntry& entry, ObjectState& st,
                    std::string_view uid, std::string_view resource_version) {
    if (st.state == State::kMissing) {
      return;
    }
    st = ObjectState{};
    SetState(r, entry.target.id.namespace_ + "/" + entry.target.id.name, st, State::kMissing);
    Emit(BuildMissing(Context(entry), engine_.Missing(entry.target), uid, resource_version));
  }

  void GoneUntracked(const ApiResource& r, std::string_view key, const ObjectState& st,
                     std::string_view uid, std::string_view resource_version) {
    if (st.state == State::kExtraneous || st.state == State::kOrphan) {
      Emit(BuildResolvedGone(EventContextFor(r, key), uid, resource_version));
    }
  }

  // Declared objects of a synced kind with no live object: Missing, once.
  void ReportMissingTargets(std::string_view group, std::string_view kind, KindTable& table) {
    if (targets == nullptr) {
      return;
    }
    const auto* of_kind = targets->OfKind(group, kind);
    if (of_kind == nullptr) {
      return;
    }
    ApiResource r;
    r.group = std::string(group);
    r.kind = std::string(kind);
    for (const auto& [key, entry] : *of_kind) {
      if (table.objects.find(key) != table.objects.end()) {
        continue;
      }
      ObjectState& st = table.objects[key];
      st.epoch = table.epoch;
      GoneDeclared(r, *entry, st, "", "");
    }
  }

  void SetState(const ApiResource& r, std::string_view key, ObjectState& st, State now) {
    if (st.state == now) {
      return;
    }
    const auto from = PublicState(st.state);
    const auto to = PublicState(now);
    st.state = now;
    const std::string_view ns = key.substr(0, key.find('/'));
    telemetry_.ResourceStateChanged(KindLabel(r), ns, from ? &*from : nullptr, to ? &*to : nullptr,
                                    static_cast<double>(options_.now_unix_nanos()) / 1e9);
  }

  std::string KindLabel(const ApiResource& r) const {
    return r.group.empty() ? r.kind : r.kind + "." + r.group;
  }

  EventContext Context(const TargetEntry& entry) const {
    EventContext c;
    c.cluster = &options_.cluster;
    c.id = &entry.target.id;
    c.target = &entry.target;
    c.file = &entry.file;
    if (targets != nullptr && !targets->sources().empty()) {
      c.source = &targets->sources().front();
    }
    c.now_unix_nanos = options_.now_unix_nanos();
    return c;
  }

  EventContext EventContextFor(const ApiResource& r, std::string_view key) {
    untracked_id_.group = r.group;
    untracked_id_.version = r.version;
    untracked_id_.kind = r.kind;
    const auto slash = key.find('/');
    untracked_id_.namespace_ = std::string(key.substr(0, slash));
    untracked_id_.name = std::string(key.substr(slash + 1));
    EventContext c;
    c.cluster = &options_.cluster;
    c.id = &untracked_id_;
    c.now_unix_nanos = options_.now_unix_nanos();
    return c;
  }

  static std::string_view RestartedAt(element object) {
    return StringAt(object,
                    "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt");
  }
  static std::uint64_t RestartHash(element object) {
    const std::string_view at = RestartedAt(object);
    return at.empty() ? 0 : XXH3_64bits(at.data(), at.size()) | 1;
  }

  void RememberHpa(const std::string& key, std::string_view ns, element hpa) {
    const std::string_view api_version = StringAt(hpa, "/spec/scaleTargetRef/apiVersion");
    const std::string_view kind = StringAt(hpa, "/spec/scaleTargetRef/kind");
    const std::string_view name = StringAt(hpa, "/spec/scaleTargetRef/name");
    const auto slash = api_version.find('/');
    const std::string_view group =
        slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
    std::string scaled = std::string(group) + "/" + std::string(kind) + "/" + std::string(ns) +
                         "/" + std::string(name);
    auto it = hpa_targets_.find(key);
    if (it != hpa_targets_.end() && it->second == scaled) {
      return;
    }
    if (it != hpa_targets_.end()) {
      ForgetHpa(key);
    }
    hpa_targets_[key] = scaled;
    if (++hpa_scaled_[scaled] == 1) {
      ScaledChanged(scaled);
    }
  }

  void ForgetHpa(const std::string& key) {
    auto it = hpa_targets_.find(key);
    if (it == hpa_targets_.end()) {
      return;
    }
    const std::string scaled = it->second;
    hpa_targets_.erase(it);
    auto count = hpa_scaled_.find(scaled);
    if (count != hpa_scaled_.end() && --count->second == 0) {
      hpa_scaled_.erase(count);
      ScaledChanged(scaled);
    }
  }

  // An HPA started or stopped scaling `scaled` ("group/Kind/ns/name"): judge it again.
  void ScaledChanged(const std::string& scaled) {
    const auto first = scaled.find('/');
    const auto second = scaled.find('/', first + 1);
    const std::string group = scaled.substr(0, first);
    const std::string kind = scaled.substr(first + 1, second - first - 1);
    if (!IsScalableKind(group, kind) && kind.empty()) {
      return;
    }
    auto table = tables_.find(group + "/" + kind + "|");
    if (table != tables_.end()) {
      auto obj = table->second.objects.find(scaled.substr(second + 1));
      if (obj != table->second.objects.end()) {
        obj->second.generation = 0;
      }
    }
    if (on_hpa_change) {
      on_hpa_change(group, kind);
    }
  }

  void Emit(std::shared_ptr<DriftEvent> event) {
    telemetry_.EventEmitted(*event);
    if (received_ != 0) {
      telemetry_.DetectionLatency(static_cast<double>(event->detected_unix_nanos - received_) /
                                  1e9);
    }
    emit_(std::move(event));
  }

  const hashing::Policy& policy_;
  hashing::Engine engine_;
  DetectorOptions options_;
  EventCallback emit_;
  Telemetry& telemetry_;
  std::unordered_map<std::string, KindTable, StringHash, std::equal_to<>> tables_;
  std::unordered_map<std::string, std::string> hpa_targets_;  // HPA "ns/name" -> scaled key
  std::unordered_map<std::string, int> hpa_scaled_;           // scaled key -> HPA count
  hashing::ResourceId untracked_id_;
  std::int64_t received_ = 0;
  // Reused key buffers: no allocation per event once warm.
  std::string key_;
  std::string kind_key_;
  std::string scaled_key_;
  std::string api_version_;
  mutable std::string lookup_;
};

Detector::Detector(const hashing::Policy& policy, const hashing::SecretHasher& hasher,
                   DetectorOptions options, EventCallback emit, Telemetry& telemetry)
    : impl_(
          std::make_unique<Impl>(policy, hasher, std::move(options), std::move(emit), telemetry)) {}

Detector::~Detector() = default;

void Detector::SetTargets(std::shared_ptr<const TargetSet> targets) {
  targets_ = std::move(targets);
  impl_->targets = targets_.get();
  // Everything is judged again when the reflectors deliver it next (the agent resyncs them);
  // new targets without a live object become Missing at their kind's OnSynced.
  impl_->InvalidateAll();
}

void Detector::SetHpaChangeCallback(std::function<void(std::string, std::string)> callback) {
  impl_->on_hpa_change = std::move(callback);
}

void Detector::OnResync(const ApiResource& resource) { impl_->OnResync(resource, ""); }

void Detector::OnObject(const ApiResource& resource, WatchEventType type, element object,
                        std::int64_t received_unix_nanos) {
  impl_->OnObject(resource, "", type, object, received_unix_nanos);
}

void Detector::OnSynced(const ApiResource& resource) { impl_->OnSynced(resource, ""); }

void Detector::OnResyncIn(const ApiResource& resource, std::string_view scope) {
  impl_->OnResync(resource, scope);
}

void Detector::OnObjectIn(const ApiResource& resource, std::string_view scope, WatchEventType type,
                          element object, std::int64_t received_unix_nanos) {
  impl_->OnObject(resource, scope, type, object, received_unix_nanos);
}

void Detector::OnSyncedIn(const ApiResource& resource, std::string_view scope) {
  impl_->OnSynced(resource, scope);
}

void Detector::DropScope(const ApiResource& resource, std::string_view scope) {
  impl_->DropScope(resource, scope);
}

Detector::Counts Detector::counts() const { return impl_->Snapshot(); }

std::size_t Detector::StateBytes() const { return impl_->StateBytes(); }

}  // namespace plumbline::agent
