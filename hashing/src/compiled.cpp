#include "compiled.h"

#include <algorithm>
#include <cstring>

#include <xxhash.h>

#include "plumbline/hashing/quantity.h"

#include "canonical.h"

namespace plumbline::hashing {

namespace {

bool IsZeroLeafValue(const Value& t) {
  return (t.is_bool() && !t.bool_value()) || (t.is_number() && t.text() == "0");
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

class Compiler {
 public:
  Compiler(const Target& target, const Policy& policy, CompiledTarget& out)
      : target_(target), policy_(policy), out_(out) {}

  void Run() {
    out_.nodes.emplace_back();
    std::string schema;
    std::string pointer;
    Build(0, target_.object, schema, pointer, /*atomic=*/false, /*root=*/true);
  }

 private:
  std::uint32_t Append(std::string_view bytes) {
    const auto off = static_cast<std::uint32_t>(out_.pool.size());
    out_.pool.append(bytes);
    return off;
  }

  void SetKey(CompiledNode& n, std::string_view key) {
    n.key_off = Append(key);
    n.key_len = static_cast<std::uint32_t>(key.size());
    n.key_head = KeyHead(key);
  }

  KeyValue Rendering(const Value& v) {
    KeyValue kv;
    if (v.is_string()) {
      kv.tag = 's';
      kv.off = Append(v.text());
      kv.len = static_cast<std::uint32_t>(v.text().size());
      return kv;
    }
    std::string json;
    AppendJson(json, v);
    kv.tag = 'j';
    kv.off = Append(json);
    kv.len = static_cast<std::uint32_t>(json.size());
    return kv;
  }

  // Key field names and defaults of a keyed list, in the order ItemKeySegment writes them.
  std::uint32_t AddKeyedList(const ListSemantics& sem) {
    KeyedListInfo info;
    info.first_key = static_cast<std::uint32_t>(out_.key_names.size());
    std::vector<const std::string*> order;
    for (std::size_t i = 0; i < std::min<std::size_t>(sem.keys.size(), 8); ++i) {
      order.push_back(&sem.keys[i]);
    }
    std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return *a < *b; });
    for (const std::string* key : order) {
      KeyValue name;
      name.tag = 's';
      name.off = Append(*key);
      name.len = static_cast<std::uint32_t>(key->size());
      out_.key_names.push_back(name);
      KeyValue def;
      for (const auto& [field, value] : sem.key_defaults) {
        if (field == *key) {
          def = Rendering(value);
          break;
        }
      }
      out_.key_defaults.push_back(def);
    }
    info.key_count = static_cast<std::uint32_t>(order.size());
    out_.keyed_lists.push_back(info);
    return static_cast<std::uint32_t>(out_.keyed_lists.size() - 1);
  }

  // The renderings of an item's key fields, as ItemKeySegment(Value) reads them.
  std::uint32_t AddKeyValues(const Value& item, const KeyedListInfo& info) {
    const auto first = static_cast<std::uint32_t>(out_.key_values.size());
    KeyHasher hasher;
    for (std::uint32_t k = 0; k < info.key_count; ++k) {
      const KeyValue& name = out_.key_names[info.first_key + k];
      const std::string key(out_.Bytes(name.off, name.len));
      const Value* v = item.Find(key);
      if (v != nullptr && !v->IsEmpty()) {
        out_.key_values.push_back(Rendering(*v));
      } else {
        out_.key_values.push_back(out_.key_defaults[info.first_key + k]);
      }
      const KeyValue& kv = out_.key_values.back();
      hasher.Add(kv.tag, out_.Bytes(kv.off, kv.len));
    }
    out_.key_hashes.resize(out_.key_values.size());
    if (info.key_count > 0) {
      out_.key_hashes[first] = hasher.Finish();
    }
    return first;
  }

