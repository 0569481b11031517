#include "plumbline/common/drift_event.h"

#include <array>

#include "plumbline/common/telemetry.h"

namespace plumbline {
namespace {

constexpr std::array<std::string_view, 6> kEventTypeNames = {"Drifted",    "Resolved", "Missing",
                                                             "Extraneous", "Orphan",   "Info"};

// Writes {"k":v,...} with keys in call order; values are raw JSON.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  ~ObjectWriter() { out_.push_back('}'); }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  std::string& Key(std::string_view key) {
    if (!first_) {
      out_.push_back(',');
    }
    first_ = false;
    AppendJsonString(out_, key);
    out_.push_back(':');
    return out_;
  }
  void String(std::string_view key, std::string_view value) { AppendJsonString(Key(key), value); }
  void Raw(std::string_view key, std::string_view json) { Key(key).append(json); }

 private:
  std::string& out_;
  bool first_ = true;
};

void AppendActor(std::string& out, const EventActor& actor) {
  ObjectWriter w(out);
  w.String("manager", actor.manager);
  w.String("operation", actor.operation);
  w.String("time", actor.time);
  if (!actor.subresource.empty()) {
    w.String("subresource", actor.subresource);
  }
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  return kEventTypeNames[static_cast<std::size_t>(type)];
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (std::size_t i = 0; i < kEventTypeNames.size(); ++i) {
    if (kEventTypeNames[i] == name) {
      return static_cast<EventType>(i);
    }
  }
  return std::nullopt;
}

std::string_view ResourceStateName(ResourceState state) {
  constexpr std::array<std::string_view, 5> kNames = {"in_sync", "modified", "missing",
                                                      "extraneous", "orphan"};
  return kNames[static_cast<std::size_t>(state)];
}

Telemetry& NullTelemetry() {
  static Telemetry null_telemetry;
  return null_telemetry;
}

std::string ResourceKey(const EventResource& resource) {
  std::string key;
  key.reserve(resource.group.size() + resource.kind.size() + resource.namespace_.size() +
              resource.name.size() + 3);
  key.append(resource.group).append("/").append(resource.kind).append("/");
  key.append(resource.namespace_).append("/").append(resource.name);
  return key;
}

std::string DriftEventToJson(const DriftEvent& event) {
  std::string out;
  out.reserve(512 + event.diff.size());
  {
    ObjectWriter w(out);
    w.String("apiVersion", kEventSchemaVersion);
    w.String("kind", "DriftEvent");
    w.String("id", event.id);
    w.String("type", EventTypeName(event.type));
    w.String("time", event.time);
    w.String("cluster", event.cluster);
    {
      ObjectWriter r(w.Key("resource"));
      r.String("apiVersion", event.resource.api_version);
      r.String("group", event.resource.group);
      r.String("kind", event.resource.kind);
      r.String("namespace", event.resource.namespace_);
      r.String("name", event.resource.name);
      r.String("uid", event.resource.uid);
      r.String("resourceVersion", event.resource.resource_version);
    }
    w.String("driftKind", event.drift_kind);
    {
      ObjectWriter t(w.Key("target"));
      t.String("source", event.target.source);
      t.String("revision", event.target.revision);
      t.String("path", event.target.path);
    }
    std::string& changes = w.Key("changes");
    changes.push_back('[');
    for (std::size_t i = 0; i < event.changes.size(); ++i) {
      const EventChange& c = event.changes[i];
      if (i > 0) {
        changes.push_back(',');
      }
      ObjectWriter cw(changes);
      cw.String("path", c.path);
      cw.Raw("git", c.git_json ? std::string_view(*c.git_json) : "null");
      cw.Raw("live", c.live_json ? std::string_view(*c.live_json) : "null");
      if (c.actor) {
        AppendActor(cw.Key("actor"), *c.actor);
      } else {
        cw.Raw("actor", "null");
      }
    }
    changes.push_back(']');
    std::string& suppressed = w.Key("suppressed");
    suppressed.push_back('[');
    for (std::size_t i = 0; i < event.suppressed.size(); ++i) {
      if (i > 0) {
        suppressed.push_back(',');
      }
      AppendJsonString(suppressed, event.suppressed[i]);
    }
    suppressed.push_back(']');
    std::string& patch = w.Key("patch");
    patch.push_back('[');
    for (std::size_t i = 0; i < event.patch.size(); ++i) {
      const EventPatchOp& op = event.patch[i];
      if (i > 0) {
        patch.push_back(',');
      }
      ObjectWriter pw(patch);
      pw.String("op", op.op);
      pw.String("path", op.path);
      if (op.value_json) {
        pw.Raw("value", *op.value_json);
      }
    }
    patch.push_back(']');
    w.String("diff", event.diff);
    w.String("message", event.message);
  }
  return out;
}

}  // namespace plumbline
