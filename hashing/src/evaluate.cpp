#include "plumbline/hashing/evaluate.h"

#include <algorithm>
#include <map>
#include <set>

namespace plumbline::hashing {

std::vector<std::string> HpaScaledKeys(const std::vector<Value>& live) {
  std::vector<std::string> keys;
  for (const Value& obj : live) {
    if (obj.GetString("kind") != "HorizontalPodAutoscaler") {
      continue;
    }
    const Value* spec = obj.Find("spec");
    const Value* ref = spec != nullptr ? spec->Find("scaleTargetRef") : nullptr;
    const Value* meta = obj.Find("metadata");
    if (ref == nullptr || meta == nullptr) {
      continue;
    }
    ResourceId id;
    const std::string_view api_version = ref->GetString("apiVersion");
    if (auto slash = api_version.find('/'); slash != std::string_view::npos) {
      id.group = std::string(api_version.substr(0, slash));
    }
    id.kind = std::string(ref->GetString("kind"));
    id.name = std::string(ref->GetString("name"));
    id.namespace_ = std::string(meta->GetString("namespace"));
    keys.push_back(id.Key());
  }
  return keys;
}

Result<Evaluation> EvaluateSet(const std::vector<Target>& targets, const std::vector<Value>& live,
                               const Policy& policy, const SecretHasher& hasher) {
  std::map<std::string, const Target*> by_key;
  for (const Target& t : targets) {
    if (!by_key.emplace(t.id.Key(), &t).second) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "duplicate target identity: " + t.id.DisplayName());
    }
  }
  struct LiveEntry {
    ResourceId id;
    LiveDocument doc;
  };
  std::map<std::string, LiveEntry> live_by_key;
  for (const Value& obj : live) {
    auto id = IdentityOf(obj);
    if (!id) {
      return MakeError(ErrorCode::kInvalidArgument, "live object: " + id.error().message);
    }
    auto doc = LiveDocument::FromValue(obj);
    if (!doc) {
      return doc.error();
    }
    const std::string key = id->Key();
    if (live_by_key.count(key) != 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "duplicate live identity: " + id->DisplayName());
    }
    live_by_key.emplace(key, LiveEntry{std::move(*id), std::move(*doc)});
  }
  const std::vector<std::string> hpa = HpaScaledKeys(live);
  const std::set<std::string> scaled(hpa.begin(), hpa.end());

  Engine engine(policy, hasher);
  Evaluation out;
  for (const auto& [key, target] : by_key) {
    auto it = live_by_key.find(key);
    Verdict v;
    if (it == live_by_key.end()) {
      v = engine.Missing(*target);
    } else {
      LiveContext context;
      context.scaled_by_hpa = scaled.count(key) != 0;
      v = engine.Compare(*target, it->second.doc.root(), context);
    }
    out.verdicts.push_back(std::move(v));
  }
  for (const auto& [key, entry] : live_by_key) {
    if (by_key.count(key) != 0) {
      continue;
    }
    Verdict v = engine.JudgeUntracked(entry.doc.root());
    if (v.drifted()) {
      out.verdicts.push_back(std::move(v));
    }
  }
  for (const Verdict& v : out.verdicts) {
    ++out.summary.resources;
    out.summary.suppressed += v.suppressed.size();
    switch (v.kind) {
      case DriftKind::kNone:
        ++out.summary.in_sync;
        break;
      case DriftKind::kModified:
        ++out.summary.modified;
        break;
      case DriftKind::kMissing:
        ++out.summary.missing;
        break;
      case DriftKind::kExtraneous:
        ++out.summary.extraneous;
        break;
      case DriftKind::kOrphan:
        ++out.summary.orphan;
        break;
    }
  }
  return out;
}

}  // namespace plumbline::hashing
