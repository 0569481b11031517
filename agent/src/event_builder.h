// Building DriftEvents from engine verdicts (private to agent/). The schema is docs/events.md.
// Stateless; one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "plumbline/common/drift_event.h"
#include "plumbline/hashing/engine.h"
#include "plumbline/render/source.h"

namespace plumbline::agent {

// What every event needs besides the verdict. Pointers are borrowed for the call.
struct EventContext {
  const std::string* cluster = nullptr;
  const hashing::ResourceId* id = nullptr;
  const hashing::Target* target = nullptr;     // declared resources only
  const std::string* file = nullptr;           // declared resources only
  const render::SourceInfo* source = nullptr;  // declared resources only
  std::int64_t now_unix_nanos = 0;
};

// The deterministic id: XXH3-128 over cluster, resource key, live resourceVersion and type.
std::string EventId(std::string_view cluster, std::string_view resource_key,
                    std::string_view resource_version, EventType type);

// RFC 3339 UTC with milliseconds.
std::string FormatTime(std::int64_t unix_nanos);

std::shared_ptr<DriftEvent> BuildDrifted(const EventContext& c, simdjson::dom::element live,
                                         const hashing::Verdict& verdict);
std::shared_ptr<DriftEvent> BuildResolved(const EventContext& c, simdjson::dom::element live);
std::shared_ptr<DriftEvent> BuildInfo(const EventContext& c, simdjson::dom::element live,
                                      std::string_view restarted_at);
std::shared_ptr<DriftEvent> BuildMissing(const EventContext& c, const hashing::Verdict& verdict,
                                         std::string_view uid, std::string_view resource_version);
// Extraneous or orphan (the verdict says which).
std::shared_ptr<DriftEvent> BuildUntracked(const EventContext& c, simdjson::dom::element live,
                                           const hashing::Verdict& verdict);
// An extraneous or orphan object that no longer is one (still live, or gone).
std::shared_ptr<DriftEvent> BuildResolvedUntracked(const EventContext& c,
                                                   simdjson::dom::element live);
std::shared_ptr<DriftEvent> BuildResolvedGone(const EventContext& c, std::string_view uid,
                                              std::string_view resource_version);

}  // namespace plumbline::agent