  // Mirrors EncodeNode (canonical.cpp) and Walker::WalkNode: the same schema paths, the same
  // atomic propagation, the same list semantics.
  void Build(std::uint32_t index, const Value& t, std::string& schema, std::string& pointer,
             bool atomic, bool root) {
    if (t.is_object()) {
      const auto first = static_cast<std::uint32_t>(out_.nodes.size());
      const auto count = static_cast<std::uint32_t>(t.members().size());
      out_.nodes.resize(out_.nodes.size() + count);
      {
        CompiledNode& n = out_.nodes[index];
        n.kind = NodeKind::kObject;
        n.first = first;
        n.count = count;
        n.drop = DropContextFor(schema, root);
      }
      bool all_zero = true;
      std::uint64_t lengths = 0;
      for (std::uint32_t i = 0; i < count; ++i) {
        const auto& [key, child] = t.members()[i];
        lengths |= std::uint64_t{1} << (key.size() % 64);
        SetKey(out_.nodes[first + i], key);
        if (root && (key == "apiVersion" || key == "kind")) {
          out_.nodes[first + i].flags |= CompiledNode::kIdentity;
        }
        const std::size_t schema_len = schema.size();
        const std::size_t pointer_len = pointer.size();
        if (!schema.empty()) {
          schema.push_back('.');
        }
        schema += key;
        AppendJsonPointerToken(pointer, key);
        Build(first + i, child, schema, pointer, atomic, false);
        schema.resize(schema_len);
        pointer.resize(pointer_len);
        all_zero = all_zero && (out_.nodes[first + i].flags & CompiledNode::kAbsentOk) != 0;
      }
      out_.nodes[index].bytes_off = static_cast<std::uint32_t>(lengths);
      out_.nodes[index].bytes_len = static_cast<std::uint32_t>(lengths >> 32);
      if (all_zero) {
        out_.nodes[index].flags |= CompiledNode::kAbsentOk;
      }
      return;
    }
    if (t.is_array()) {
      const ListSemantics* sem =
          atomic ? nullptr : LookupList(target_.id.group, target_.id.kind, schema, policy_);
      const ListType type = sem != nullptr ? sem->type : ListType::kAtomic;
      NodeKind kind = NodeKind::kAtomicList;
      if (type == ListType::kMap) {
        kind = NodeKind::kKeyedList;
      } else if (type == ListType::kSet) {
        kind = NodeKind::kSetList;
      } else if (IsUnorderedList(target_.id.group, target_.id.kind, schema)) {
        kind = NodeKind::kUnorderedList;
      }
      const auto first = static_cast<std::uint32_t>(out_.nodes.size());
      const auto count = static_cast<std::uint32_t>(t.items().size());
      out_.nodes.resize(out_.nodes.size() + count);
      std::uint32_t list_info = 0;
      if (kind == NodeKind::kKeyedList) {
        list_info = AddKeyedList(*sem);
      }
      {
        CompiledNode& n = out_.nodes[index];
        n.kind = kind;
        n.first = first;
        n.count = count;
        n.aux = list_info;
      }
      const std::size_t schema_len = schema.size();
      schema += "[]";
      for (std::uint32_t i = 0; i < count; ++i) {
        const Value& item = t.items()[i];
        const std::size_t pointer_len = pointer.size();
        AppendJsonPointerToken(pointer, std::to_string(i));
        if (kind == NodeKind::kSetList) {
          CompiledNode& n = out_.nodes[first + i];
          std::string bytes;
          EncodeLeafValue(item, false, bytes);
          n.kind = NodeKind::kString;  // compared by bytes only (WalkSet)
          n.bytes_off = Append(bytes);
          n.bytes_len = static_cast<std::uint32_t>(bytes.size());
          SetKey(out_.nodes[first + i], SetSegment(item));
        } else if (kind == NodeKind::kKeyedList) {
          std::string segment;
          ItemKeySegment(item, *sem, segment);
          Build(first + i, item, schema, pointer, /*atomic=*/false, false);
          SetKey(out_.nodes[first + i], segment);
          out_.nodes[first + i].aux = AddKeyValues(item, out_.keyed_lists[list_info]);
        } else {
          Build(first + i, item, schema, pointer, /*atomic=*/true, false);
        }
        pointer.resize(pointer_len);
      }
      schema.resize(schema_len);
      return;  // a declared list is never "absent" (AllZero)
    }
    CompiledNode& n = out_.nodes[index];
    const bool quantity = IsQuantityPath(schema, policy_);
    std::string bytes;
    EncodeLeafValue(t, quantity, bytes);
    switch (t.type()) {
      case Value::Type::kString:
        n.kind = NodeKind::kString;
        break;
      case Value::Type::kNumber:
        n.kind = NodeKind::kNumber;
        break;
      case Value::Type::kBool:
        n.kind = NodeKind::kBool;
        break;
      default:
        n.kind = NodeKind::kNull;
    }
    if (quantity) {
      n.flags |= CompiledNode::kQuantity;
      // Servers write quantities canonically: when the canonical text is a fixed point, a live
      // text equal to it needs no parsing (FastPath::Leaf).
      const auto colon = bytes.find(':');
      if (bytes[0] == 'Q' && colon != std::string::npos) {
        const std::string canonical = bytes.substr(colon + 1);
        auto again = CanonicalQuantity(canonical);
        if (again && *again == canonical) {
          n.flags |= CompiledNode::kQuantityFixed;
        }
      }
    }
    if (IsSensitivePath(target_.id.kind, target_.id.group, pointer, policy_)) {
      n.flags |= CompiledNode::kSensitive;
    }
    if (IsZeroLeafValue(t) || t.IsEmpty()) {
      n.flags |= CompiledNode::kAbsentOk;
    }
    const auto colon = bytes.find(':');
    n.text_skip =
        static_cast<std::uint8_t>(colon != std::string::npos && colon < 32 ? colon + 1 : 0);
    if (n.kind == NodeKind::kString &&
        (n.flags & (CompiledNode::kQuantity | CompiledNode::kSensitive)) == 0 &&
        t.text().size() > CompiledNode::kInlineText) {
      const XXH128_hash_t h = XXH3_128bits(t.text().data(), t.text().size());
      char digest[16];
      std::memcpy(digest, &h.high64, 8);
      std::memcpy(digest + 8, &h.low64, 8);
      n.flags |= CompiledNode::kHashed;
      n.aux = static_cast<std::uint32_t>(t.text().size());
      n.bytes_off = Append(std::string_view(digest, sizeof(digest)));
      n.bytes_len = sizeof(digest);
      return;
    }
    n.bytes_off = Append(bytes);
    n.bytes_len = static_cast<std::uint32_t>(bytes.size());
  }

