#include "canonical.h"

#define XXH_STATIC_LINKING_ONLY
#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include <xxhash.h>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/quantity.h"

namespace plumbline::hashing {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

void AppendTagged(std::string& out, char tag, std::string_view text) {
  out.push_back(tag);
  out.append(std::to_string(text.size()));
  out.push_back(':');
  out.append(text);
}

bool EncodeQuantity(std::string_view text, std::string& out) {
  auto q = CanonicalQuantity(text);
  if (!q) {
    return false;
  }
  AppendTagged(out, 'Q', *q);
  return true;
}

}  // namespace

void AppendNumberText(element e, std::string& text) {
  char buf[32];
  switch (e.type()) {
    case element_type::INT64: {
      auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), AsInt64(e));
      (void)ec;
      text.assign(buf, p);
      return;
    }
    case element_type::UINT64: {
      auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), AsUint64(e));
      (void)ec;
      text.assign(buf, p);
      return;
    }
    default:
      text = CanonicalNumberText(AsDouble(e));
  }
}

void AppendJsonScalarElement(element e, std::string& out) {
  switch (e.type()) {
    case element_type::STRING:
      AppendJsonString(out, AsString(e));
      return;
    case element_type::BOOL:
      out += AsBool(e) ? "true" : "false";
      return;
    case element_type::NULL_VALUE:
      out += "null";
      return;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      std::string text;
      AppendNumberText(e, text);
      out += text;
      return;
    }
    default:
      AppendJson(out, ValueFromElement(e));
  }
}

void AppendLength(std::string& out, std::size_t n) {
  const auto v = static_cast<std::uint64_t>(n);
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

void EncodeLeafValue(const Value& v, bool quantity, std::string& out) {
  out.clear();
  switch (v.type()) {
    case Value::Type::kNull:
      out.push_back('N');
      return;
    case Value::Type::kBool:
      out.push_back(v.bool_value() ? 'T' : 'F');
      return;
    case Value::Type::kNumber:
      if (quantity && EncodeQuantity(v.text(), out)) {
        return;
      }
      AppendTagged(out, '#', v.text());
      return;
    case Value::Type::kString:
      if (quantity && EncodeQuantity(v.text(), out)) {
        return;
      }
      AppendTagged(out, 'S', v.text());
      return;
    default: {
      // Not a leaf in the target: encode it whole so it can only equal the same subtree.
      auto doc = LiveDocument::FromValue(v);
      if (doc) {
        EncodeElementFull(doc->root(), out);
      }
    }
  }
}

void EncodeLeafElement(element e, bool quantity, std::string& out) {
  out.clear();
  switch (e.type()) {
    case element_type::NULL_VALUE:
      out.push_back('N');
      return;
    case element_type::BOOL:
      out.push_back(AsBool(e) ? 'T' : 'F');
      return;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      std::string text;
      AppendNumberText(e, text);
      if (quantity && EncodeQuantity(text, out)) {
        return;
      }
      AppendTagged(out, '#', text);
      return;
    }
    case element_type::STRING: {
      std::string_view s = AsString(e);
      if (quantity && EncodeQuantity(s, out)) {
        return;
      }
      AppendTagged(out, 'S', s);
      return;
    }
    default:
      EncodeElementFull(e, out);
  }
}

void EncodeElementFull(element e, std::string& out) {
  switch (e.type()) {
    case element_type::OBJECT: {
      std::vector<std::pair<std::string_view, element>> members;
      for (auto field : AsObject(e)) {
        members.emplace_back(field.key, field.value);
      }
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('O');
      for (const auto& [k, v] : members) {
        out.push_back('K');
        AppendLength(out, k.size());
        out.append(k);
        EncodeElementFull(v, out);
      }
      out.push_back('o');
      return;
    }
    case element_type::ARRAY:
      out.push_back('A');
      for (element item : AsArray(e)) {
        EncodeElementFull(item, out);
      }
      out.push_back('a');
      return;
    default: {
      std::string leaf;
      EncodeLeafElement(e, false, leaf);
      out += leaf;
    }
  }
}

