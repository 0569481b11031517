// A ReflectorHandler that records every callback and keeps the mirrored objects the way a
// consumer of the snapshot protocol must (objects not delivered between OnResync and OnSynced
// are dropped at OnSynced). Single-threaded test code.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <simdjson.h>

#include "plumbline/agent/reflector.h"

namespace plumbline::testing {

class RecordingHandler : public agent::ReflectorHandler {
 public:
  struct Call {
    std::string what;  // "resync", "synced", "ADDED", "MODIFIED", "DELETED"
    std::string key;   // namespace/name
    std::string resource_version;
    bool in_snapshot = false;  // delivered between OnResync and OnSynced
  };

  void OnResync(const agent::ApiResource& /*resource*/) override {
    ++resyncs;
    in_snapshot_ = true;
    seen_.clear();
    calls.push_back({"resync", "", "", false});
  }

  void OnObject(const agent::ApiResource& /*resource*/, agent::WatchEventType type,
                simdjson::dom::element object, std::int64_t received_unix_nanos) override {
    std::string_view ns;
    std::string_view name;
    std::string_view rv;
    simdjson::dom::element meta;
    if (object["metadata"].get(meta) == simdjson::SUCCESS) {
      if (meta["namespace"].get(ns) != simdjson::SUCCESS) {
        ns = "";
      }
      if (meta["name"].get(name) != simdjson::SUCCESS) {
        name = "";
      }
      if (meta["resourceVersion"].get(rv) != simdjson::SUCCESS) {
        rv = "";
      }
    }
    const std::string key = std::string(ns) + "/" + std::string(name);
    const char* what = type == agent::WatchEventType::kAdded      ? "ADDED"
                       : type == agent::WatchEventType::kModified ? "MODIFIED"
                                                                  : "DELETED";
    calls.push_back({what, key, std::string(rv), in_snapshot_});
    last_received_unix_nanos = received_unix_nanos;
    largest_object_bytes = std::max(largest_object_bytes, simdjson::minify(object).size());
    if (in_snapshot_) {
      seen_.insert(key);
      ++snapshot_objects;
    } else {
      ++events;
    }
    if (type == agent::WatchEventType::kDeleted) {
      objects.erase(key);
    } else {
      objects[key] = std::string(rv);
    }
  }

  void OnSynced(const agent::ApiResource& /*resource*/) override {
    ++synced;
    for (auto it = objects.begin(); it != objects.end();) {
      it = seen_.count(it->first) == 0 ? objects.erase(it) : std::next(it);
    }
    in_snapshot_ = false;
    calls.push_back({"synced", "", "", false});
  }

  // Calls of one kind for one key (after the last snapshot when since_last_sync).
  int Count(const std::string& what, const std::string& key) const {
    int n = 0;
    for (const auto& c : calls) {
      n += c.what == what && c.key == key ? 1 : 0;
    }
    return n;
  }
  // Watch events (not snapshot deliveries) for a key.
  std::vector<Call> EventsFor(const std::string& key) const {
    std::vector<Call> out;
    for (const auto& c : calls) {
      if (c.key == key && !c.in_snapshot) {
        out.push_back(c);
      }
    }
    return out;
  }

  std::vector<Call> calls;
  std::map<std::string, std::string> objects;  // key -> resourceVersion
  int resyncs = 0;
  int synced = 0;
  std::uint64_t snapshot_objects = 0;
  std::uint64_t events = 0;
  std::int64_t last_received_unix_nanos = 0;
  std::size_t largest_object_bytes = 0;

 private:
  bool in_snapshot_ = false;
  std::set<std::string> seen_;
};

}  // namespace plumbline::testing
