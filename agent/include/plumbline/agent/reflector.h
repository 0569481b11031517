// Reflector: keeps one watched resource (e.g. apps/v1 deployments) mirrored into a handler,
// the way client-go's reflector does: LIST with pagination (or a watch-list with
// sendInitialEvents when the server offers it), then WATCH from the list's resourceVersion with
// bookmarks; 410 in either form (HTTP 410 or an ERROR event with code 410) leads to a relist;
// 429/5xx honour Retry-After; reconnects back off exponentially with jitter (0.8 s to 30 s).
//
// The handler sees a snapshot protocol, so a relist never produces spurious changes:
//   OnResync(r)                 a full snapshot of r begins
//   OnObject(r, kAdded, obj)    once per object of the snapshot
//   OnSynced(r)                 the snapshot is complete: objects of r not delivered since
//                               OnResync no longer exist
//   OnObject(r, type, obj)      watch events after that (kAdded, kModified, kDeleted)
// The same object may be delivered again with the same resourceVersion (after a relist); the
// handler is expected to be idempotent.
//
// Threading: runs on the agent's io thread; handler callbacks are made there. `object` is only
// valid during the callback (it points into the reflector's parser).
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

namespace plumbline::agent {

// A served resource, from discovery.
struct ApiResource {
  std::string group;     // "" for core
  std::string version;   // "v1"
  std::string resource;  // plural, "deployments"
  std::string kind;      // "Deployment"
  bool namespaced = true;

  // "group/version/resource" ("/v1/pods" for core), the label used in logs and metrics.
  std::string Label() const { return group + "/" + version + "/" + resource; }
};

enum class WatchEventType { kAdded, kModified, kDeleted };

class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  virtual void OnResync(const ApiResource& resource) = 0;
  // `received_unix_nanos`: when the bytes of this event were read from the socket (for
  // detection latency).
  virtual void OnObject(const ApiResource& resource, WatchEventType type,
                        simdjson::dom::element object, std::int64_t received_unix_nanos) = 0;
  virtual void OnSynced(const ApiResource& resource) = 0;
};

}  // namespace plumbline::agent