namespace {

void EncodeNode(const Value& t, std::string& schema, bool atomic, const Target& target,
                const Policy& policy, const std::function<void(std::string_view)>& sink,
                bool root) {
  if (t.is_object()) {
    sink("O");
    std::string key_bytes;
    for (const auto& [k, child] : t.members()) {
      if (root && (k == "apiVersion" || k == "kind")) {
        continue;
      }
      key_bytes.assign("K");
      AppendLength(key_bytes, k.size());
      key_bytes += k;
      sink(key_bytes);
      const std::size_t len = schema.size();
      if (!schema.empty()) {
        schema.push_back('.');
      }
      schema += k;
      EncodeNode(child, schema, atomic, target, policy, sink, false);
      schema.resize(len);
    }
    sink("o");
    return;
  }
  if (t.is_array()) {
    const ListSemantics* sem =
        atomic ? nullptr : LookupList(target.id.group, target.id.kind, schema, policy);
    const ListType type = sem != nullptr ? sem->type : ListType::kAtomic;
    const std::size_t len = schema.size();
    schema += "[]";
    if (type == ListType::kSet) {
      sink("M");
      std::string leaf;
      for (const Value& item : t.items()) {
        EncodeLeafValue(item, false, leaf);
        sink(leaf);
      }
      sink("m");
    } else {
      const bool keyed = type == ListType::kMap;
      sink(keyed ? "M" : "A");
      for (const Value& item : t.items()) {
        EncodeNode(item, schema, !keyed, target, policy, sink, false);
      }
      sink(keyed ? "m" : "a");
    }
    schema.resize(len);
    return;
  }
  std::string leaf;
  EncodeLeafValue(t, IsQuantityPath(schema, policy), leaf);
  sink(leaf);
}

}  // namespace

void EncodeCanonical(const Value& t, std::string schema_path, const Target& target,
                     const Policy& policy, const std::function<void(std::string_view)>& sink) {
  // Only the walker's "equal subtree" shortcut calls this below the root, never inside an
  // atomic list item, so `atomic` starts false; inside atomic lists every list is atomic.
  EncodeNode(t, schema_path, /*atomic=*/false, target, policy, sink, schema_path.empty());
}

Digest128 CanonicalDigest(const Value& object, const ResourceId& id, const Policy& policy) {
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  Target shell;
  shell.id = id;
  std::string schema;
  EncodeNode(
      object, schema, false, shell, policy,
      [&](std::string_view b) { XXH3_128bits_update(&state, b.data(), b.size()); }, true);
  const XXH128_hash_t h = XXH3_128bits_digest(&state);
  return Digest128{h.high64, h.low64};
}

bool ElementIsEmpty(element e) {
  switch (e.type()) {
    case element_type::NULL_VALUE:
      return true;
    case element_type::STRING:
      return AsString(e).empty();
    case element_type::ARRAY:
      return AsArray(e).begin() == AsArray(e).end();
    case element_type::OBJECT:
      return AsObject(e).begin() == AsObject(e).end();
    default:
      return false;
  }
}

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The schema path of the map holding the field: "a.b.c" -> "a.b".
std::string_view ParentPath(std::string_view path) {
  auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

}  // namespace

