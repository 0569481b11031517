#include "plumbline/render/bundle.h"

#include <algorithm>
#include <map>
#include <optional>

#include <openssl/sha.h>

#include "plumbline/hashing/schema_tables.h"
#include "plumbline/render/manifest.h"

#include "parallel.h"

namespace plumbline::render {
using hashing::Value;

namespace {

// The list semantics the engine applied to this object: the "shape" consumers need to project
// a live object onto it (atomic lists, the default, are not listed).
void CollectShape(const Value& v, std::string& path, const hashing::Target& target,
                  const hashing::Policy& policy, Value& lists, bool atomic) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.members()) {
      const std::size_t len = path.size();
      if (!path.empty()) {
        path.push_back('.');
      }
      path += k;
      CollectShape(child, path, target, policy, lists, atomic);
      path.resize(len);
    }
  } else if (v.is_array()) {
    const hashing::ListSemantics* sem = nullptr;
    if (!atomic) {
      for (std::size_t i = 0; i < policy.lists.size(); ++i) {
        if (policy.lists[i].kind == target.id.kind && policy.lists[i].group == target.id.group &&
            policy.lists[i].path == path) {
          sem = &policy.list_semantics[i];
        }
      }
      if (sem == nullptr) {
        sem = hashing::LookupBuiltinList(target.id.group, target.id.kind, path);
      }
    }
    const bool keyed = sem != nullptr && sem->type != hashing::ListType::kAtomic;
    if (keyed) {
      Value entry = Value::MakeObject();
      entry.Set("type", Value::String(sem->type == hashing::ListType::kMap ? "map" : "set"));
      Value keys = Value::MakeArray();
      for (const auto& k : sem->keys) {
        keys.items().push_back(Value::String(k));
      }
      entry.Set("keys", std::move(keys));
      lists.Set(path, std::move(entry));
    }
    const std::size_t len = path.size();
    path += "[]";
    for (const Value& item : v.items()) {
      CollectShape(item, path, target, policy, lists, !keyed);
    }
    path.resize(len);
  }
}

Value SourceToValue(const SourceInfo& s) {
  Value v = Value::MakeObject();
  v.Set("path", Value::String(s.path));
  v.Set("renderer", Value::String(s.renderer));
  v.Set("repository", Value::String(s.repository));
  v.Set("revision", Value::String(s.revision));
  return v;
}

}  // namespace

std::string KeyId(const std::string& key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

Result<Bundle> BuildBundle(const std::vector<RenderedSource>& sources,
                           const std::string& default_namespace, const hashing::Policy& policy,
                           const hashing::SecretHasher& hasher, const std::string& mask_key_id) {
  Bundle bundle;
  bundle.default_namespace = default_namespace;
  bundle.mask_key_id = mask_key_id;
  // Preparing a target (normalize, digest, compile) is independent per object and most of a
  // render's time: done on every core, then taken in document order so that errors and
  // duplicates are reported as a sequential pass would.
  std::vector<const Manifest*> manifests;
  for (const auto& source : sources) {
    bundle.sources.push_back(source.info);
    for (const auto& m : source.manifests) {
      if (!IsHookResource(m.object)) {
        manifests.push_back(&m);
      }
    }
  }
  std::vector<std::optional<Result<hashing::Target>>> prepared(manifests.size());
  ParallelFor(manifests.size(), [&](std::size_t i) {
    prepared[i].emplace(
        hashing::PrepareTarget(manifests[i]->object, policy, hasher, default_namespace));
  });
  std::map<std::string, BundleEntry> by_key;
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    const Manifest& m = *manifests[i];
    auto& target = *prepared[i];
    if (!target) {
      return MakeError(target.error().code, m.file +
                                                (m.line > 0 ? ":" + std::to_string(m.line) : "") +
                                                ": " + target.error().message);
    }
    const std::string key = target->id.Key();
    auto [it, inserted] = by_key.emplace(key, BundleEntry{std::move(*target), m.file});
    if (!inserted) {
      return MakeError(ErrorCode::kInvalidArgument,
                       m.file + (m.line > 0 ? ":" + std::to_string(m.line) : "") +
                           ": duplicate resource " + it->second.target.id.DisplayName() +
                           " (also in " + it->second.file + ")");
    }
  }
  for (auto& [key, entry] : by_key) {
    bundle.entries.push_back(std::move(entry));
  }
  std::sort(bundle.sources.begin(), bundle.sources.end(),
            [](const SourceInfo& a, const SourceInfo& b) {
              return std::tie(a.repository, a.path, a.revision) <
                     std::tie(b.repository, b.path, b.revision);
            });
  return bundle;
}

