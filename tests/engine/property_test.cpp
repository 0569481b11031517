// Property tests: digests do not change under key order, document order, quantity spellings or
// YAML styles; the fast digest path agrees with the full verdict on every corpus case.
#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/json.h"
#include "plumbline/render/manifest.h"
#include "plumbline/render/yaml_reader.h"

#include "support/fake_hasher.h"
#include "support/shared_dir.h"

namespace hashing = plumbline::hashing;
namespace render = plumbline::render;
using hashing::Value;

namespace {

hashing::Policy DefaultPolicy() { return hashing::ParsePolicy(Value()).value(); }

std::vector<hashing::Digest128> Digests(const std::string& yaml) {
  auto manifests = render::ReadManifestText(yaml, "test.yaml");
  REQUIRE(manifests.has_value());
  plumbline::testing::FakeSecretHasher hasher;
  const hashing::Policy policy = DefaultPolicy();
  std::vector<std::pair<std::string, hashing::Digest128>> keyed;
  for (auto& m : *manifests) {
    auto t = hashing::PrepareTarget(m.object, policy, hasher, "shop");
    REQUIRE(t.has_value());
    keyed.emplace_back(t->id.Key(), t->digest);
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<hashing::Digest128> out;
  for (auto& [k, d] : keyed) {
    out.push_back(d);
  }
  return out;
}

void ShuffleKeys(Value& v, std::mt19937& rng) {
  if (v.is_object()) {
    std::shuffle(v.members().begin(), v.members().end(), rng);
    for (auto& m : v.members()) {
      ShuffleKeys(m.second, rng);
    }
  } else if (v.is_array()) {
    for (auto& item : v.items()) {
      ShuffleKeys(item, rng);
    }
  }
}

constexpr const char* kBlockStyle = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: "registry.example.com/web:1.0"
          ports:
            - containerPort: 8080
          resources:
            requests:
              cpu: 250m
              memory: 1Gi
          args:
            - --verbose
            - 'yes'
      volumes:
        - name: cfg
          configMap:
            name: cfg
            defaultMode: 0644
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  enabled: "true"
  text: |
    line one
    line two
)";

// The same objects: flow style, other quoting, other key and document order, other
// quantity spellings, octal vs decimal.
constexpr const char* kOtherStyle = R"(---
kind: ConfigMap
data: {text: "line one\nline two\n", enabled: 'true'}
metadata:
  name: cfg
apiVersion: v1
---
kind: Deployment
spec:
  template:
    spec:
      volumes: [{configMap: {defaultMode: 420, name: cfg}, name: cfg}]
      containers:
      - args: ["--verbose", "yes"]
        resources: {requests: {memory: 1024Mi, cpu: "0.25"}}
        ports: [{protocol: TCP, containerPort: 8080}]
        image: registry.example.com/web:1.0
        name: web
  replicas: 3.0
metadata: {labels: {app: web}, name: web}
apiVersion: apps/v1
)";

}  // namespace

TEST_CASE("Property: digests ignore key order, document order, YAML style and quantity spelling",
          "[property]") {
  const auto a = Digests(kBlockStyle);
  const auto b = Digests(kOtherStyle);
  REQUIRE(a.size() == 2);
  CHECK(a == b);
}

TEST_CASE("Property: digests ignore key order (randomized)", "[property]") {
  auto manifests = render::ReadManifestText(kBlockStyle, "test.yaml");
  REQUIRE(manifests.has_value());
  plumbline::testing::FakeSecretHasher hasher;
  const hashing::Policy policy = DefaultPolicy();
  std::mt19937 rng(20261123);
  for (const auto& m : *manifests) {
    auto reference = hashing::PrepareTarget(m.object, policy, hasher, "shop");
    REQUIRE(reference.has_value());
    for (int i = 0; i < 50; ++i) {
      Value shuffled = m.object;
      ShuffleKeys(shuffled, rng);
      auto t = hashing::PrepareTarget(shuffled, policy, hasher, "shop");
      REQUIRE(t.has_value());
      CHECK(t->digest == reference->digest);
      // The live side too: the object as a server would return it (defaults applied, as
      // in the normalized target), in any key order, projects to the target digest.
      Value live = reference->object;
      ShuffleKeys(live, rng);
      auto doc = hashing::LiveDocument::FromValue(live);
      REQUIRE(doc.has_value());
      hashing::Engine engine(policy, hasher);
      CHECK(engine.Digest(*reference, doc->root()).declared == reference->digest);
    }
  }
}

