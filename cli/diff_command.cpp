#include <cstdio>
#include <filesystem>
#include <map>

#include "plumbline/hashing/evaluate.h"
#include "plumbline/hashing/json.h"
#include "plumbline/hashing/report.h"
#include "plumbline/render/bundle.h"
#include "plumbline/render/manifest.h"
#include "plumbline/render/secret_key.h"
#include "plumbline/render/targets.h"

#include "commands.h"
#include "options.h"
#include "policy_file.h"

namespace plumbline::cli {
namespace {

namespace fs = std::filesystem;

std::string Where(const render::Manifest& m) {
  return m.line > 0 ? m.file + ":" + std::to_string(m.line) : m.file;
}

// The namespace for a namespaced Git object that declares none and got no -n: the namespace of
// the one live object with the same group, kind and name (where the app was deployed), else
// "default", as kubectl would use.
std::string InferNamespace(const hashing::ResourceId& id, const std::vector<hashing::Value>& live) {
  std::string found;
  int matches = 0;
  for (const auto& obj : live) {
    auto other = hashing::IdentityOf(obj);
    if (other && other->group == id.group && other->kind == id.kind && other->name == id.name) {
      found = other->namespace_;
      ++matches;
    }
  }
  return matches == 1 ? found : "default";
}

}  // namespace

int DiffCommand(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, {"--target", "--live", "--policy", "-o", "--output", "-n",
                               "--namespace", "--hmac-key-file"});
  if (!args) {
    return Fail("diff: " + args.error().message);
  }
  if (!args->positional.empty()) {
    return Fail("diff: unexpected argument '" + args->positional[0] + "'");
  }
  if (!args->Has("--target") || !args->Has("--live")) {
    return Fail("diff: --target PATH and --live PATH are required");
  }
  const std::string format = args->Get("-o", args->Get("--output", "text"));
  if (format != "text" && format != "json") {
    return Fail("diff: -o must be text or json");
  }
  auto policy = LoadPolicyFile(args->Get("--policy"));
  if (!policy) {
    return Fail(policy.error().message);
  }
  const std::string target_path = args->Get("--target");
  const std::string ns = args->Get("-n", args->Get("--namespace"));

  auto bundle_doc = render::ReadBundleDocument(target_path);
  if (!bundle_doc) {
    return Fail(bundle_doc.error().message);
  }
  // Secret values are masked with the installation key when a bundle was rendered with it;
  // otherwise masks never leave this process and a fresh random key serves.
  std::string key;
  if (bundle_doc->has_value() || args->Has("--hmac-key-file")) {
    const std::string key_path = args->Get("--hmac-key-file", render::DefaultKeyPath());
    auto loaded = render::LoadOrCreateKey(key_path, /*create=*/false);
    if (!loaded) {
      return Fail(loaded.error().message +
                  " (a bundle needs the HMAC key it was rendered with: --hmac-key-file)");
    }
    key = std::move(*loaded);
  } else {
    auto fresh = render::RandomKey();
    if (!fresh) {
      return Fail(fresh.error().message);
    }
    key = std::move(*fresh);
  }
  render::HmacSecretHasher hasher(key);

  // Live objects first: targets without a namespace may take theirs.
  auto live_manifests = render::ReadManifestPath(args->Get("--live"));
  if (!live_manifests) {
    return Fail(live_manifests.error().message);
  }
  std::vector<hashing::Value> live;
  live.reserve(live_manifests->size());
  std::map<std::string, std::string> live_seen;  // identity -> "file:line"
  for (auto& m : *live_manifests) {
    auto id = hashing::IdentityOf(m.object);
    if (!id) {
      return Fail(Where(m) + ": " + id.error().message);
    }
    auto [it, inserted] = live_seen.emplace(id->Key(), Where(m));
    if (!inserted) {
      return Fail(Where(m) + ": duplicate live object " + id->DisplayName() + " (also in " +
                  it->second + ")");
    }
    live.push_back(std::move(m.object));
  }

  std::vector<hashing::Target> targets;
  if (bundle_doc->has_value()) {
    auto bundle = render::ParseBundle(**bundle_doc, *policy);
    if (!bundle) {
      return Fail(target_path + ": " + bundle.error().message);
    }
    if (!bundle->mask_key_id.empty() && bundle->mask_key_id != render::KeyId(key)) {
      return Fail(target_path + ": the bundle's secrets were masked with HMAC key " +
                  bundle->mask_key_id + ", not with this key (" + render::KeyId(key) +
                  "); pass the right --hmac-key-file");
    }
    for (auto& e : bundle->entries) {
      targets.push_back(std::move(e.target));
    }
  } else {
    auto manifests = render::ReadManifestPath(target_path);
    if (!manifests) {
      return Fail(manifests.error().message);
    }
    std::map<std::string, std::string> seen;  // identity -> "file:line"
    for (auto& m : *manifests) {
      if (render::IsHookResource(m.object)) {
        continue;  // hooks are not desired state
      }
      auto id = hashing::IdentityOf(m.object);
      if (!id) {
        return Fail(Where(m) + ": " + id.error().message);
      }
      std::string target_ns = ns;
      if (id->namespace_.empty() && target_ns.empty() &&
          !hashing::IsClusterScopedKind(id->group, id->kind)) {
        target_ns = InferNamespace(*id, live);
      }
      auto t = hashing::PrepareTarget(std::move(m.object), *policy, hasher, target_ns);
      if (!t) {
        return Fail(Where(m) + ": " + t.error().message);
      }
      auto [it, inserted] = seen.emplace(t->id.Key(), Where(m));
      if (!inserted) {
        return Fail(Where(m) + ": duplicate resource " + t->id.DisplayName() + " (also in " +
                    it->second + ")");
      }
      targets.push_back(std::move(*t));
    }
  }

  auto evaluation = hashing::EvaluateSet(targets, live, *policy, hasher);
  if (!evaluation) {
    return Fail(evaluation.error().message);
  }
  std::string out = format == "json"
                        ? hashing::ToJson(hashing::EvaluationToValue(*evaluation)) + "\n"
                        : hashing::EvaluationToText(*evaluation);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (std::fflush(stdout) != 0) {
    return Fail("diff: cannot write to stdout");
  }
  return evaluation->summary.in_sync == evaluation->summary.resources ? 0 : 1;
}

}  // namespace plumbline::cli
