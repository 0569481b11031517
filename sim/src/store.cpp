#include "plumbline/sim/store.h"

#include <algorithm>

namespace plumbline::sim {

std::string_view EventTypeName(EventType t) {
  switch (t) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "";
}

const hashing::Value* Store::Get(const ResourceType* type, const std::string& ns,
                                 const std::string& name) const {
  auto t = objects_.find(type);
  if (t == objects_.end()) {
    return nullptr;
  }
  auto it = t->second.find(Key(ns, name));
  return it == t->second.end() ? nullptr : it->second.get();
}

std::vector<std::shared_ptr<const hashing::Value>> Store::List(const ResourceType* type,
                                                               const std::string& ns) const {
  std::vector<std::shared_ptr<const hashing::Value>> out;
  auto t = objects_.find(type);
  if (t == objects_.end()) {
    return out;
  }
  auto it = ns.empty() ? t->second.begin() : t->second.lower_bound(Key(ns, ""));
  for (; it != t->second.end(); ++it) {
    if (!ns.empty() && it->first.first != ns) {
      break;
    }
    out.push_back(it->second);
  }
  return out;
}

std::shared_ptr<const hashing::Value> Store::Put(const ResourceType* type, const std::string& ns,
                                                 const std::string& name, hashing::Value object,
                                                 EventType event) {
  ++rv_;
  object.Find("metadata")->Set("resourceVersion", hashing::Value::String(std::to_string(rv_)));
  auto stored = std::make_shared<const hashing::Value>(std::move(object));
  auto& slot = objects_[type][Key(ns, name)];
  if (!slot) {
    ++count_;
    created_[type][Key(ns, name)] = rv_;
  }
  slot = stored;
  Record(StoreEvent{event, rv_, type, ns, stored});
  return stored;
}

void Store::Remove(const ResourceType* type, const std::string& ns, const std::string& name,
                   hashing::Value last) {
  auto t = objects_.find(type);
  if (t == objects_.end() || t->second.erase(Key(ns, name)) == 0) {
    return;
  }
  created_[type].erase(Key(ns, name));
  --count_;
  ++rv_;
  last.Find("metadata")->Set("resourceVersion", hashing::Value::String(std::to_string(rv_)));
  Record(StoreEvent{EventType::kDeleted, rv_, type, ns,
                    std::make_shared<const hashing::Value>(std::move(last))});
}

void Store::RemoveType(const ResourceType* type) {
  auto t = objects_.find(type);
  if (t == objects_.end()) {
    return;
  }
  std::vector<Key> keys;
  for (const auto& [key, obj] : t->second) {
    keys.push_back(key);
  }
  for (const auto& key : keys) {
    hashing::Value last = *t->second[key];
    Remove(type, key.first, key.second, std::move(last));
  }
  objects_.erase(type);
  created_.erase(type);
}

std::uint64_t Store::CreatedAt(const ResourceType* type, const std::string& ns,
                               const std::string& name) const {
  auto t = created_.find(type);
  if (t == created_.end()) {
    return 0;
  }
  auto it = t->second.find(Key(ns, name));
  return it == t->second.end() ? 0 : it->second;
}

void Store::Record(StoreEvent e) {
  history_.push_back(e);
  while (history_.size() > history_limit_) {
    oldest_retained_ = history_.front().resource_version;
    history_.pop_front();
  }
  // Subscribers may unsubscribe while being told; iterate over a snapshot of ids.
  std::vector<std::uint64_t> ids;
  ids.reserve(subscribers_.size());
  for (const auto& [id, s] : subscribers_) {
    ids.push_back(id);
  }
  for (auto id : ids) {
    auto it = subscribers_.find(id);
    if (it != subscribers_.end()) {
      it->second(e);
    }
  }
}

std::vector<StoreEvent> Store::EventsAfter(std::uint64_t after) const {
  std::vector<StoreEvent> out;
  auto it = std::lower_bound(
      history_.begin(), history_.end(), after + 1,
      [](const StoreEvent& e, std::uint64_t rv) { return e.resource_version < rv; });
  out.assign(it, history_.end());
  return out;
}

void Store::Compact() {
  history_.clear();
  oldest_retained_ = rv_;
}

std::uint64_t Store::Subscribe(Subscriber s) {
  const std::uint64_t id = next_subscriber_++;
  subscribers_.emplace(id, std::move(s));
  return id;
}

void Store::Unsubscribe(std::uint64_t id) { subscribers_.erase(id); }

}  // namespace plumbline::sim
