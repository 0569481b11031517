#include "plumbline/sim/store.h"

#include <algorithm>

#include "plumbline/hashing/json.h"

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

std::shared_ptr<const hashing::Value> ObjectOf(const StoreEvent& e) {
  if (e.object) {
    return e.object;
  }
  auto parsed = hashing::ParseJson(*e.json);
  // The store wrote this JSON itself: it always parses.
  return std::make_shared<const hashing::Value>(parsed ? std::move(*parsed)
                                                       : hashing::Value::MakeObject());
}

const StoredObject* Store::Find(const ResourceType* type, const std::string& ns,
                                const std::string& name) const {
  auto t = objects_.find(type);
  if (t == objects_.end()) {
    return nullptr;
  }
  auto it = t->second.find(Key(ns, name));
  return it == t->second.end() ? nullptr : &it->second;
}

const hashing::Value* Store::Get(const ResourceType* type, const std::string& ns,
                                 const std::string& name) const {
  const StoredObject* o = Find(type, ns, name);
  return o == nullptr ? nullptr : o->value.get();
}

void Store::Scan(const ResourceType* type, const std::string& ns, const std::string& after_ns,
                 const std::string& after_name, const Visitor& visit) const {
  auto t = objects_.find(type);
  if (t == objects_.end()) {
    return;
  }
  const auto& objects = t->second;
  auto it = ns.empty() ? objects.begin() : objects.lower_bound(Key(ns, ""));
  if (!after_name.empty()) {
    const auto after = objects.upper_bound(Key(after_ns, after_name));
    if (after == objects.end() || (it != objects.end() && it->first < after->first)) {
      it = after;
    }
  }
  for (; it != objects.end(); ++it) {
    if (!ns.empty() && it->first.first != ns) {
      break;
    }
    if (!visit(it->first.first, it->first.second, it->second)) {
      break;
    }
  }
}

std::vector<std::shared_ptr<const hashing::Value>> Store::List(const ResourceType* type,
                                                               const std::string& ns) const {
  std::vector<std::shared_ptr<const hashing::Value>> out;
  Scan(type, ns, "", "", [&out](const std::string&, const std::string&, const StoredObject& o) {
    out.push_back(o.value);
    return true;
  });
  return out;
}

const StoredObject& Store::Put(const ResourceType* type, const std::string& ns,
                               const std::string& name, hashing::Value object, EventType event) {
  ++rv_;
  object.Find("metadata")->Set("resourceVersion", hashing::Value::String(std::to_string(rv_)));
  auto& slot = objects_[type][Key(ns, name)];
  if (!slot.value) {
    ++count_;
    slot.created_rv = rv_;
  }
  slot.json = std::make_shared<const std::string>(hashing::ToJson(object));
  slot.value = std::make_shared<const hashing::Value>(std::move(object));
  Record(StoreEvent{event, rv_, type, ns, slot.value, slot.json});
  return slot;
}

void Store::Remove(const ResourceType* type, const std::string& ns, const std::string& name,
                   hashing::Value last) {
  auto t = objects_.find(type);
  if (t == objects_.end() || t->second.erase(Key(ns, name)) == 0) {
    return;
  }
  --count_;
  ++rv_;
  last.Find("metadata")->Set("resourceVersion", hashing::Value::String(std::to_string(rv_)));
  auto json = std::make_shared<const std::string>(hashing::ToJson(last));
  Record(StoreEvent{EventType::kDeleted, rv_, type, ns,
                    std::make_shared<const hashing::Value>(std::move(last)), std::move(json)});
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
    hashing::Value last = *t->second[key].value;
    Remove(type, key.first, key.second, std::move(last));
  }
  objects_.erase(type);
}

void Store::Record(StoreEvent e) {
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
  // The history keeps the JSON only: a superseded version's tree is freed with the object.
  e.object.reset();
  history_.push_back(std::move(e));
  while (history_.size() > history_limit_) {
    oldest_retained_ = history_.front().resource_version;
    history_.pop_front();
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
