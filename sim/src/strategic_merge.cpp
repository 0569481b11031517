// Strategic merge patch, server side: a port of the apply half of
// k8s.io/apimachinery/pkg/util/strategicpatch (v0.32, MergeParallelList and IgnoreUnmatchedNulls
// on) onto hashing::Value, with the Go struct tags replaced by the generated list table.
//
// The port keeps the library's algorithms where they decide observable results: the scalar
// de-duplication that moves the last element into a duplicate's place, the order normalisation
// (patch order for patch items, live order for the others, interleaved by mergeSortedSlice, so
// that without $setElementOrder new items come before live-only ones), Go's sort.SliceStable
// with the library's "unknown items sort first" comparator, the effect of Go slice aliasing on
// the live order $setElementOrder falls back to (MergeSlice), and the error texts. The expected
// results in tests/sim/patch_test.cpp include the upstream patch_test.go cases.
// Go iterates the patch map in random order; this port uses the patch's member order, which only
// matters for patches that name one list twice (e.g. "x" and "$deleteFromPrimitiveList/x" with
// the same value and no $setElementOrder/x), which kubectl never sends.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plumbline/hashing/schema_tables.h"
#include "plumbline/sim/patch.h"

namespace plumbline::sim {
namespace {

using hashing::Value;
using Array = Value::Array;

constexpr std::string_view kDirectiveMarker = "$patch";
constexpr std::string_view kDeleteDirective = "delete";
constexpr std::string_view kReplaceDirective = "replace";
constexpr std::string_view kMergeDirective = "merge";
constexpr std::string_view kRetainKeysDirective = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";
constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder";

// mergepatch's sentinel errors; the server answers these with 400 BadRequest.
constexpr std::string_view kErrBadJsonDoc = "invalid JSON document";
constexpr std::string_view kErrBadPatchFormatForPrimitiveList =
    "invalid patch format of primitive list";
constexpr std::string_view kErrBadPatchFormatForRetainKeys = "invalid patch format of retainKeys";
constexpr std::string_view kErrBadPatchFormatForSetElementOrderList =
    "invalid patch format of setElementOrder list";

// The real server's answer to a strategic merge patch of a custom resource.
constexpr std::string_view kUnsupportedMediaTypeMessage =
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";

Error BadRequest(std::string_view message) {
  return MakeError(ErrorCode::kInvalidArgument, std::string(message));
}

// Errors strategicpatch returns as plain Go errors: the server answers them with 500.
Error ServerError(std::string message) {
  return MakeError(ErrorCode::kInternal, std::move(message));
}

// ---------------------------------------------------------------------------------------------
// Go's view of decoded JSON: the dynamic type of an interface{} (for type comparisons) and its
// fmt %v / %s rendering (for error messages).

enum class GoType : std::uint8_t { kNil, kBool, kInt64, kFloat64, kString, kSlice, kMap };

// The server decodes integers as int64 and other numbers as float64.
GoType TypeOf(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return GoType::kNil;
    case Value::Type::kBool:
      return GoType::kBool;
    case Value::Type::kNumber:
      return v.text().find_first_of(".eE") == std::string::npos ? GoType::kInt64 : GoType::kFloat64;
    case Value::Type::kString:
      return GoType::kString;
    case Value::Type::kArray:
      return GoType::kSlice;
    case Value::Type::kObject:
      break;
  }
  return GoType::kMap;
}

std::string_view GoTypeName(GoType t) {
  switch (t) {
    case GoType::kNil:
      return "%!s(<nil>)";
    case GoType::kBool:
      return "bool";
    case GoType::kInt64:
      return "int64";
    case GoType::kFloat64:
      return "float64";
    case GoType::kString:
      return "string";
    case GoType::kSlice:
      return "[]interface {}";
    case GoType::kMap:
      break;
  }
  return "map[string]interface {}";
}

void AppendGo(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      out += "<nil>";
      return;
    case Value::Type::kBool:
      out += v.bool_value() ? "true" : "false";
      return;
    case Value::Type::kNumber:
    case Value::Type::kString:
      out += v.text();
      return;
    case Value::Type::kArray: {
      out += '[';
      bool first = true;
      for (const Value& item : v.items()) {
        out += first ? "" : " ";
        first = false;
        AppendGo(out, item);
      }
      out += ']';
      return;
    }
    case Value::Type::kObject:
      break;
  }
  Value sorted = v;  // fmt prints map keys sorted
  sorted.SortKeysRecursive();
  out += "map[";
  bool first = true;
  for (const auto& [key, member] : sorted.members()) {
    out += first ? "" : " ";
    first = false;
    out.append(key).append(":");
    AppendGo(out, member);
  }
  out += ']';
}