bool IsQuantityPath(std::string_view schema_path, const Policy& policy) {
  for (const auto& p : policy.quantity_paths) {
    if (GlobMatch(p, schema_path)) {
      return true;
    }
  }
  const std::string_view parent = ParentPath(schema_path);
  // Fast reject: quantity maps end in one of these segments, quantity leaves in one of those.
  auto last_segment = [](std::string_view p) {
    auto dot = p.rfind('.');
    return dot == std::string_view::npos ? p : p.substr(dot + 1);
  };
  const std::string_view map_name = last_segment(parent);
  static constexpr std::string_view kMapNames[] = {
      "requests", "limits",  "overhead",       "capacity", "allocatable", "hard",
      "used",     "default", "defaultRequest", "max",      "min",         "maxLimitRequestRatio"};
  const std::string_view leaf_name = last_segment(schema_path);
  const bool map_candidate =
      std::find(std::begin(kMapNames), std::end(kMapNames), map_name) != std::end(kMapNames);
  const bool leaf_candidate = leaf_name == "sizeLimit" || leaf_name == "divisor" ||
                              leaf_name == "averageValue" || leaf_name == "value";
  if (!map_candidate && !leaf_candidate) {
    return false;
  }
  static constexpr std::string_view kQuantityMaps[] = {"resources.requests",
                                                       "resources.limits",
                                                       "spec.overhead",
                                                       "spec.capacity",
                                                       "status.capacity",
                                                       "status.allocatable",
                                                       "spec.hard",
                                                       "status.hard",
                                                       "status.used",
                                                       ".default",
                                                       ".defaultRequest",
                                                       ".max",
                                                       ".min",
                                                       ".maxLimitRequestRatio"};
  for (auto suffix : kQuantityMaps) {
    if (EndsWith(parent, suffix) || parent == suffix) {
      // LimitRange maps live under spec.limits[]; elsewhere ".default" is not a quantity map.
      if (suffix.front() == '.' && !EndsWith(parent, "spec.limits[]" + std::string(suffix))) {
        continue;
      }
      return true;
    }
  }
  return EndsWith(schema_path, ".emptyDir.sizeLimit") ||
         EndsWith(schema_path, ".resourceFieldRef.divisor") ||
         EndsWith(schema_path, "target.averageValue") || EndsWith(schema_path, "target.value") ||
         EndsWith(schema_path, "current.averageValue") || EndsWith(schema_path, "current.value");
}

bool IsSensitivePath(std::string_view kind, std::string_view group, std::string_view pointer,
                     const Policy& policy) {
  if (kind == "Secret" && group.empty() &&
      ((pointer.rfind("/data/", 0) == 0 && pointer.size() > 6) ||
       (pointer.rfind("/stringData/", 0) == 0 && pointer.size() > 12))) {
    return true;
  }
  for (const auto& p : policy.sensitive_paths) {
    if (GlobMatch(p, pointer)) {
      return true;
    }
  }
  return false;
}

bool IsTemplateAnnotations(std::string_view schema_path) {
  return EndsWith(schema_path, "template.metadata.annotations");
}

bool IsReplicasPath(std::string_view schema_path) { return schema_path == "spec.replicas"; }

bool IsDroppedMetadataField(std::string_view key) {
  static constexpr std::string_view kDropped[] = {"uid",
                                                  "resourceVersion",
                                                  "generation",
                                                  "creationTimestamp",
                                                  "managedFields",
                                                  "selfLink",
                                                  "deletionTimestamp",
                                                  "deletionGracePeriodSeconds",
                                                  "ownerReferences",
                                                  "finalizers"};
  return std::find(std::begin(kDropped), std::end(kDropped), key) != std::end(kDropped);
}

bool MatchesAny(const std::vector<std::string>& globs, std::string_view text) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return GlobMatch(g, text); });
}

bool IsUnorderedList(std::string_view group, std::string_view kind, std::string_view schema_path) {
  if (!group.empty() || kind != "Endpoints") {
    return false;
  }
  return schema_path == "subsets" || schema_path == "subsets[].addresses" ||
         schema_path == "subsets[].notReadyAddresses" || schema_path == "subsets[].ports";
}

const ListSemantics* LookupList(std::string_view group, std::string_view kind,
                                std::string_view schema_path, const Policy& policy) {
  for (std::size_t i = 0; i < policy.lists.size(); ++i) {
    const CustomList& l = policy.lists[i];
    if (l.kind == kind && l.group == group && l.path == schema_path) {
      return &policy.list_semantics[i];
    }
  }
  return LookupBuiltinList(group, kind, schema_path);
}

