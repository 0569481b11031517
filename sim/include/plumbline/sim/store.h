// kube-sim's object store: every object as a Value, one resourceVersion counter for all kinds,
// a bounded history of events for watches, and subscribers that are told of every change.
// Single-threaded: used only on the server's io thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plumbline/hashing/value.h"
#include "plumbline/sim/resources.h"

namespace plumbline::sim {

enum class EventType { kAdded, kModified, kDeleted };
std::string_view EventTypeName(EventType t);

struct StoreEvent {
  EventType type;
  std::uint64_t resource_version;
  const ResourceType* resource;
  std::string namespace_;
  // The object as stored after the change. Null for events read back from the history, which
  // keeps only `json` so that superseded versions do not hold their trees (ObjectOf parses).
  std::shared_ptr<const hashing::Value> object;
  std::shared_ptr<const std::string> json;  // `object` as compact JSON, serialized once
};
// The event's object: `object` when present, else `json` parsed.
std::shared_ptr<const hashing::Value> ObjectOf(const StoreEvent& e);

// One stored object: the tree (for patches, selectors, tables), its JSON (for GET, LIST and
// watch events, serialized once per write), and the resourceVersion that created it.
struct StoredObject {
  std::shared_ptr<const hashing::Value> value;
  std::shared_ptr<const std::string> json;
  std::uint64_t created_rv = 0;
};

class Store {
 public:
  explicit Store(std::size_t history_limit) : history_limit_(history_limit) {}

  std::uint64_t resource_version() const { return rv_; }
  // The oldest resourceVersion a watch may start after (older starts get 410 Expired).
  std::uint64_t oldest_retained() const { return oldest_retained_; }

  const hashing::Value* Get(const ResourceType* type, const std::string& ns,
                            const std::string& name) const;
  const StoredObject* Find(const ResourceType* type, const std::string& ns,
                           const std::string& name) const;
  // Objects of a type, in namespace `ns` ("" = all), in name order (namespace, then name).
  std::vector<std::shared_ptr<const hashing::Value>> List(const ResourceType* type,
                                                          const std::string& ns) const;
  // Visits the objects of a type in `ns` ("" = all) in (namespace, name) order, starting after
  // (after_ns, after_name) when after_name is not empty, until `visit` returns false. `visit`
  // must not change the store.
  using Visitor = std::function<bool(const std::string& ns, const std::string& name,
                                     const StoredObject& object)>;
  void Scan(const ResourceType* type, const std::string& ns, const std::string& after_ns,
            const std::string& after_name, const Visitor& visit) const;
  std::size_t Count() const { return count_; }

  // Stores the object (metadata.resourceVersion is set here) and records the event.
  const StoredObject& Put(const ResourceType* type, const std::string& ns, const std::string& name,
                          hashing::Value object, EventType event);
  // Removes the object; `last` is the final state sent with DELETED (its resourceVersion is
  // set to the deletion's).
  void Remove(const ResourceType* type, const std::string& ns, const std::string& name,
              hashing::Value last);
  // Drops all of one type (a CRD deleted).
  void RemoveType(const ResourceType* type);

  // Events with resource_version > after, oldest first (with `object` null: see StoreEvent).
  std::vector<StoreEvent> EventsAfter(std::uint64_t after) const;
  // Forgets history up to now: watches from older versions get 410.
  void Compact();

  using Subscriber = std::function<void(const StoreEvent&)>;
  std::uint64_t Subscribe(Subscriber s);
  void Unsubscribe(std::uint64_t id);

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  void Record(StoreEvent e);

  std::map<const ResourceType*, std::map<Key, StoredObject>> objects_;
  std::deque<StoreEvent> history_;
  std::size_t history_limit_;
  std::uint64_t rv_ = 1000;
  std::uint64_t oldest_retained_ = 1000;
  std::size_t count_ = 0;
  std::map<std::uint64_t, Subscriber> subscribers_;
  std::uint64_t next_subscriber_ = 1;
};

}  // namespace plumbline::sim
