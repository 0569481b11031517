#include "plumbline/agent/target_set.h"

#include <algorithm>
#include <set>
#include <utility>

namespace plumbline::agent {
namespace {

std::string KindKey(std::string_view group, std::string_view kind) {
  std::string key;
  key.reserve(group.size() + kind.size() + 1);
  key.append(group).append("/").append(kind);
  return key;
}

}  // namespace

std::shared_ptr<const TargetSet> TargetSet::FromBundle(render::Bundle bundle,
                                                       std::uint32_t generation) {
  auto set = std::make_shared<TargetSet>();
  set->generation_ = generation;
  set->sources_ = std::move(bundle.sources);
  set->entries_.reserve(bundle.entries.size());
  for (auto& e : bundle.entries) {
    set->entries_.push_back(TargetEntry{std::move(e.target), std::move(e.file), 0});
  }
  // Index after the vector is final: the maps point into it.
  for (const TargetEntry& e : set->entries_) {
    const auto& id = e.target.id;
    set->by_kind_[KindKey(id.group, id.kind)].emplace(id.namespace_ + "/" + id.name, &e);
  }
  return set;
}

std::string TargetSet::Describe() const {
  if (sources_.empty()) {
    return "(bundle)";
  }
  const auto& s = sources_.front();
  std::string out = s.repository.empty() ? s.path : s.repository + "/" + s.path;
  if (!s.revision.empty()) {
    out += "@" + s.revision;
  }
  return out;
}

std::vector<GroupKind> TargetSet::Kinds() const {
  std::set<GroupKind> kinds;
  for (const TargetEntry& e : entries_) {
    kinds.insert(GroupKind{e.target.id.group, e.target.id.kind});
  }
  return {kinds.begin(), kinds.end()};
}

const TargetEntry* TargetSet::Find(std::string_view group, std::string_view kind,
                                   std::string_view ns, std::string_view name) const {
  const ByName* of_kind = OfKind(group, kind);
  if (of_kind == nullptr) {
    return nullptr;
  }
  std::string key;
  key.reserve(ns.size() + name.size() + 1);
  key.append(ns).append("/").append(name);
  auto it = of_kind->find(key);
  return it == of_kind->end() ? nullptr : it->second;
}

const std::unordered_map<std::string, const TargetEntry*>* TargetSet::OfKind(
    std::string_view group, std::string_view kind) const {
  auto it = by_kind_.find(KindKey(group, kind));
  return it == by_kind_.end() ? nullptr : &it->second;
}

}  // namespace plumbline::agent