namespace {

template <typename KeyReader>
void BuildKeySegment(const ListSemantics& sem, std::string& out, KeyReader&& read) {
  // Fields sorted by name, as structured-merge-diff serializes them.
  const std::string* order[8];
  std::size_t n = std::min<std::size_t>(sem.keys.size(), 8);
  for (std::size_t i = 0; i < n; ++i) {
    order[i] = &sem.keys[i];
  }
  std::sort(order, order + n, [](const auto* a, const auto* b) { return *a < *b; });
  out.assign("k:{");
  bool first = true;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& key = *order[i];
    const std::size_t mark = out.size();
    if (!first) {
      out.push_back(',');
    }
    AppendJsonString(out, key);
    out.push_back(':');
    if (read(key, out)) {
      first = false;
      continue;
    }
    bool defaulted = false;
    for (const auto& [name, value] : sem.key_defaults) {
      if (name == key) {
        AppendJson(out, value);
        defaulted = true;
        break;
      }
    }
    if (defaulted) {
      first = false;
    } else {
      out.resize(mark);  // absent key field without a default: left out
    }
  }
  out.push_back('}');
}

}  // namespace

void ItemKeySegment(const Value& item, const ListSemantics& sem, std::string& out) {
  BuildKeySegment(sem, out, [&](const std::string& key, std::string& o) {
    const Value* v = item.Find(key);
    if (v == nullptr || v->IsEmpty()) {
      return false;
    }
    AppendJson(o, *v);
    return true;
  });
}

void ItemKeySegment(element item, const ListSemantics& sem, std::string& out) {
  BuildKeySegment(sem, out, [&](const std::string& key, std::string& o) {
    element v;
    if (item.type() != element_type::OBJECT || item.at_key(key).get(v) != simdjson::SUCCESS ||
        ElementIsEmpty(v)) {
      return false;
    }
    AppendJsonScalarElement(v, o);
    return true;
  });
}

std::string SetSegment(const Value& item) {
  std::string out = "v:";
  AppendJson(out, item);
  return out;
}

std::string SetSegmentElement(element item) {
  std::string out = "v:";
  AppendJsonScalarElement(item, out);
  return out;
}

Value ElementToValue(element e) { return ValueFromElement(e); }

namespace {

Value Convert(element e, std::string& pointer, std::string_view group, std::string_view kind,
              const Policy& policy, const SecretHasher& hasher) {
  switch (e.type()) {
    case element_type::OBJECT: {
      Value out = Value::MakeObject();
      for (auto field : AsObject(e)) {
        if (ElementIsEmpty(field.value)) {
          continue;
        }
        const std::size_t len = pointer.size();
        AppendJsonPointerToken(pointer, field.key);
        out.members().emplace_back(std::string(field.key),
                                   Convert(field.value, pointer, group, kind, policy, hasher));
        pointer.resize(len);
      }
      return out;
    }
    case element_type::ARRAY: {
      Value out = Value::MakeArray();
      std::size_t i = 0;
      for (element item : AsArray(e)) {
        const std::size_t len = pointer.size();
        AppendJsonPointerToken(pointer, std::to_string(i++));
        out.items().push_back(Convert(item, pointer, group, kind, policy, hasher));
        pointer.resize(len);
      }
      return out;
    }
    case element_type::STRING:
      if (IsSensitivePath(kind, group, pointer, policy)) {
        return Value::String(hasher.Mask(AsString(e)));
      }
      return ValueFromElement(e);
    default:
      if (IsSensitivePath(kind, group, pointer, policy)) {
        std::string text;
        AppendJsonScalarElement(e, text);
        return Value::String(hasher.Mask(text));
      }
      return ValueFromElement(e);
  }
}

}  // namespace

Value ElementToNormalizedValue(element e, const std::string& pointer, std::string_view group,
                               std::string_view kind, const Policy& policy,
                               const SecretHasher& hasher) {
  std::string p = pointer;
  Value v = Convert(e, p, group, kind, policy, hasher);
  v.SortKeysRecursive();
  return v;
}

}  // namespace plumbline::hashing
