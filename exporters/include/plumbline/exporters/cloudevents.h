// CloudEvents 1.0 structured-mode JSON for DriftEvents (docs/delivery.md, "CloudEvents"):
//   specversion "1.0", id = event id, source "plumbline://<cluster>", type
//   "dev.plumbline.drift.<event type lowercased>", subject = ResourceKey(resource), time,
//   datacontenttype "application/json", data = DriftEventToJson(event).
// Pure functions; any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/drift_event.h"

namespace plumbline::exporters {

inline constexpr std::string_view kCloudEventContentType = "application/cloudevents+json";
inline constexpr std::string_view kCloudEventBatchContentType =
    "application/cloudevents-batch+json";

// "plumbline://<cluster>", the cluster name percent-encoded outside RFC 3986 unreserved bytes.
std::string CloudEventSource(std::string_view cluster);
// "dev.plumbline.drift.drifted", "...resolved", "...missing", ...
std::string CloudEventType(EventType type);

// One event as a structured-mode CloudEvent JSON object.
std::string CloudEventJson(const DriftEvent& event);

// A JSON array of structured events (the batched format).
std::string CloudEventBatchJson(const std::vector<std::shared_ptr<const DriftEvent>>& events);

// A JSON array from already encoded CloudEvent objects.
std::string JoinJsonArray(const std::vector<std::string>& objects);

}  // namespace plumbline::exporters
