// Field sets: the sets of field paths that metadata.managedFields records per manager, in the
// API server's "FieldsV1" form, and the schema-aware walks that produce them (what an object
// sets, what changed between two versions of an object). This is kube-sim's counterpart of
// sigs.k8s.io/structured-merge-diff (fieldpath.Set, TypedValue.ToFieldSet, TypedValue.Compare),
// driven by hashing's list table (hashing::LookupBuiltinList) and a table of atomic structs.
//
// FieldsV1 is a trie of path segments: "f:<field>", "k:<json key>" (a keyed list item: the key
// fields sorted by name, compact JSON), "v:<json value>" (an item of a set), "i:<index>". An
// empty object {} marks a member (a leaf); "." inside a node marks that the node itself is a
// member as well as some of its children (keyed list items and maps a manager created).
// hashing/src/managed_fields.h reads exactly this form.
//
// Plain value types and pure functions: any thread may use its own FieldSets concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/schema_tables.h"
#include "plumbline/hashing/value.h"

namespace plumbline::sim {

// One step of a field path.
class PathElement {
 public:
  // In structured-merge-diff's order: fields sort before keys, keys before values, values before
  // indexes.
  enum class Kind : std::uint8_t { kField, kKey, kValue, kIndex };

  static PathElement Field(std::string_view name);
  // A keyed list item. `key` is an object of the key fields; they are sorted by name.
  static PathElement Key(hashing::Value key);
  // An item of a set (a list of scalars).
  static PathElement SetValue(hashing::Value value);
  static PathElement Index(std::int64_t index);
  // Parses a FieldsV1 segment ("f:name", "k:{...}", "v:...", "i:3"). kInvalidArgument otherwise.
  static Result<PathElement> FromSegment(std::string_view segment);

  Kind kind() const { return kind_; }
  // The FieldsV1 segment, canonical: k: and v: JSON is compact with object keys sorted.
  const std::string& segment() const { return segment_; }
  // kField: the field name.
  std::string_view field_name() const;
  // kKey: the key object; kValue: the set value; null otherwise.
  const hashing::Value& value() const { return value_; }
  std::int64_t index() const { return index_; }
  // The conflict-message form of structured-merge-diff: ".name", "[name=\"web\"]",
  // "[containerPort=80,protocol=\"TCP\"]", "[=\"x\"]", "[3]".
  std::string ToString() const;

  friend bool operator==(const PathElement& a, const PathElement& b) {
    return a.segment_ == b.segment_;
  }
  // structured-merge-diff's PathElement.Compare: <0, 0 or >0.
  friend int Compare(const PathElement& a, const PathElement& b);

 private:
  Kind kind_ = Kind::kField;
  std::string segment_;
  hashing::Value value_;
  std::int64_t index_ = 0;
};

using FieldPath = std::vector<PathElement>;

// ".spec.template.spec.containers[name=\"web\"].image": the path as kube-apiserver prints it in
// apply conflicts.
std::string PathString(const FieldPath& path);

// What server-side apply needs to know about the schema of one kind: how each list merges (from
// hashing::LookupBuiltinList) and which structs and maps are atomic (LabelSelector,
// LocalObjectReference, Service spec.selector, ..., from list-semantics.md). Paths are dotted
// schema paths with "[]" for list items ("spec.template.spec.containers[].ports"). Custom
// resources (kinds the tables do not know): every list is atomic and every map is a struct.
class KindSchema {
 public:
  KindSchema(std::string_view group, std::string_view kind);

  const std::string& group() const { return group_; }
  const std::string& kind() const { return kind_; }
  bool builtin() const { return builtin_; }
  // The list at `path`; nullptr means atomic.
  const hashing::ListSemantics* List(std::string_view path) const;
  // True when the map at `path` (a struct, a free-form map or a list item) is one value for SSA.
  bool IsAtomicMap(std::string_view path) const;
  // How structured-merge-diff sees the node at `path` that holds `a` and/or `b` (either may be
  // null or absent): a leaf (scalars, atomic lists and maps, values of different types), a map
  // merged field by field, or a list merged item by item (then `*list` is set).
  enum class Shape : std::uint8_t { kLeaf, kMap, kList };
  Shape ShapeOf(const std::string& path, const hashing::Value* a, const hashing::Value* b,
                const hashing::ListSemantics** list) const;
  // The schema path of field `name` below `path`.
  static std::string ChildPath(std::string_view path, std::string_view name);

