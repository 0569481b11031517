// DriftEvent: what the agent reports on a drift transition, and its JSON form (schema
// "plumbline.dev/v1alpha1" DriftEvent, documented in docs/events.md). Shared by the agent, which
// builds events, and the exporters, which deliver them; std only. Values taken from Kubernetes
// objects travel as JSON text (already masked), so no JSON tree type is needed here.
// Immutable once built; safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/text.h"

namespace plumbline {

inline constexpr std::string_view kEventSchemaVersion = "plumbline.dev/v1alpha1";

enum class EventType { kDrifted, kResolved, kMissing, kExtraneous, kOrphan, kInfo };
// "Drifted", "Resolved", "Missing", "Extraneous", "Orphan", "Info".
std::string_view EventTypeName(EventType type);
std::optional<EventType> ParseEventType(std::string_view name);

struct EventResource {
  std::string api_version;  // "apps/v1"
  std::string group;        // "" for core
  std::string kind;
  std::string namespace_;  // "" for cluster-scoped
  std::string name;
  std::string uid;
  std::string resource_version;
};

struct EventActor {
  std::string manager;  // managedFields manager, e.g. "kubectl-edit"
  std::string operation;
  std::string time;
  std::string subresource;
};

// One drifted field: RFC 6901 pointer, Git and live values as JSON text (absent when the field
// is absent on that side; secret values are masks), and who wrote the live value.
struct EventChange {
  std::string path;
  std::optional<std::string> git_json;
  std::optional<std::string> live_json;
  std::optional<EventActor> actor;
};

struct EventPatchOp {
  std::string op;  // add | remove | replace
  std::string path;
  std::optional<std::string> value_json;
};

struct EventTarget {
  std::string source;    // repository or folder the targets were rendered from
  std::string revision;  // Git revision, or "" for plain folders / bundles without one
  std::string path;      // the resource's file within the source, when known
};

struct DriftEvent {
  std::string id;  // deterministic (cluster, resource, live resourceVersion, type): 32 hex
  EventType type = EventType::kDrifted;
  std::string time;  // RFC 3339 UTC with milliseconds, when the agent detected it
  std::int64_t detected_unix_nanos = 0;
  std::string cluster;
  EventResource resource;
  std::string drift_kind;  // modified | missing | extraneous | orphan; "" for Resolved/Info
  EventTarget target;
  std::vector<EventChange> changes;
  std::vector<std::string> suppressed;
  std::vector<EventPatchOp> patch;  // RFC 6902, from Git to live, secrets masked
  std::string diff;                 // unified diff, secrets masked
  std::string message;              // one human sentence ("image changed by kubectl-set")
};

// "group/Kind/namespace/name" (the engine's ResourceId::Key()).
std::string ResourceKey(const EventResource& resource);

// The event as one JSON object (no trailing newline), keys in a fixed order.
std::string DriftEventToJson(const DriftEvent& event);

}  // namespace plumbline
