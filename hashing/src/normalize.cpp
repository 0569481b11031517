#include "normalize.h"

#include <algorithm>

#include "plumbline/hashing/json.h"

#include "canonical.h"

namespace plumbline::hashing {
namespace {

struct NormalizeContext {
  const ResourceId& id;
  const Policy& policy;
  const SecretHasher& hasher;
};

void NormalizeNode(Value& v, std::string& schema, std::string& pointer, bool atomic,
                   const NormalizeContext& ctx) {
  if (v.is_object()) {
    for (auto& [key, child] : v.members()) {
      const std::size_t schema_len = schema.size();
      const std::size_t pointer_len = pointer.size();
      if (!schema.empty()) {
        schema.push_back('.');
      }
      schema += key;
      AppendJsonPointerToken(pointer, key);
      NormalizeNode(child, schema, pointer, atomic, ctx);
      schema.resize(schema_len);
      pointer.resize(pointer_len);
    }
    auto& members = v.members();
    members.erase(std::remove_if(members.begin(), members.end(),
                                 [](const Value::Member& m) { return m.second.IsEmpty(); }),
                  members.end());
    return;
  }
  if (v.is_array()) {
    const ListSemantics* sem =
        atomic ? nullptr : LookupList(ctx.id.group, ctx.id.kind, schema, ctx.policy);
    const ListType type = sem != nullptr ? sem->type : ListType::kAtomic;
    const std::size_t schema_len = schema.size();
    schema += "[]";
    std::size_t i = 0;
    for (Value& item : v.items()) {
      const std::size_t pointer_len = pointer.size();
      AppendJsonPointerToken(pointer, std::to_string(i++));
      if (type == ListType::kMap && item.is_object()) {
        for (const auto& [key, def] : sem->key_defaults) {
          const Value* existing = item.Find(key);
          if (existing == nullptr || existing->IsEmpty()) {
            item.Set(key, def);
          }
        }
      }
      NormalizeNode(item, schema, pointer, /*atomic=*/type == ListType::kAtomic, ctx);
      pointer.resize(pointer_len);
    }
    schema.resize(schema_len);
    if (type == ListType::kMap) {
      std::vector<std::pair<std::string, Value>> keyed;
      keyed.reserve(v.items().size());
      for (Value& item : v.items()) {
        std::string key;
        ItemKeySegment(item, *sem, key);
        keyed.emplace_back(std::move(key), std::move(item));
      }
      std::stable_sort(keyed.begin(), keyed.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      v.items().clear();
      for (auto& [key, item] : keyed) {
        v.items().push_back(std::move(item));
      }
    } else if (type == ListType::kSet) {
      std::stable_sort(v.items().begin(), v.items().end(), [](const Value& a, const Value& b) {
        return SetSegment(a) < SetSegment(b);
      });
    }
    return;
  }
  if (!v.IsEmpty() && IsSensitivePath(ctx.id.kind, ctx.id.group, pointer, ctx.policy)) {
    v = Value::String(ctx.hasher.Mask(v.is_string() ? v.text() : ToJson(v)));
  }
}

void FoldStringData(Value& object) {
  Value* found = object.Find("stringData");
  if (found == nullptr) {
    return;
  }
  // Take it out first: adding "data" below may move the object's members.
  const Value string_data = std::move(*found);
  object.Erase("stringData");
  if (!string_data.is_object()) {
    return;
  }
  Value* data = object.Find("data");
  if (data == nullptr || !data->is_object()) {
    data = &object.Set("data", Value::MakeObject());
  }
  for (const auto& [key, value] : string_data.members()) {
    const std::string plain = value.is_string() ? value.text() : ToJson(value);
    data->Set(key, Value::String(Base64Encode(plain)));
  }
}

void EraseMatching(Value* map, const std::vector<std::string>& globs) {
  if (map == nullptr || !map->is_object()) {
    return;
  }
  auto& members = map->members();
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](const Value::Member& m) { return MatchesAny(globs, m.first); }),
                members.end());
}

Value* FindPath(Value& root, std::initializer_list<std::string_view> path) {
  Value* node = &root;
  for (auto key : path) {
    node = node->Find(key);
    if (node == nullptr) {
      return nullptr;
    }
  }
  return node;
}

void NormalizeObject(Value& object, const ResourceId& id, const Policy& policy,
                     const SecretHasher& hasher) {
  if (id.kind == "Secret" && id.group.empty()) {
    FoldStringData(object);
  }
  object.Erase("status");
  if (Value* meta = object.Find("metadata"); meta != nullptr && meta->is_object()) {
    auto& members = meta->members();
    members.erase(
        std::remove_if(members.begin(), members.end(),
                       [](const Value::Member& m) { return IsDroppedMetadataField(m.first); }),
        members.end());
    EraseMatching(meta->Find("annotations"), policy.dropped_annotations);
    EraseMatching(meta->Find("labels"), policy.dropped_labels);
  }
  for (Value* annotations :
       {FindPath(object, {"spec", "template", "metadata", "annotations"}),
        FindPath(object, {"spec", "jobTemplate", "spec", "template", "metadata", "annotations"})}) {
    if (annotations != nullptr) {
      annotations->Erase(kRestartedAtAnnotation);
    }
  }
  if (id.kind == "ClusterRole" && id.group == "rbac.authorization.k8s.io" &&
      object.Find("aggregationRule") != nullptr) {
    object.Erase("rules");  // the aggregation controller owns them
  }
  NormalizeContext ctx{id, policy, hasher};
  std::string schema;
  std::string pointer;
  NormalizeNode(object, schema, pointer, false, ctx);
  object.SortKeysRecursive();
}

}  // namespace

Status NormalizeGitObject(Value& object, const ResourceId& id, const Policy& policy,
                          const SecretHasher& hasher) {
  if (!object.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "document is not a mapping");
  }
  const Value* meta = object.Find("metadata");
  if (meta == nullptr || !meta->is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, id.kind + " has no metadata mapping");
  }
  NormalizeObject(object, id, policy, hasher);
  return Status::Ok();
}

Value NormalizeLiveForView(simdjson::dom::element live, const ResourceId& id, const Policy& policy,
                           const SecretHasher& hasher) {
  Value v = ValueFromElement(live);
  if (v.is_object()) {
    NormalizeObject(v, id, policy, hasher);
  }
  return v;
}

bool IsOrphanException(const ResourceId& id, simdjson::dom::element live, const Policy& policy) {
  const std::string& k = id.kind;
  if (id.group.empty()) {
    if ((k == "ConfigMap" && id.name == "kube-root-ca.crt") ||
        (k == "ServiceAccount" && id.name == "default") ||
        (k == "Service" && id.name == "kubernetes") || k == "Endpoints" || k == "Event") {
      return true;
    }
    std::string_view type;
    if (k == "Secret" && live.at_key("type").get(type) == simdjson::SUCCESS &&
        type == "kubernetes.io/service-account-token") {
      return true;
    }
  }
  if ((id.group == "discovery.k8s.io" && k == "EndpointSlice") ||
      (id.group == "events.k8s.io" && k == "Event") ||
      (id.group == "coordination.k8s.io" && k == "Lease")) {
    return true;
  }
  const std::string kind_name = k + "/" + id.name;
  return MatchesAny(policy.orphan_exceptions, kind_name);
}

std::string Base64Encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<unsigned>(static_cast<unsigned char>(in[i + 2]));
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
    i += 3;
  }
  if (i < in.size()) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) {
      n |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
    }
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace plumbline::hashing