  // The element that names `item` of the non-atomic list `list`: k:{...} for map lists (missing
  // key fields take the list's key defaults) and v:... for sets. kInvalidArgument when a key field
  // is missing and has no default, with structured-merge-diff's message.
  static Result<PathElement> ItemElement(const hashing::ListSemantics& list,
                                         const hashing::Value& item);

 private:
  std::string group_;
  std::string kind_;
  bool builtin_ = false;
};

// A set of field paths (structured-merge-diff's fieldpath.Set).
class FieldSet {
 public:
  struct Node;

  FieldSet() = default;

  // Reads a FieldsV1 object (the value of managedFields[].fieldsV1). kInvalidArgument for a
  // segment that does not parse or a value that is not an object.
  static Result<FieldSet> FromFieldsV1(const hashing::Value& fields);
  // The FieldsV1 object the API server writes for this set: segments in structured-merge-diff's
  // order, {} for leaves, "." first in nodes that are members and have children.
  hashing::Value ToFieldsV1() const;

  // Every field `object` sets (TypedValue.ToFieldSet): scalars, atomic lists and atomic maps as
  // leaves; null and {} values as leaves; keyed list items as members ("." + their fields); set
  // items as v: leaves. A non-atomic empty list sets nothing. Items whose key cannot be built
  // are left out; see StrictLeavesOf.
  static FieldSet LeavesOf(const hashing::Value& object, std::string_view group,
                           std::string_view kind);
  // LeavesOf for an apply configuration: a list item without its key fields or two items with
  // the same key are errors (kInvalidArgument), with structured-merge-diff's messages
  // (".spec.template.spec.containers: duplicate entries for key [name=\"web\"]").
  static Result<FieldSet> StrictLeavesOf(const hashing::Value& object, std::string_view group,
                                         std::string_view kind);

  bool empty() const { return nodes_.empty(); }
  // Number of member paths.
  std::size_t size() const;
  void Insert(const FieldPath& path);
  bool Has(const FieldPath& path) const;
  // Every member path, in structured-merge-diff's iteration order (at each level the members
  // first, then the children).
  std::vector<FieldPath> Paths() const;

  FieldSet Union(const FieldSet& other) const;
  FieldSet Intersection(const FieldSet& other) const;
  // The member paths of this set that are not members of `other` (exact paths: the children of
  // a removed path stay).
  FieldSet Difference(const FieldSet& other) const;
  // Removes every member of `other` together with everything below it.
  FieldSet RecursiveDifference(const FieldSet& other) const;
  // The set plus every named field (f: node) that has children, as a member
  // (structured-merge-diff's EnsureNamedFieldsAreMembers; every object key counts as a named
  // field here).
  FieldSet WithNamedFieldsAsMembers() const;

  // The children at this level, sorted by Compare(element).
  const std::vector<Node>& nodes() const { return nodes_; }
  const Node* Find(const PathElement& element) const;

  friend bool operator==(const FieldSet& a, const FieldSet& b);

 private:
  Node& Upsert(const PathElement& element);
  std::vector<Node> nodes_;  // sorted; every node is a member or has children
};

struct FieldSet::Node {
  PathElement element;
  bool member = false;  // the path to this node is in the set
  FieldSet children;

  friend bool operator==(const Node& a, const Node& b) {
    return a.element == b.element && a.member == b.member && a.children == b.children;
  }
};

// The difference between two versions of an object (TypedValue.Compare). A node (map, keyed
// list item, non-atomic list) that exists on one side only is itself added or removed, besides
// its fields: that is where the "." of Update entries comes from.
struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;

  bool IsSame() const { return added.empty() && modified.empty() && removed.empty(); }
};

// Compares `lhs` (before) with `rhs` (after); either may be null (absent). A null value is not
// absent: `containers: null` before and a list after adds the items, not the list.
Comparison CompareObjects(const hashing::Value* lhs, const hashing::Value* rhs,
                          std::string_view group, std::string_view kind);

}  // namespace plumbline::sim
