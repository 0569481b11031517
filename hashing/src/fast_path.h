// The compiled fast path of Engine::Digest (docs/design/0003-compiled-target.md). Private to
// hashing/.
//
// When every declared field of the live object equals the target and no live-only field can be
// owned by a non-system manager, the full walk (Engine::Walker) feeds exactly the target's
// canonical bytes into XXH3 and finds no live-only drift: its result is {target.digest, empty
// live-only digest, in sync}. FastPath proves that case over the CompiledTarget without hashing,
// without building strings and without reading ownership beyond "can a non-system entry own this
// live-only field". It makes no decision of its own: anything else (a difference, a delegation, a
// suppression, an owned live-only field, an unordered list) makes it return false, and the
// Engine runs the full walk, which decides. Tests check that both agree on every corpus case.
//
// Not thread-safe: one per Engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"

#include "compiled.h"
#include "mask_memo.h"

namespace plumbline::hashing {

class FastPath {
 public:
  FastPath(const Policy& policy, MaskMemo& memo);

  // True when the live object is proven in sync with the target; `restarted` is then set. False
  // when the target has no compiled form for this policy or anything needs the full walk.
  bool InSync(const Target& target, simdjson::dom::element live, bool& restarted);

 private:
  enum class Segment : std::uint8_t { kField, kItem };
  struct Frame {
    Segment kind = Segment::kField;
    std::string_view segment;  // field name, or the item's whole managedFields segment
    std::size_t cursor_base = 0;
  };
  // One non-system managedFields entry's position in its fieldsV1 trie (FieldCursor, reduced to
  // "can this entry own the path or anything below it").
  struct Cursor {
    simdjson::dom::element node;
    bool alive = false;       // the trie names this path
    bool leaf_owned = false;  // an ancestor is a leaf {}: owned whole
  };

  bool Node(std::uint32_t index, simdjson::dom::element live, bool atomic);
  bool Object(std::uint32_t index, simdjson::dom::element live, bool atomic);
  bool Leaf(const CompiledNode& t, simdjson::dom::element live);
  bool Keyed(std::uint32_t index, simdjson::dom::element live);
  bool Set(std::uint32_t index, simdjson::dom::element live);
  bool Atomic(std::uint32_t index, simdjson::dom::element live);
  bool LiveOnly(simdjson::dom::element live);
  bool Closed(const CompiledNode& t);
  bool LiveOnlyItemOwned(simdjson::dom::element item, bool keyed);
  bool KeyEquals(const KeyedListInfo& info, const CompiledNode& git_item,
                 simdjson::dom::element live_item);
  std::uint64_t LiveKeyHash(const KeyedListInfo& info, simdjson::dom::element live_item);
  std::uint32_t FindChild(const CompiledNode& t, std::string_view key) const;
  bool Dropped(DropContext drop, std::string_view key) const;

  void Push(Segment kind, std::string_view segment) {
    frames_.push_back(Frame{kind, segment, cursors_.size()});
  }
  void Pop() {
    if (frames_.size() <= cursor_depth_) {
      cursors_.resize(frames_.back().cursor_base);
      cursor_depth_ = frames_.size() - 1;
    }
    frames_.pop_back();
  }
  void EnsureCursors();
  bool AnyNonSystemHere();
  std::string Schema() const;
  void LoadEntries(simdjson::dom::element live);
  ManagerClass Classify(std::string_view manager);

  const Policy& policy_;
  MaskMemo& memo_;
  const std::uint64_t policy_key_;
  const bool has_sensitive_paths_;

  const CompiledTarget* ct_ = nullptr;
  std::string_view group_;
  std::string_view kind_;

  std::vector<simdjson::dom::element> entries_;  // fieldsV1 of the non-system entries
  std::vector<Frame> frames_;                    // non-atomic path from the root
  std::vector<Cursor> cursors_;                  // entries_.size() per frame, computed lazily
  std::size_t cursor_depth_ = 1;  // frames_[0, cursor_depth_) have their cursors computed
  std::vector<std::pair<std::string, ManagerClass>> classes_;  // manager name -> class memo

  // Scratch, reused across walks.
  std::vector<simdjson::dom::element> items_;
  std::vector<std::uint8_t> flags_;
  std::vector<std::uint32_t> spans_;
  std::vector<std::uint32_t> table_;        // keyed-list index: live item + 1, 0 = empty
  std::vector<std::uint64_t> live_hashes_;  // keyed-list index: each live item's KeyHash
  KeyHasher key_hasher_;
  std::string bytes_;
  std::string buf_;
};

}  // namespace plumbline::hashing
