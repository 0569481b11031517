#include "event_builder.h"

#include <cstdio>
#include <ctime>
#include <utility>

#include <xxhash.h>

#include "plumbline/hashing/value.h"

namespace plumbline::agent {
namespace {

using simdjson::dom::element;

std::string_view StringAt(element object, std::string_view pointer) {
  std::string_view out;
  if (object.at_pointer(pointer).get(out) != simdjson::SUCCESS) {
    return {};
  }
  return out;
}

std::shared_ptr<DriftEvent> NewEvent(const EventContext& c, EventType type, std::string_view uid,
                                     std::string_view resource_version) {
  auto e = std::make_shared<DriftEvent>();
  e->type = type;
  e->detected_unix_nanos = c.now_unix_nanos;
  e->time = FormatTime(c.now_unix_nanos);
  e->cluster = *c.cluster;
  const hashing::ResourceId& id = *c.id;
  e->resource.api_version = id.ApiVersion();
  e->resource.group = id.group;
  e->resource.kind = id.kind;
  e->resource.namespace_ = id.namespace_;
  e->resource.name = id.name;
  e->resource.uid = std::string(uid);
  e->resource.resource_version = std::string(resource_version);
  if (c.source != nullptr) {
    e->target.source =
        c.source->repository.empty()
            ? c.source->path
            : c.source->repository +
                  (c.source->path.empty() || c.source->path == "." ? "" : "/" + c.source->path);
    e->target.revision = c.source->revision;
  }
  if (c.file != nullptr) {
    e->target.path = *c.file;
  }
  e->id = EventId(e->cluster, ResourceKey(e->resource), resource_version, type);
  return e;
}

std::shared_ptr<DriftEvent> NewEvent(const EventContext& c, EventType type, element live) {
  return NewEvent(c, type, StringAt(live, "/metadata/uid"),
                  StringAt(live, "/metadata/resourceVersion"));
}

void AttachVerdict(DriftEvent& e, const hashing::Verdict& v) {
  e.drift_kind = std::string(hashing::DriftKindName(v.kind));
  e.changes.reserve(v.paths.size());
  for (const hashing::DriftPath& p : v.paths) {
    EventChange change;
    change.path = p.pointer;
    if (p.git_value) {
      change.git_json = hashing::ToJson(*p.git_value);
    }
    if (p.live_value) {
      change.live_json = hashing::ToJson(*p.live_value);
    }
    if (p.actor) {
      change.actor =
          EventActor{p.actor->manager, p.actor->operation, p.actor->time, p.actor->subresource};
    }
    e.changes.push_back(std::move(change));
  }
  e.suppressed = v.suppressed;
  e.patch.reserve(v.patch.size());
  for (const hashing::PatchOp& op : v.patch) {
    EventPatchOp out{op.op, op.path, std::nullopt};
    if (op.value) {
      out.value_json = hashing::ToJson(*op.value);
    }
    e.patch.push_back(std::move(out));
  }
  e.diff = v.diff;
}

// "3 fields of Deployment shop/web differ from Git: /spec/replicas (kubectl-scale), ..."
std::string DescribeDrift(const DriftEvent& e) {
  std::string out = std::to_string(e.changes.size());
  out += e.changes.size() == 1 ? " field of " : " fields of ";
  out += e.resource.kind + " ";
  out += e.resource.namespace_.empty() ? e.resource.name
                                       : e.resource.namespace_ + "/" + e.resource.name;
  out += " differ" + std::string(e.changes.size() == 1 ? "s" : "") + " from Git: ";
  constexpr std::size_t kMaxListed = 5;
  for (std::size_t i = 0; i < e.changes.size() && i < kMaxListed; ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += e.changes[i].path;
    if (e.changes[i].actor) {
      out += " (" + e.changes[i].actor->manager + ")";
    }
  }
  if (e.changes.size() > kMaxListed) {
    out += ", ...";
  }
  return out;
}

std::string DisplayName(const DriftEvent& e) {
  return e.resource.kind + " " +
         (e.resource.namespace_.empty() ? e.resource.name
                                        : e.resource.namespace_ + "/" + e.resource.name);
}

}  // namespace

std::string EventId(std::string_view cluster, std::string_view resource_key,
                    std::string_view resource_version, EventType type) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  const std::string_view type_name = EventTypeName(type);
  for (const std::string_view part : {cluster, resource_key, resource_version, type_name}) {
    XXH3_128bits_update(state, part.data(), part.size());
    XXH3_128bits_update(state, "\0", 1);  // field separator: no two inputs concatenate alike
  }
  const XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return std::string(hex, 32);
}

std::string FormatTime(std::int64_t unix_nanos) {
  const std::time_t seconds = static_cast<std::time_t>(unix_nanos / 1'000'000'000);
  const int millis = static_cast<int>((unix_nanos / 1'000'000) % 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buf;
}

std::shared_ptr<DriftEvent> BuildDrifted(const EventContext& c, element live,
                                         const hashing::Verdict& verdict) {
  auto e = NewEvent(c, EventType::kDrifted, live);
  AttachVerdict(*e, verdict);
  e->message = DescribeDrift(*e);
  return e;
}

std::shared_ptr<DriftEvent> BuildResolved(const EventContext& c, element live) {
  auto e = NewEvent(c, EventType::kResolved, live);
  e->message = DisplayName(*e) + " matches Git again";
  return e;
}

std::shared_ptr<DriftEvent> BuildInfo(const EventContext& c, element live,
                                      std::string_view restarted_at) {
  auto e = NewEvent(c, EventType::kInfo, live);
  e->message = DisplayName(*e) + " was restarted (kubectl rollout restart at " +
               std::string(restarted_at) + "); not drift";
  return e;
}

std::shared_ptr<DriftEvent> BuildMissing(const EventContext& c, const hashing::Verdict& verdict,
                                         std::string_view uid, std::string_view resource_version) {
  auto e = NewEvent(c, EventType::kMissing, uid, resource_version);
  AttachVerdict(*e, verdict);
  e->message = DisplayName(*e) + " is declared in Git but does not exist in the cluster";
  return e;
}

std::shared_ptr<DriftEvent> BuildUntracked(const EventContext& c, element live,
                                           const hashing::Verdict& verdict) {
  const bool orphan = verdict.kind == hashing::DriftKind::kOrphan;
  auto e = NewEvent(c, orphan ? EventType::kOrphan : EventType::kExtraneous, live);
  AttachVerdict(*e, verdict);
  std::string by;
  if (!e->changes.empty() && e->changes.front().actor) {
    by = " (created by " + e->changes.front().actor->manager + ")";
  }
  e->message = DisplayName(*e) +
               (orphan ? " exists in a managed namespace but not in Git"
                       : " carries the tracking marker but is not in Git") +
               by;
  return e;
}

std::shared_ptr<DriftEvent> BuildResolvedUntracked(const EventContext& c, element live) {
  auto e = NewEvent(c, EventType::kResolved, live);
  e->message = DisplayName(*e) + " is no longer extraneous or orphaned";
  return e;
}

std::shared_ptr<DriftEvent> BuildResolvedGone(const EventContext& c, std::string_view uid,
                                              std::string_view resource_version) {
  auto e = NewEvent(c, EventType::kResolved, uid, resource_version);
  e->message = DisplayName(*e) + " is gone";
  return e;
}

}  // namespace plumbline::agent