std::string Go(const Value& v) {
  std::string out;
  AppendGo(out, v);
  return out;
}

std::string GoSlice(const Array& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "" : " ";
    AppendGo(out, items[i]);
  }
  return out + "]";
}

Error ErrBadArgType(GoType expected, const Value& actual) {
  return ServerError("expected a " + std::string(GoTypeName(expected)) + ", but received a " +
                     std::string(GoTypeName(TypeOf(actual))));
}

Error ErrNoMergeKey(const Value& map, std::string_view key) {
  return ServerError("map: " + Go(map) +
                     " does not contain declared merge key: " + std::string(key));
}

Error ErrBadPatchType(const Value& directive, const Value& map) {
  return ServerError("unknown patch type: " + Go(directive) + " in map: " + Go(map));
}

// Go's interface equality on decoded JSON values (nil == nil; numbers of one type by value).
bool GoEqual(const Value* a, const Value* b) {
  const bool a_nil = a == nullptr || a->is_null();
  const bool b_nil = b == nullptr || b->is_null();
  if (a_nil || b_nil) {
    return a_nil && b_nil;
  }
  return TypeOf(*a) == TypeOf(*b) && *a == *b;
}

bool IsDirective(const Value& v, std::string_view directive) {
  return v.is_string() && v.text() == directive;
}

// ---------------------------------------------------------------------------------------------
// Schema: where a list lives decides how it merges.

struct Schema {
  std::string_view group;
  std::string_view kind;
};

struct SliceMeta {
  bool merge = false;
  std::string merge_key;
};

SliceMeta LookupSlice(const Schema& schema, const std::string& path) {
  SliceMeta meta;
  if (const hashing::ListSemantics* sem =
          hashing::LookupBuiltinList(schema.group, schema.kind, path);
      sem != nullptr && sem->patch_merge) {
    meta.merge = true;
    meta.merge_key = sem->patch_merge_key;
  }
  return meta;
}

std::string ChildPath(const std::string& path, std::string_view key) {
  std::string child = path;
  if (!child.empty()) {
    child += '.';
  }
  child += key;
  return child;
}

// ---------------------------------------------------------------------------------------------
// Helpers on patch values.

// extractKey: "<prefix>/<key>" -> key.
std::optional<std::string> ExtractKey(std::string_view directive_key, std::string_view prefix) {
  const std::size_t slash = directive_key.find('/');
  if (slash == std::string_view::npos || directive_key.substr(0, slash) != prefix) {
    return std::nullopt;
  }
  return std::string(directive_key.substr(slash + 1));
}

// discardNullValuesFromPatch: drops null members of objects, recursively (null array elements
// stay).
void DiscardNulls(Value& v) {
  if (v.is_object()) {
    std::erase_if(v.members(), [](const Value::Member& m) { return m.second.is_null(); });
    for (auto& [key, member] : v.members()) {
      DiscardNulls(member);
    }
  } else if (v.is_array()) {
    for (Value& item : v.items()) {
      DiscardNulls(item);
    }
  }
}

// removeDirectives: a map holding "$patch" disappears (from its parent map or list).
// Returns false when `v` itself is such a map.
bool RemoveDirectives(Value& v) {
  if (v.is_object()) {
    if (v.Find(kDirectiveMarker) != nullptr) {
      return false;
    }
    std::erase_if(v.members(), [](Value::Member& m) { return !RemoveDirectives(m.second); });
  } else if (v.is_array()) {
    std::erase_if(v.items(), [](Value& item) { return !RemoveDirectives(item); });
  }
  return true;
}

bool IsDirectiveKey(std::string_view key) {
  return key == kDirectiveMarker || key == kRetainKeysDirective ||
         key.starts_with(kSetElementOrderPrefix) || key.starts_with(kDeleteFromPrimitiveListPrefix);
}

// What the server's decoding into the Go type does to directives strategicpatch leaves in
// inserted values (new list items, replaced lists): they are unknown fields and vanish.
void DropLeftoverDirectives(Value& v) {
  if (v.is_object()) {
    std::erase_if(v.members(), [](Value::Member& m) {
      return IsDirectiveKey(m.first) ||
             (m.second.is_object() && m.second.Find(kDirectiveMarker) != nullptr);
    });
    for (auto& [key, member] : v.members()) {
      DropLeftoverDirectives(member);
    }
  } else if (v.is_array()) {
    std::erase_if(v.items(), [](const Value& item) {
      return item.is_object() && item.Find(kDirectiveMarker) != nullptr;
    });
    for (Value& item : v.items()) {
      DropLeftoverDirectives(item);
    }
  }
}