  const Target& target_;
  const Policy& policy_;
  CompiledTarget& out_;
};

void HashString(std::string& buf, std::string_view s) {
  AppendLength(buf, s.size());
  buf.append(s);
}

}  // namespace

std::uint64_t KeyHasher::Finish() { return XXH3_64bits(buf_.data(), buf_.size()); }

DropContext DropContextFor(std::string_view schema, bool root) {
  if (root) {
    return DropContext::kRoot;
  }
  if (schema == "metadata") {
    return DropContext::kMetadata;
  }
  if (schema == "metadata.annotations") {
    return DropContext::kAnnotations;
  }
  if (schema == "metadata.labels") {
    return DropContext::kLabels;
  }
  if (EndsWith(schema, "template.metadata.annotations")) {
    return DropContext::kTemplateAnnotations;
  }
  return DropContext::kNone;
}

std::size_t CompiledTarget::MemoryBytes() const {
  return sizeof(CompiledTarget) + nodes.capacity() * sizeof(CompiledNode) + pool.capacity() +
         (key_names.capacity() + key_defaults.capacity() + key_values.capacity()) *
             sizeof(KeyValue) +
         key_hashes.capacity() * sizeof(std::uint64_t) +
         keyed_lists.capacity() * sizeof(KeyedListInfo);
}

std::uint64_t PolicyKey(const Policy& policy) {
  std::string buf;
  for (const auto& p : policy.quantity_paths) {
    HashString(buf, p);
  }
  buf.push_back('\x01');
  for (const auto& p : policy.sensitive_paths) {
    HashString(buf, p);
  }
  buf.push_back('\x02');
  for (std::size_t i = 0; i < policy.lists.size(); ++i) {
    const CustomList& l = policy.lists[i];
    HashString(buf, l.group);
    HashString(buf, l.kind);
    HashString(buf, l.path);
    if (i < policy.list_semantics.size()) {
      const ListSemantics& sem = policy.list_semantics[i];
      buf.push_back(static_cast<char>(sem.type));
      for (const auto& k : sem.keys) {
        HashString(buf, k);
      }
      buf.push_back('\x03');
      for (const auto& [k, v] : sem.key_defaults) {
        HashString(buf, k);
        HashString(buf, ToJson(v));
      }
    }
    buf.push_back('\x04');
  }
  return XXH3_64bits(buf.data(), buf.size());
}

std::shared_ptr<const CompiledTarget> CompileTarget(const Target& target, const Policy& policy) {
  auto out = std::make_shared<CompiledTarget>();
  Compiler(target, policy, *out).Run();
  out->policy_key = PolicyKey(policy);
  out->digest = target.digest;
  out->aggregated_role = target.id.kind == "ClusterRole" &&
                         target.id.group == "rbac.authorization.k8s.io" &&
                         target.object.Find("aggregationRule") != nullptr;
  out->nodes.shrink_to_fit();
  out->pool.shrink_to_fit();
  out->key_names.shrink_to_fit();
  out->key_defaults.shrink_to_fit();
  out->key_values.shrink_to_fit();
  out->key_hashes.shrink_to_fit();
  out->keyed_lists.shrink_to_fit();
  return out;
}

}  // namespace plumbline::hashing