TEST_CASE("Property: a changed declared value always changes the target digest", "[property]") {
  auto manifests = render::ReadManifestText(kBlockStyle, "test.yaml");
  REQUIRE(manifests.has_value());
  plumbline::testing::FakeSecretHasher hasher;
  const hashing::Policy policy = DefaultPolicy();
  const Value& original = (*manifests)[0].object;
  auto reference = hashing::PrepareTarget(original, policy, hasher, "shop");
  REQUIRE(reference.has_value());
  // Visit every scalar leaf and change it.
  std::vector<std::vector<std::string>> paths;
  std::function<void(const Value&, std::vector<std::string>&)> collect =
      [&](const Value& v, std::vector<std::string>& path) {
        if (v.is_object()) {
          for (const auto& [k, child] : v.members()) {
            path.push_back(k);
            collect(child, path);
            path.pop_back();
          }
        } else if (v.is_array()) {
          for (std::size_t i = 0; i < v.items().size(); ++i) {
            path.push_back("#" + std::to_string(i));
            collect(v.items()[i], path);
            path.pop_back();
          }
        } else {
          paths.push_back(path);
        }
      };
  std::vector<std::string> path;
  collect(original, path);
  REQUIRE(paths.size() > 10);
  for (const auto& p : paths) {
    if (p[0] == "apiVersion" || p[0] == "kind") {
      continue;  // identity, not content
    }
    Value changed = original;
    Value* node = &changed;
    for (const auto& seg : p) {
      node = seg[0] == '#' ? &node->items()[std::stoul(seg.substr(1))] : node->Find(seg);
    }
    *node = node->is_number() ? Value::Int(987654) : Value::String("changed-value");
    auto t = hashing::PrepareTarget(changed, policy, hasher, "shop");
    REQUIRE(t.has_value());
    std::string where;
    for (const auto& seg : p) {
      where += "/" + seg;
    }
    INFO(where);
    CHECK_FALSE(t->digest == reference->digest);
  }
}

TEST_CASE("Property: the fast digest path agrees with the full verdict on the corpus",
          "[property][corpus]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  auto docs =
      render::ParseYamlStream(plumbline::testing::ReadFileForTest(shared + "/corpus/cases.yaml"));
  REQUIRE(docs.has_value());
  plumbline::testing::FakeSecretHasher hasher;
  std::size_t compared = 0;
  for (const Value& c : (*docs)[0].value.Find("cases")->items()) {
    const Value* live = c.Find("live");
    Value target_object;
    if (const Value* yaml = c.Find("target_yaml")) {
      auto m = render::ReadManifestText(yaml->text(), "t.yaml");
      REQUIRE(m.has_value());
      target_object = (*m)[0].object;
    } else if (const Value* t = c.Find("target")) {
      target_object = *t;
    }
    if (live == nullptr || live->is_null() || target_object.is_null()) {
      continue;
    }
    const Value* options = c.Find("options");
    const Value* policy_doc = options != nullptr ? options->Find("policy") : nullptr;
    auto policy = hashing::ParsePolicy(policy_doc != nullptr ? *policy_doc : Value());
    REQUIRE(policy.has_value());
    auto target = hashing::PrepareTarget(target_object, *policy, hasher, "");
    REQUIRE(target.has_value());
    auto doc = hashing::LiveDocument::FromValue(*live);
    REQUIRE(doc.has_value());
    hashing::LiveContext ctx;
    ctx.scaled_by_hpa = options != nullptr && options->Find("context") != nullptr;
    hashing::Engine engine(*policy, hasher);
    const hashing::LiveDigests d = engine.Digest(*target, doc->root(), ctx);
    const hashing::Verdict v = engine.Compare(*target, doc->root(), ctx);
    INFO(c.GetString("id"));
    CHECK(d.in_sync == !v.drifted());
    CHECK(d.in_sync == (c.GetString("expected") == "in_sync"));
    // Digest twice: the engine's scratch state does not leak between walks.
    CHECK(engine.Digest(*target, doc->root(), ctx).declared == d.declared);
    ++compared;
  }
  CHECK(compared >= 20);
}

namespace {

// Every path to a scalar, and to every object member, of `v` (as "#index" / key segments).
void CollectPaths(const Value& v, std::vector<std::string>& path,
                  std::vector<std::vector<std::string>>& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.members()) {
      path.push_back(key);
      out.push_back(path);
      CollectPaths(child, path, out);
      path.pop_back();
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.items().size(); ++i) {
      path.push_back("#" + std::to_string(i));
      CollectPaths(v.items()[i], path, out);
      path.pop_back();
    }
  } else {
    out.push_back(path);
  }
}

