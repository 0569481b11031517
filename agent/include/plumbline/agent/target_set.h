// TargetSet: one revision of the desired state, indexed for the detector: targets by kind and
// by "namespace/name", the source each came from, and the kinds the agent must watch.
// Immutable once built; shared by pointer so a new revision can replace it atomically.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/engine.h"
#include "plumbline/render/bundle.h"

namespace plumbline::agent {

// (group, kind): what a reflector watches.
struct GroupKind {
  std::string group;
  std::string kind;
  friend bool operator==(const GroupKind&, const GroupKind&) = default;
  friend auto operator<=>(const GroupKind&, const GroupKind&) = default;
  std::string Label() const { return group.empty() ? kind : kind + "." + group; }
};

struct TargetEntry {
  hashing::Target target;
  std::string file;  // within its source
  std::uint32_t source_index = 0;
};

class TargetSet {
 public:
  // Takes a bundle (rendered or read). `generation` increases with every new revision the
  // agent installs, so state judged under an older one is re-judged.
  static std::shared_ptr<const TargetSet> FromBundle(render::Bundle bundle,
                                                     std::uint32_t generation);

  const std::vector<TargetEntry>& entries() const { return entries_; }
  const std::vector<render::SourceInfo>& sources() const { return sources_; }
  std::uint32_t generation() const { return generation_; }
  // "repo@revision" of the first source, for logs and target_info.
  std::string Describe() const;

  // The kinds targets declare, sorted.
  std::vector<GroupKind> Kinds() const;
  // The target for a live object, or nullptr.
  const TargetEntry* Find(std::string_view group, std::string_view kind, std::string_view ns,
                          std::string_view name) const;
  // Every target of a kind ("namespace/name" -> entry).
  const std::unordered_map<std::string, const TargetEntry*>* OfKind(std::string_view group,
                                                                    std::string_view kind) const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using ByName = std::unordered_map<std::string, const TargetEntry*>;

  std::vector<TargetEntry> entries_;
  std::vector<render::SourceInfo> sources_;
  std::uint32_t generation_ = 0;
  // "group/Kind" -> targets of that kind.
  std::unordered_map<std::string, ByName, StringHash, std::equal_to<>> by_kind_;
};

}  // namespace plumbline::agent
