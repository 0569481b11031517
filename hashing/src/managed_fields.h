// managedFields (fieldsV1) reading: who owns a path. Private to hashing/.
//
// fieldsV1 is a trie: "f:<field>", "k:<json key>", "v:<json value>", "i:<index>" segments; an
// empty object {} is a leaf owned by the entry (for atomic fields, everything below it); "."
// marks ownership of a map or list item itself (not of its children). Ownership of a path is
// decided by the deepest entry that names it (drift policy section 5); ties go to the entry with
// the latest time. Cursors walk the simdjson DOM of the live object in place: no copy is made.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"

namespace plumbline::hashing {

struct ManagedEntry {
  std::string_view manager;
  std::string_view operation;
  std::string_view time;
  std::string_view subresource;
  ManagerClass manager_class = ManagerClass::kHuman;
  simdjson::dom::element fields;

  Actor ToActor() const {
    return Actor{std::string(manager), std::string(operation), std::string(time),
                 std::string(subresource)};
  }
};

// Reads one managedFields entry; false when it has no FieldsV1 object.
bool ReadManagedEntry(simdjson::dom::element entry, const Policy& policy, ManagedEntry& out);

// One entry's position in its fieldsV1 trie while the walker descends the object.
class FieldCursor {
 public:
  static FieldCursor Root(simdjson::dom::element fields);
  // The cursor for the child segment ("f:name", "k:{...}", ...) at depth `child_depth`.
  FieldCursor Child(std::string_view segment, std::size_t child_depth) const;
  // Depth of this entry's ownership covering the current path (the path itself, or an atomic
  // ancestor), or -1.
  int OwnedDepth(std::size_t depth) const;
  // False when neither this path nor anything below it can be owned by the entry.
  bool Alive() const { return alive_ || leaf_depth_ >= 0; }

 private:
  simdjson::dom::element node_;
  bool alive_ = false;
  int leaf_depth_ = -1;
};

// The entry that created a live object: the oldest entry without a subresource.
std::optional<Actor> CreatorOf(simdjson::dom::element live, const Policy& policy);
bool HasControllerOwner(simdjson::dom::element metadata);

}  // namespace plumbline::hashing