Value* At(Value& root, const std::vector<std::string>& path, std::size_t len) {
  Value* node = &root;
  for (std::size_t i = 0; i < len && node != nullptr; ++i) {
    const std::string& seg = path[i];
    node = seg[0] == '#' ? &node->items()[std::stoul(seg.substr(1))] : node->Find(seg);
  }
  return node;
}

// Digest through the compiled fast path and through the full walk (a copy of the target without
// its compiled form): the two must agree on every field.
void CheckAgreement(hashing::Engine& engine, const hashing::Target& target, const Value& live,
                    const hashing::LiveContext& ctx, std::size_t& in_sync) {
  auto doc = hashing::LiveDocument::FromValue(live);
  REQUIRE(doc.has_value());
  hashing::Target plain = target;
  plain.compiled.reset();
  const hashing::LiveDigests fast = engine.Digest(target, doc->root(), ctx);
  const hashing::LiveDigests full = engine.Digest(plain, doc->root(), ctx);
  CHECK(fast.declared == full.declared);
  CHECK(fast.live_only == full.live_only);
  CHECK(fast.in_sync == full.in_sync);
  CHECK(fast.restarted == full.restarted);
  CHECK(fast.in_sync == !engine.Compare(target, doc->root(), ctx).drifted());
  in_sync += fast.in_sync ? 1 : 0;
}

}  // namespace

TEST_CASE("Property: the compiled fast path and the full walk agree on every corpus case",
          "[property][corpus]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  auto docs =
      render::ParseYamlStream(plumbline::testing::ReadFileForTest(shared + "/corpus/cases.yaml"));
  REQUIRE(docs.has_value());
  plumbline::testing::FakeSecretHasher hasher;
  std::size_t cases = 0;
  std::size_t variants = 0;
  std::size_t in_sync = 0;
  for (const Value& c : (*docs)[0].value.Find("cases")->items()) {
    const Value* live = c.Find("live");
    Value target_object;
    if (const Value* yaml = c.Find("target_yaml")) {
      auto m = render::ReadManifestText(yaml->text(), "t.yaml");
      REQUIRE(m.has_value());
      target_object = (*m)[0].object;
    } else if (const Value* t = c.Find("target")) {
      target_object = *t;
    }
    if (live == nullptr || live->is_null() || target_object.is_null()) {
      continue;
    }
    const Value* options = c.Find("options");
    const Value* policy_doc = options != nullptr ? options->Find("policy") : nullptr;
    auto policy = hashing::ParsePolicy(policy_doc != nullptr ? *policy_doc : Value());
    REQUIRE(policy.has_value());
    auto target = hashing::PrepareTarget(target_object, *policy, hasher, "");
    REQUIRE(target.has_value());
    REQUIRE(target->compiled != nullptr);
    hashing::LiveContext ctx;
    ctx.scaled_by_hpa = options != nullptr && options->Find("context") != nullptr;
    hashing::Engine engine(*policy, hasher);
    INFO(c.GetString("id"));
    CheckAgreement(engine, *target, *live, ctx, in_sync);
    // The normalized target as its own live object: in sync, through the fast path.
    CheckAgreement(engine, *target, target->object, ctx, in_sync);
    // Every scalar changed and every member removed, one at a time.
    std::vector<std::vector<std::string>> paths;
    std::vector<std::string> path;
    CollectPaths(*live, path, paths);
    for (const auto& p : paths) {
      INFO("variant at " << p.size() << " segments, last " << p.back());
      Value changed = *live;
      Value* node = At(changed, p, p.size());
      REQUIRE(node != nullptr);
      if (node->is_scalar()) {
        *node = node->is_number() ? Value::Int(987654) : Value::String("changed-value");
        CheckAgreement(engine, *target, changed, ctx, in_sync);
        ++variants;
      }
      if (p.back()[0] != '#') {
        Value removed = *live;
        At(removed, p, p.size() - 1)->Erase(p.back());
        CheckAgreement(engine, *target, removed, ctx, in_sync);
        ++variants;
      }
    }
    ++cases;
  }
  CHECK(cases >= 20);
  CHECK(variants > 500);
  CHECK(in_sync > cases);  // in-sync variants, the ones the fast path answers, are covered
}