std::string SerializeBundle(const Bundle& bundle, const hashing::Policy& policy) {
  // One resource per line: diffable, and still one JSON document.
  std::string out = "{\"apiVersion\":";
  hashing::AppendJsonString(out, kBundleApiVersion);
  out += ",\"kind\":";
  hashing::AppendJsonString(out, kBundleKind);
  out += ",\"canonicalVersion\":" + std::to_string(kCanonicalVersion);
  out += ",\"defaultNamespace\":";
  hashing::AppendJsonString(out, bundle.default_namespace);
  out += ",\"maskKeyId\":";
  hashing::AppendJsonString(out, bundle.mask_key_id);
  out += ",\"sources\":[";
  for (std::size_t i = 0; i < bundle.sources.size(); ++i) {
    out += i ? "," : "";
    hashing::AppendJson(out, SourceToValue(bundle.sources[i]));
  }
  out += "],\n\"resources\":[";
  for (std::size_t i = 0; i < bundle.entries.size(); ++i) {
    const auto& e = bundle.entries[i];
    Value r = Value::MakeObject();
    r.Set("digest", Value::String(e.target.digest.Hex()));
    r.Set("file", Value::String(e.file));
    r.Set("group", Value::String(e.target.id.group));
    r.Set("kind", Value::String(e.target.id.kind));
    r.Set("name", Value::String(e.target.id.name));
    r.Set("namespace", Value::String(e.target.id.namespace_));
    r.Set("object", e.target.object);
    Value lists = Value::MakeObject();
    std::string path;
    CollectShape(e.target.object, path, e.target, policy, lists, false);
    lists.SortKeysRecursive();
    Value shape = Value::MakeObject();
    shape.Set("lists", std::move(lists));
    r.Set("shape", std::move(shape));
    r.Set("version", Value::String(e.target.id.version));
    out += i ? ",\n" : "\n";
    hashing::AppendJson(out, r);
  }
  out += "\n]}\n";
  return out;
}

bool IsBundleDocument(const Value& doc) {
  return doc.is_object() && doc.GetString("kind") == kBundleKind &&
         doc.GetString("apiVersion") == kBundleApiVersion;
}

Result<Bundle> ParseBundle(const Value& doc, const hashing::Policy& policy) {
  if (!IsBundleDocument(doc)) {
    return MakeError(ErrorCode::kInvalidArgument, "not a Plumbline target bundle");
  }
  const Value* version = doc.Find("canonicalVersion");
  if (version == nullptr || !version->is_number() ||
      version->text() != std::to_string(kCanonicalVersion)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "bundle canonicalVersion is not " + std::to_string(kCanonicalVersion) +
                         ": re-render it with this version of plumbline");
  }
  Bundle bundle;
  bundle.default_namespace = std::string(doc.GetString("defaultNamespace"));
  bundle.mask_key_id = std::string(doc.GetString("maskKeyId"));
  if (const Value* sources = doc.Find("sources"); sources != nullptr && sources->is_array()) {
    for (const Value& s : sources->items()) {
      bundle.sources.push_back(
          SourceInfo{std::string(s.GetString("repository")), std::string(s.GetString("revision")),
                     std::string(s.GetString("path")), std::string(s.GetString("renderer"))});
    }
  }
  const Value* resources = doc.Find("resources");
  if (resources == nullptr || !resources->is_array()) {
    return MakeError(ErrorCode::kInvalidArgument, "bundle has no resources list");
  }
  std::size_t index = 0;
  for (const Value& r : resources->items()) {
    const Value* object = r.Find("object");
    if (object == nullptr || !object->is_object()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "bundle resources[" + std::to_string(index) + "] has no object");
    }
    auto target = hashing::TargetFromNormalized(*object, policy, r.GetString("digest"));
    if (!target) {
      return MakeError(target.error().code, "bundle resources[" + std::to_string(index) +
                                                "]: " + target.error().message);
    }
    bundle.entries.push_back(BundleEntry{std::move(*target), std::string(r.GetString("file"))});
    ++index;
  }
  return bundle;
}

}  // namespace plumbline::render