// sliceElementType: the one Go type of every element of the lists.
Result<GoType> SliceElementType(const Array& a, const Array& b) {
  std::optional<GoType> previous;
  for (const Array* list : {&a, &b}) {
    for (const Value& item : *list) {
      const GoType current = TypeOf(item);
      if (!previous.has_value()) {
        if (current == GoType::kNil) {
          // The library dereferences the nil type: the server answers with the recovered panic.
          return ServerError("runtime error: invalid memory address or nil pointer dereference");
        }
        if (current == GoType::kSlice) {
          return MakeError(ErrorCode::kInvalidArgument, "lists of lists are not supported");
        }
        previous = current;
      } else if (*previous != current) {
        return ServerError("list element types are not identical: [" + GoSlice(a) + " " +
                           GoSlice(b) + "]");
      }
    }
  }
  if (!previous.has_value()) {
    return ServerError("no elements in any of the given slices");
  }
  return *previous;
}

// index: the position of `value` in `list`, comparing merge-key values for maps.
std::ptrdiff_t IndexOf(const Array& list, const Value& value, const std::string& merge_key,
                       GoType kind) {
  const auto key_of = [&](const Value& item) -> const Value* {
    return item.is_object() ? item.Find(merge_key) : nullptr;
  };
  for (std::size_t i = 0; i < list.size(); ++i) {
    const bool equal =
        kind == GoType::kMap ? GoEqual(key_of(value), key_of(list[i])) : GoEqual(&value, &list[i]);
    if (equal) {
      return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

// findMapInSliceBasedOnKeyValue over the first `count` items of `list`.
Result<std::optional<std::size_t>> FindMapByKey(const Array& list, std::size_t count,
                                                const std::string& key, const Value* value) {
  for (std::size_t i = 0; i < count; ++i) {
    if (!list[i].is_object()) {
      return ServerError("value for key " + std::to_string(i) + " is not a map.");
    }
    if (const Value* candidate = list[i].Find(key);
        candidate != nullptr && GoEqual(candidate, value)) {
      return std::optional<std::size_t>(i);
    }
  }
  return std::optional<std::size_t>();
}

bool HasDeleteDirective(const Value& item) {
  const Value* directive = item.Find(kDirectiveMarker);
  return directive != nullptr && IsDirective(*directive, kDeleteDirective);
}

// Go's sort.SliceStable (insertion sort on blocks of 20, then SymMerge merges), over the
// positions that normalizeSliceOrder's comparator looks at. The comparator is not a strict weak
// order when an item is missing from the order list (-1 sorts before everything, both ways), so
// only Go's exact sequence of comparisons and swaps gives Go's result.
class GoStableSort {
 public:
  // `positions[i]`: where item i appears in the order list, or -1.
  explicit GoStableSort(std::vector<std::ptrdiff_t> positions)
      : positions_(std::move(positions)), perm_(positions_.size()) {
    for (std::size_t i = 0; i < perm_.size(); ++i) {
      perm_[i] = i;
    }
  }

  // The sorted order, as indices of the original items.
  std::vector<std::size_t> Run() {
    const std::size_t n = perm_.size();
    std::size_t block = 20;
    std::size_t a = 0;
    std::size_t b = block;
    while (b <= n) {
      InsertionSort(a, b);
      a = b;
      b += block;
    }
    InsertionSort(a, n);
    while (block < n) {
      a = 0;
      b = 2 * block;
      while (b <= n) {
        SymMerge(a, a + block, b);
        a = b;
        b += 2 * block;
      }
      if (const std::size_t m = a + block; m < n) {
        SymMerge(a, m, n);
      }
      block *= 2;
    }
    return perm_;
  }

 private:
  bool Less(std::size_t i, std::size_t j) const {
    const std::ptrdiff_t pi = positions_[perm_[i]];
    const std::ptrdiff_t pj = positions_[perm_[j]];
    return pi < 0 || pj < 0 || pi < pj;
  }
  void Swap(std::size_t i, std::size_t j) { std::swap(perm_[i], perm_[j]); }

  void InsertionSort(std::size_t a, std::size_t b) {
    for (std::size_t i = a + 1; i < b; ++i) {
      for (std::size_t j = i; j > a && Less(j, j - 1); --j) {
        Swap(j, j - 1);
      }
    }
  }

  void SwapRange(std::size_t a, std::size_t b, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      Swap(a + i, b + i);
    }
  }

  void Rotate(std::size_t a, std::size_t m, std::size_t b) {
    std::size_t i = m - a;
    std::size_t j = b - m;
    while (i != j) {
      if (i > j) {
        SwapRange(m - i, m, j);
        i -= j;
      } else {
        SwapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    SwapRange(m - i, m, i);
  }

  void SymMerge(std::size_t a, std::size_t m, std::size_t b) {
    if (m - a == 1) {
      std::size_t i = m;
      std::size_t j = b;
      while (i < j) {
        const std::size_t h = (i + j) / 2;
        if (Less(h, a)) {
          i = h + 1;
        } else {
          j = h;
        }
      }
      for (std::size_t k = a; k + 1 < i; ++k) {
        Swap(k, k + 1);
      }
      return;
    }
    if (b - m == 1) {
      std::size_t i = a;
      std::size_t j = m;
      while (i < j) {
        const std::size_t h = (i + j) / 2;
        if (!Less(m, h)) {
          i = h + 1;
        } else {
          j = h;
        }
      }
      for (std::size_t k = m; k > i; --k) {
        Swap(k, k - 1);
      }
      return;
    }
    const std::size_t mid = (a + b) / 2;
    const std::size_t n = mid + m;
    std::size_t start = a;
    std::size_t r = m;
    if (m > mid) {
      start = n - b;
      r = mid;
    }
    const std::size_t p = n - 1;
    while (start < r) {
      const std::size_t c = (start + r) / 2;
      if (!Less(p - c, c)) {
        start = c + 1;
      } else {
        r = c;
      }
    }
    const std::size_t end = n - start;
    if (start < m && m < end) {
      Rotate(start, m, end);
    }
    if (a < start && start < mid) {
      SymMerge(a, start, mid);
    }
    if (mid < end && end < b) {
      SymMerge(mid, end, b);
    }
  }

  std::vector<std::ptrdiff_t> positions_;
  std::vector<std::size_t> perm_;
};

// normalizeSliceOrder: sorts `to_sort` by the positions in `order`, then appends the
// "$patch: delete" items.
Result<Array> NormalizeSliceOrder(Array to_sort, const Array& order, const std::string& merge_key,
                                  GoType kind) {
  Array to_delete;
  if (kind == GoType::kMap) {
    for (const Array* list : {static_cast<const Array*>(&to_sort), &order}) {
      for (const Value& item : *list) {
        if (!item.is_object()) {
          return ErrBadArgType(GoType::kMap, item);
        }
        if (item.Find(merge_key) == nullptr) {
          return ErrNoMergeKey(item, merge_key);
        }
      }
    }
    Array kept;
    for (Value& item : to_sort) {
      (HasDeleteDirective(item) ? to_delete : kept).push_back(std::move(item));
    }
    to_sort = std::move(kept);
  }
  std::vector<std::ptrdiff_t> positions;
  positions.reserve(to_sort.size());
  for (const Value& item : to_sort) {
    positions.push_back(IndexOf(order, item, merge_key, kind));
  }
  Array sorted;
  sorted.reserve(to_sort.size() + to_delete.size());
  for (std::size_t i : GoStableSort(std::move(positions)).Run()) {
    sorted.push_back(std::move(to_sort[i]));
  }
  for (Value& item : to_delete) {
    sorted.push_back(std::move(item));
  }
  return sorted;
}

// mergeSortedSlice: interleaves the server-only items (left) into the patch items (right); a
// left item goes first only when both are in the live list and it came first there.
Array MergeSortedSlice(Array left, Array right, const Array& server_order,
                       const std::string& merge_key, GoType kind) {
  Array out;
  out.reserve(left.size() + right.size());
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < left.size() || j < right.size()) {
    if (i >= left.size()) {
      out.push_back(std::move(right[j++]));
    } else if (j >= right.size()) {
      out.push_back(std::move(left[i++]));
    } else {
      const std::ptrdiff_t li = IndexOf(server_order, left[i], merge_key, kind);
      const std::ptrdiff_t ri = IndexOf(server_order, right[j], merge_key, kind);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push_back(std::move(left[i++]));
      } else {
        out.push_back(std::move(right[j++]));
      }
    }
  }
  return out;
}

Result<Array> NormalizeElementOrder(Array patch_items, Array server_only, const Array& patch_order,
                                    const Array& server_order, const std::string& merge_key,
                                    GoType kind) {
  Result<Array> patch_sorted =
      NormalizeSliceOrder(std::move(patch_items), patch_order, merge_key, kind);
  if (!patch_sorted) {
    return patch_sorted.error();
  }
  Result<Array> server_sorted =
      NormalizeSliceOrder(std::move(server_only), server_order, merge_key, kind);
  if (!server_sorted) {
    return server_sorted.error();
  }
  return MergeSortedSlice(std::move(*server_sorted), std::move(*patch_sorted), server_order,
                          merge_key, kind);
}

struct Partition {
  Array in_list;
  Array server_only;
};

// partitionPrimitivesByPresentInList / partitionMapsByPresentInList.
Result<Partition> PartitionByPresence(Array merged, const Array& by, const std::string& merge_key) {
  Partition out;
  for (Value& item : merged) {
    bool found = false;
    if (merge_key.empty()) {
      for (const Value& candidate : by) {
        found = found || GoEqual(&item, &candidate);
      }
    } else {
      if (!item.is_object()) {
        return ErrBadArgType(GoType::kMap, item);
      }
      const Value* key_value = item.Find(merge_key);
      if (key_value == nullptr) {
        return ErrNoMergeKey(item, merge_key);
      }
      Result<std::optional<std::size_t>> at = FindMapByKey(by, by.size(), merge_key, key_value);
      if (!at) {
        return at.error();
      }
      found = at->has_value();
    }
    (found ? out.in_list : out.server_only).push_back(std::move(item));
  }
  return out;
}

// The merged list, and what the caller's slice of the live list reads afterwards.
struct SliceMerge {
  Array merged;
  Array live_view;
};

// deduplicateScalars, including its habit of moving the last element into a duplicate's place.
Array DeduplicateScalars(Array s) {
  std::ptrdiff_t length = static_cast<std::ptrdiff_t>(s.size()) - 1;
  for (std::ptrdiff_t i = 0; i < length; ++i) {
    for (std::ptrdiff_t j = i + 1; j <= length; ++j) {
      const auto ui = static_cast<std::size_t>(i);
      const auto uj = static_cast<std::size_t>(j);
      if (GoEqual(&s[ui], &s[uj])) {
        s[uj] = s[static_cast<std::size_t>(length)];
        s.pop_back();
        --length;
        --j;
      }
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// The merge.

class Merger {
 public:
  explicit Merger(Schema schema) : schema_(schema) {}

  // mergeMap: merges `patch` into `original` (an object or null) in place.
  Status MergeMap(Value& original, Value patch, const std::string& path) {
    if (const Value* marker = patch.Find(kDirectiveMarker)) {
      Value directive = *marker;
      return HandleDirectiveInMergeMap(original, directive, std::move(patch));
    }
    if (!original.is_object()) {
      original = Value::MakeObject();
    }
    PLUMBLINE_RETURN_IF_ERROR(ApplyRetainKeys(original, patch));
    PLUMBLINE_RETURN_IF_ERROR(MergePatchIntoOriginal(original, patch, path));

    for (auto& [patch_key, patch_value] : patch.members()) {
      std::string key = patch_key;
      bool is_delete_list = false;
      if (key.starts_with(kDeleteFromPrimitiveListPrefix)) {
        std::optional<std::string> list_key = ExtractKey(key, kDeleteFromPrimitiveListPrefix);
        if (!list_key.has_value()) {
          return BadRequest(kErrBadPatchFormatForPrimitiveList);
        }
        is_delete_list = true;
        if (!list_key->empty()) {
          key = std::move(*list_key);
        }
      }
      if (patch_value.is_null()) {
        original.Erase(key);
        continue;
      }
      Value* current = original.Find(key);
      if (current == nullptr || TypeOf(*current) != TypeOf(patch_value)) {
        // Absent, or of another type: the patch value replaces it (directives and nulls out).
        if (!is_delete_list) {
          DiscardNulls(patch_value);
          if (RemoveDirectives(patch_value)) {
            original.Set(key, std::move(patch_value));
          } else {
            original.Erase(key);
          }
        }
        continue;
      }
      if (current->is_object()) {
        PLUMBLINE_RETURN_IF_ERROR(MergeMap(*current, std::move(patch_value), ChildPath(path, key)));
      } else if (current->is_array()) {
        const std::string list_path = ChildPath(path, key);
        Result<SliceMerge> merged =
            MergeSliceHandler(std::move(current->items()), std::move(patch_value.items()),
                              LookupSlice(schema_, list_path), is_delete_list, list_path + "[]");
        if (!merged) {
          return merged.error();
        }
        *current = Value::MakeArray(std::move(merged->merged));
      } else if (RemoveDirectives(patch_value)) {
        *current = std::move(patch_value);
      } else {
        original.Erase(key);
      }
    }
    return Status::Ok();
  }

 private:
  // handleDirectiveInMergeMap: "$patch: replace" takes the patch as it is (minus the marker),
  // "$patch: delete" leaves an empty map.
  static Status HandleDirectiveInMergeMap(Value& original, const Value& directive, Value patch) {
    if (IsDirective(directive, kReplaceDirective)) {
      patch.Erase(kDirectiveMarker);
      original = std::move(patch);
      return Status::Ok();
    }
    if (IsDirective(directive, kDeleteDirective)) {
      original = Value::MakeObject();
      return Status::Ok();
    }
    return ErrBadPatchType(directive, patch);
  }

  // applyRetainKeysDirective: clears the members of `original` that $retainKeys does not name,
  // after checking that every non-null patch member is named.
  static Status ApplyRetainKeys(Value& original, Value& patch) {
    Value* directive = patch.Find(kRetainKeysDirective);
    if (directive == nullptr) {
      return Status::Ok();
    }
    const Value retain = std::move(*directive);
    patch.Erase(kRetainKeysDirective);
    if (!retain.is_array()) {
      return BadRequest(kErrBadPatchFormatForRetainKeys);
    }
    const auto retained = [&retain](std::string_view key) {
      return std::ranges::any_of(retain.items(), [key](const Value& item) {
        return item.is_string() && item.text() == key;
      });
    };
    for (const auto& [key, value] : patch.members()) {
      if (value.is_null() || key.starts_with(kDeleteFromPrimitiveListPrefix) ||
          key.starts_with(kSetElementOrderPrefix)) {
        continue;
      }
      if (!retained(key)) {
        return BadRequest(kErrBadPatchFormatForRetainKeys);
      }
    }
    std::erase_if(original.members(),
                  [&retained](const Value::Member& m) { return !retained(m.first); });
    return Status::Ok();
  }

  // validatePatchWithSetOrderList: the patch items (deletions and directive items aside) must
  // appear in the $setElementOrder list, in the same relative order.
  static Status ValidatePatchWithSetOrderList(const Array& patch_list, const Array& order,
                                              const std::string& merge_key) {
    if (order.empty() || patch_list.empty()) {
      return Status::Ok();
    }
    Array non_delete;
    if (!merge_key.empty()) {
      for (const Value& item : patch_list) {
        if (!item.is_object()) {
          return ErrBadArgType(GoType::kMap, item);
        }
        if (!HasDeleteDirective(item)) {
          non_delete.push_back(item);
        }
      }
    } else {
      non_delete = patch_list;
    }
    std::size_t patch_index = 0;
    std::size_t order_index = 0;
    while (patch_index < non_delete.size() && order_index < order.size()) {
      const Value& item = non_delete[patch_index];
      if (item.is_object() && item.Find(kDirectiveMarker) != nullptr) {
        ++patch_index;
        continue;
      }
      bool equal = false;
      if (merge_key.empty()) {
        equal = GoEqual(&item, &order[order_index]);
      } else {
        const Value& wanted = order[order_index];
        if (!item.is_object()) {
          return ErrBadArgType(GoType::kMap, item);
        }
        if (!wanted.is_object()) {
          return ErrBadArgType(GoType::kMap, wanted);
        }
        const Value* left = item.Find(merge_key);
        if (left == nullptr) {
          return ErrNoMergeKey(item, merge_key);
        }
        const Value* right = wanted.Find(merge_key);
        if (right == nullptr) {
          return ErrNoMergeKey(wanted, merge_key);
        }
        equal = GoEqual(left, right);
      }
      if (equal) {
        ++patch_index;
      }
      ++order_index;
    }
    if (patch_index < non_delete.size() && order_index >= order.size()) {
      return ServerError("the order in patch list:\n" + GoSlice(patch_list) + "\n doesn't match " +
                         std::string(kSetElementOrderPrefix) + " list:\n" + GoSlice(order));
    }
    return Status::Ok();
  }

  // mergePatchIntoOriginal: each $setElementOrder/<list> merges <list> (when both sides have it)
  // and then fixes its order: $setElementOrder first, then the patch order, then the live order.
  Status MergePatchIntoOriginal(Value& original, Value& patch, const std::string& path) {
    std::vector<std::string> directive_keys;
    for (const auto& [key, value] : patch.members()) {
      if (key.starts_with(kSetElementOrderPrefix)) {
        directive_keys.push_back(key);
      }
    }
    for (const std::string& directive_key : directive_keys) {
      Value* directive = patch.Find(directive_key);
      const Value order = std::move(*directive);
      patch.Erase(directive_key);
      if (!order.is_array()) {
        return ErrBadArgType(GoType::kSlice, order);
      }
      const std::optional<std::string> list_key = ExtractKey(directive_key, kSetElementOrderPrefix);
      if (!list_key.has_value()) {
        return BadRequest(kErrBadPatchFormatForSetElementOrderList);
      }
      const Value* original_list = original.Find(*list_key);
      const Value* patch_list = patch.Find(*list_key);
      if (original_list != nullptr && !original_list->is_array()) {
        return ErrBadArgType(GoType::kSlice, *original_list);
      }
      if (patch_list != nullptr && !patch_list->is_array()) {
        return ErrBadArgType(GoType::kSlice, *patch_list);
      }
      const std::string list_path = ChildPath(path, *list_key);
      const SliceMeta meta = LookupSlice(schema_, list_path);
      const Array original_items = original_list != nullptr ? original_list->items() : Array();
      Array patch_items = patch_list != nullptr ? patch_list->items() : Array();
      PLUMBLINE_RETURN_IF_ERROR(
          ValidatePatchWithSetOrderList(patch_items, order.items(), meta.merge_key));

      Array merged;
      Array live_view = original_items;  // Go's originalFieldValue, as the merge left it
      if (original_list != nullptr && patch_list == nullptr) {
        merged = original_items;
      } else if (original_list == nullptr && patch_list != nullptr) {
        Value added = Value::MakeArray(patch_items);
        RemoveDirectives(added);
        merged = std::move(added.items());
      } else if (original_list != nullptr && patch_list != nullptr) {
        Result<SliceMerge> result =
            MergeSliceHandler(original_items, patch_items, meta, false, list_path + "[]");
        if (!result) {
          return result.error();
        }
        merged = std::move(result->merged);
        live_view = std::move(result->live_view);
      } else {
        continue;
      }

      Result<Partition> parts =
          PartitionByPresence(std::move(merged), order.items(), meta.merge_key);
      if (!parts) {
        return parts.error();
      }
      Result<GoType> kind = SliceElementType(original_items, patch_items);
      if (!kind) {
        return kind.error();
      }
      Result<Array> ordered =
          NormalizeElementOrder(std::move(parts->in_list), std::move(parts->server_only),
                                order.items(), live_view, meta.merge_key, *kind);
      if (!ordered) {
        return ordered.error();
      }
      original.Set(*list_key, Value::MakeArray(std::move(*ordered)));
      patch.Erase(*list_key);
    }
    return Status::Ok();
  }

  // mergeSliceHandler: lists without patchStrategy merge take the patch as it is, except that a
  // $deleteFromPrimitiveList works on any list.
  Result<SliceMerge> MergeSliceHandler(Array original, Array patch, const SliceMeta& meta,
                                       bool is_delete_list, const std::string& item_path) {
    if (!meta.merge && !is_delete_list) {
      return SliceMerge{std::move(patch), std::move(original)};
    }
    return MergeSlice(std::move(original), std::move(patch), meta.merge_key, is_delete_list,
                      item_path);
  }

  // mergeSlice. For a list of maps it also replays what Go's slice aliasing does to the live list
  // (SliceMerge::live_view): deleteMatchingEntries shifts the survivors left inside the live
  // list's backing array, and the appends of new items then land in the freed slots. The caller's
  // slice of the live list sees both, and mergePatchIntoOriginal orders server-only items by it.
  Result<SliceMerge> MergeSlice(Array original, Array patch, const std::string& merge_key,
                                bool is_delete_list, const std::string& item_path) {
    if (original.empty() && patch.empty()) {
      return SliceMerge{original, original};
    }
    Result<GoType> kind = SliceElementType(original, patch);
    if (!kind) {
      return kind.error();
    }
    if (*kind != GoType::kMap) {
      if (is_delete_list) {
        // deleteFromSlice: a new slice, no reordering.
        Array kept;
        for (const Value& item : original) {
          bool doomed = false;
          for (const Value& victim : patch) {
            doomed = doomed || GoEqual(&item, &victim);
          }
          if (!doomed) {
            kept.push_back(item);
          }
        }
        return SliceMerge{std::move(kept), std::move(original)};
      }
      Array both = original;
      both.insert(both.end(), patch.begin(), patch.end());
      Result<Partition> parts =
          PartitionByPresence(DeduplicateScalars(std::move(both)), patch, merge_key);
      if (!parts) {
        return parts.error();
      }
      Result<Array> ordered =
          NormalizeElementOrder(std::move(parts->in_list), std::move(parts->server_only), patch,
                                original, merge_key, *kind);
      if (!ordered) {
        return ordered.error();
      }
      return SliceMerge{std::move(*ordered), std::move(original)};
    }
    if (merge_key.empty()) {
      return ServerError("cannot merge lists without merge key for " + item_path);
    }

    // mergeSliceWithSpecialElements: "$patch: delete" items remove every live item with their
    // merge key; a "$patch: replace" item makes the other patch items the whole list.
    Array backing = std::move(original);
    std::size_t live_len = backing.size();
    Array plain;
    bool replace = false;
    for (Value& item : patch) {
      const Value* directive = item.Find(kDirectiveMarker);
      if (directive == nullptr) {
        plain.push_back(std::move(item));
        continue;
      }
      if (IsDirective(*directive, kDeleteDirective)) {
        const Value* key_value = item.Find(merge_key);
        if (key_value == nullptr) {
          return ErrNoMergeKey(item, merge_key);
        }
        PLUMBLINE_RETURN_IF_ERROR(DeleteMatchingEntries(backing, live_len, merge_key, *key_value));
      } else if (IsDirective(*directive, kReplaceDirective)) {
        replace = true;  // keep going: the other directive items are dropped too
      } else if (IsDirective(*directive, kMergeDirective)) {
        return ServerError("merging lists cannot yet be specified in the patch");
      } else {
        return ErrBadPatchType(*directive, item);
      }
    }
    Array base;
    if (replace) {
      base = std::move(plain);
      plain.clear();
    } else {
      base.assign(backing.begin(), backing.begin() + static_cast<std::ptrdiff_t>(live_len));
    }

    // mergeSliceWithoutSpecialElements: items with a live counterpart merge into it, the others
    // are appended as they are.
    Array merged = base;
    for (const Value& item : plain) {
      const Value* key_value = item.Find(merge_key);
      if (key_value == nullptr) {
        return ErrNoMergeKey(item, merge_key);
      }
      Result<std::optional<std::size_t>> at =
          FindMapByKey(merged, merged.size(), merge_key, key_value);
      if (!at) {
        return at.error();
      }
      if (at->has_value()) {
        PLUMBLINE_RETURN_IF_ERROR(MergeMap(merged[**at], item, item_path));
      } else {
        if (!replace && merged.size() < backing.size()) {
          backing[merged.size()] = item;  // the append reuses the live list's array
        }
        merged.push_back(item);
      }
    }

    Result<Partition> parts = PartitionByPresence(std::move(merged), plain, merge_key);
    if (!parts) {
      return parts.error();
    }
    Result<Array> ordered = NormalizeElementOrder(
        std::move(parts->in_list), std::move(parts->server_only), plain, base, merge_key, *kind);
    if (!ordered) {
      return ordered.error();
    }
    return SliceMerge{std::move(*ordered), std::move(backing)};
  }

  // deleteMatchingEntries on the first `live_len` items of `backing`, the way Go's
  // append(s[:i], s[i+1:]...) does it: the tail moves left and the last slot keeps its value.
  static Status DeleteMatchingEntries(Array& backing, std::size_t& live_len,
                                      const std::string& merge_key, const Value& key_value) {
    while (true) {
      Result<std::optional<std::size_t>> at =
          FindMapByKey(backing, live_len, merge_key, &key_value);
      if (!at) {
        return at.error();
      }
      if (!at->has_value()) {
        return Status::Ok();
      }
      for (std::size_t i = **at; i + 1 < live_len; ++i) {
        backing[i] = backing[i + 1];
      }
      --live_len;
    }
  }

  Schema schema_;
};

// Built-in kinds are the ones the list table knows (every kind has ObjectMeta's finalizers),
// plus autoscaling Scale, the body of the scale subresource, which has no lists.
bool IsBuiltinKind(std::string_view group, std::string_view kind) {
  return hashing::LookupBuiltinList(group, kind, "metadata.finalizers") != nullptr ||
         (group == "autoscaling" && kind == "Scale");
}

std::string_view GoJsonTypeName(const Value& v) {
  switch (v.type()) {
    case Value::Type::kArray:
      return "array";
    case Value::Type::kString:
      return "string";
    case Value::Type::kNumber:
      return "number";
    case Value::Type::kBool:
      return "bool";
    default:
      break;
  }
  return "object";
}

}  // namespace

Result<Value> ApplyStrategicMergePatch(const Value& doc, const Value& patch, std::string_view group,
                                       std::string_view kind) {
  if (!IsBuiltinKind(group, kind)) {
    return MakeError(ErrorCode::kUnsupportedMediaType, std::string(kUnsupportedMediaTypeMessage));
  }
  if (patch.is_null()) {
    return doc;  // a JSON null decodes to an empty map
  }
  if (!patch.is_object()) {
    return BadRequest("json: cannot unmarshal " + std::string(GoJsonTypeName(patch)) +
                      " into Go value of type map[string]interface {}");
  }
  if (!doc.is_object()) {
    return BadRequest(kErrBadJsonDoc);
  }
  Value result = doc;
  Merger merger(Schema{group, kind});
  PLUMBLINE_RETURN_IF_ERROR(merger.MergeMap(result, patch, ""));
  DropLeftoverDirectives(result);
  return result;
}

}  // namespace plumbline::sim
