// The drift engine on hand-written objects: declared fields, live-only fields, ownership,
// ignore rules, digests. Case-by-case policy coverage lives in the corpus test.
#include "plumbline/hashing/engine.h"

#include <catch2/catch.hpp>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/report.h"

#include "support/fake_hasher.h"

namespace hashing = plumbline::hashing;
using hashing::Value;

namespace {

Value Json(const char* text) {
  auto v = hashing::ParseJson(text);
  REQUIRE(v.has_value());
  return std::move(*v);
}

struct Fixture {
  hashing::Policy policy = hashing::ParsePolicy(Value()).value();
  plumbline::testing::FakeSecretHasher hasher;

  hashing::Target Target(const char* json) {
    auto t = hashing::PrepareTarget(Json(json), policy, hasher, "shop");
    REQUIRE(t.has_value());
    return std::move(*t);
  }
  hashing::Verdict Compare(const hashing::Target& t, const char* live_json,
                           hashing::LiveContext ctx = {}) {
    auto doc = hashing::LiveDocument::FromJson(live_json);
    REQUIRE(doc.has_value());
    hashing::Engine engine(policy, hasher);
    hashing::Verdict v = engine.Compare(t, doc->root(), ctx);
    // The fast path must agree with the full verdict on every object.
    hashing::LiveDigests d = engine.Digest(t, doc->root(), ctx);
    CHECK(d.in_sync == !v.drifted());
    return v;
  }
  hashing::LiveDigests Digest(const hashing::Target& t, const char* live_json) {
    auto doc = hashing::LiveDocument::FromJson(live_json);
    REQUIRE(doc.has_value());
    hashing::Engine engine(policy, hasher);
    return engine.Digest(t, doc->root());
  }
};

constexpr const char* kGitConfigMap = R"({
  "apiVersion": "v1", "kind": "ConfigMap",
  "metadata": {"name": "cfg", "labels": {"app": "shop"}},
  "data": {"MODE": "fast", "TTL": "30"}
})";

// A live object applied by argocd-controller (server-side apply) with nothing changed.
constexpr const char* kLiveConfigMap = R"({
  "apiVersion": "v1", "kind": "ConfigMap",
  "metadata": {"name": "cfg", "namespace": "shop", "uid": "u1", "resourceVersion": "10",
    "labels": {"app": "shop"},
    "managedFields": [{"manager": "argocd-controller", "operation": "Apply",
      "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
      "fieldsV1": {"f:data": {"f:MODE": {}, "f:TTL": {}}, "f:metadata": {"f:labels": {"f:app": {}}}}}]},
  "data": {"TTL": "30", "MODE": "fast"}
})";

}  // namespace

TEST_CASE("Engine: an unchanged object is in sync and its digests match the target",
          "[hashing][engine]") {
  Fixture f;
  auto t = f.Target(kGitConfigMap);
  auto v = f.Compare(t, kLiveConfigMap);
  CHECK_FALSE(v.drifted());
  auto d = f.Digest(t, kLiveConfigMap);
  CHECK(d.declared == t.digest);
  CHECK(d.live_only == hashing::Engine::EmptyLiveOnlyDigest());
}

TEST_CASE("Engine: projecting the target onto itself gives the target digest",
          "[hashing][engine]") {
  Fixture f;
  for (const char* git : {kGitConfigMap,
                          R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},
        "spec":{"replicas":0,"template":{"spec":{"containers":[{"name":"b","image":"x",
        "ports":[{"containerPort":80}],"args":["a","b"]},{"name":"a","image":"y"}]}}}})"}) {
    auto t = f.Target(git);
    auto d = f.Digest(t, hashing::ToJson(t.object).c_str());
    CHECK(d.declared == t.digest);
    CHECK(d.in_sync);
  }
}

TEST_CASE("Engine: a changed declared value is drift attributed to its new owner",
          "[hashing][engine]") {
  Fixture f;
  auto t = f.Target(kGitConfigMap);
  auto v = f.Compare(t, R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"cfg","namespace":"shop","labels":{"app":"shop"},"managedFields":[
      {"manager":"argocd-controller","operation":"Apply","time":"2026-01-01T00:00:00Z",
       "fieldsV1":{"f:data":{"f:MODE":{}}}},
      {"manager":"kubectl-edit","operation":"Update","time":"2026-02-02T00:00:00Z",
       "fieldsV1":{"f:data":{"f:TTL":{}}}}]},
    "data":{"TTL":"5","MODE":"fast"}})");
  REQUIRE(v.kind == hashing::DriftKind::kModified);
  REQUIRE(v.paths.size() == 1);
  CHECK(v.paths[0].pointer == "/data/TTL");
  REQUIRE(v.paths[0].actor.has_value());
  CHECK(v.paths[0].actor->manager == "kubectl-edit");
  REQUIRE(v.patch.size() == 1);
  CHECK(v.patch[0].op == "replace");
  CHECK(v.patch[0].path == "/data/TTL");
  CHECK(v.diff.find("-  TTL: \"30\"") != std::string::npos);
  CHECK(v.diff.find("+  TTL: \"5\"") != std::string::npos);
}

TEST_CASE("Engine: live-only fields are judged by their owner", "[hashing][engine]") {
  Fixture f;
  auto t = f.Target(kGitConfigMap);
  const char* live = R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"cfg","namespace":"shop","labels":{"app":"shop","owner":"bob",
      "injected":"yes"},"managedFields":[
      {"manager":"argocd-controller","operation":"Apply","time":"2026-01-01T00:00:00Z",
       "fieldsV1":{"f:data":{"f:MODE":{},"f:TTL":{}},"f:metadata":{"f:labels":{"f:app":{}}}}},
      {"manager":"kubectl-label","operation":"Update","time":"2026-02-02T00:00:00Z",
       "fieldsV1":{"f:metadata":{"f:labels":{"f:owner":{}}}}}]},
    "data":{"TTL":"30","MODE":"fast"}})";
  auto v = f.Compare(t, live);
  REQUIRE(v.paths.size() == 1);  // "injected" has no owner: a webhook, not drift
  CHECK(v.paths[0].pointer == "/metadata/labels/owner");
  CHECK(v.paths[0].actor->manager == "kubectl-label");
  REQUIRE(v.patch.size() == 1);
  CHECK(v.patch[0].op == "add");

  SECTION("the same label owned by a system manager is not drift") {
    f.policy.system.push_back("kubectl-label");
    CHECK_FALSE(f.Compare(t, live).drifted());
  }
  SECTION("an ignore rule by manager suppresses it and counts it") {
    f.policy.ignore.push_back(
        hashing::IgnoreRule{"", "ConfigMap", "cfg", "", {}, {}, {"kubectl-*"}});
    auto s = f.Compare(t, live);
    CHECK_FALSE(s.drifted());
    CHECK(s.suppressed == std::vector<std::string>{"/metadata/labels/owner"});
  }
}

TEST_CASE("Engine: quantities, numbers, empties and zero values", "[hashing][engine]") {
  Fixture f;
  auto t = f.Target(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w",
    "annotations":{}},"spec":{"replicas":3,"paused":false,"minReadySeconds":0,
    "template":{"spec":{"containers":[{"name":"w","image":"x","env":[{"name":"E","value":""}],
    "resources":{"limits":{"cpu":"0.5","memory":"1Gi"},"requests":{"cpu":1}}}]}}}})");
  const char* live = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w",
    "namespace":"shop"},"spec":{"replicas":3.0,"template":{"spec":{"containers":[{"name":"w",
    "image":"x","env":[{"name":"E"}],"resources":{"limits":{"cpu":"500m","memory":"1024Mi"},
    "requests":{"cpu":"1"}}}]}}}})";
  CHECK_FALSE(f.Compare(t, live).drifted());

  SECTION("an int-or-string value is not coerced") {
    auto svc = f.Target(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},
      "spec":{"ports":[{"port":80,"targetPort":8080}]}})");
    auto v = f.Compare(svc, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s",
      "namespace":"shop"},"spec":{"ports":[{"port":80,"protocol":"TCP","targetPort":"8080"}]}})");
    REQUIRE(v.drifted());
    CHECK(v.paths[0].pointer == "/spec/ports/0/targetPort");
  }
}

TEST_CASE("Engine: keyed lists match by key in any order, atomic lists by position",
          "[hashing][engine]") {
  Fixture f;
  auto t = f.Target(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},
    "spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:1","args":["x","y"]},
    {"name":"b","image":"b:1","ports":[{"containerPort":80}]}]}}}})");
  CHECK_FALSE(f.Compare(t, R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w",
    "namespace":"shop"},"spec":{"template":{"spec":{"containers":[
    {"name":"b","image":"b:1","ports":[{"containerPort":80,"protocol":"TCP"}]},
    {"name":"a","image":"a:1","args":["x","y"]}]}}}})")
                  .drifted());
  auto reordered_args = f.Compare(t, R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"w","namespace":"shop"},"spec":{"template":{"spec":{"containers":[
    {"name":"a","image":"a:1","args":["y","x"]},
    {"name":"b","image":"b:1","ports":[{"containerPort":80}]}]}}}})");
  REQUIRE(reordered_args.drifted());
  CHECK(reordered_args.paths[0].pointer == "/spec/template/spec/containers/0/args/0");

  auto missing_container = f.Compare(t, R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"w","namespace":"shop"},"spec":{"template":{"spec":{"containers":[
    {"name":"a","image":"a:1","args":["x","y"]}]}}}})");
  REQUIRE(missing_container.drifted());
  // Absent live: the path points into the (normalized) Git object.
  CHECK(missing_container.paths[0].pointer == "/spec/template/spec/containers/1");
  CHECK(missing_container.patch[0].op == "remove");
}

TEST_CASE("Engine: status-only and metadata-only updates change no digest", "[hashing][engine]") {
  Fixture f;
  auto t = f.Target(kGitConfigMap);
  auto before = f.Digest(t, kLiveConfigMap);
  auto after = f.Digest(t, R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"cfg","namespace":"shop","uid":"u1","resourceVersion":"99",
      "generation":7,"labels":{"app":"shop"},"annotations":{
      "kubectl.kubernetes.io/last-applied-configuration":"{}"},
      "managedFields":[{"manager":"argocd-controller","operation":"Apply",
      "time":"2026-03-03T00:00:00Z","fieldsV1":{"f:data":{"f:MODE":{},"f:TTL":{}},
      "f:metadata":{"f:labels":{"f:app":{}}}}}]},
    "data":{"MODE":"fast","TTL":"30"},"status":{"anything":1}})");
  CHECK(before.declared == after.declared);
  CHECK(before.live_only == after.live_only);
  CHECK(after.in_sync);
}

TEST_CASE("Engine: changing any declared leaf changes the live digest", "[hashing][engine]") {
  Fixture f;
  auto t = f.Target(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w",
    "labels":{"a":"1"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c",
    "image":"i:1","args":["p","q"],"env":[{"name":"E","value":"v"}],
    "resources":{"limits":{"cpu":"1"}}}]}}}})");
  const std::string base = hashing::ToJson(t.object);
  // Every leaf of the normalized target, replaced in turn.
  std::vector<std::pair<std::string, std::string>> edits = {
      {"\"a\":\"1\"", "\"a\":\"2\""},
      {"\"replicas\":2", "\"replicas\":3"},
      {"\"image\":\"i:1\"", "\"image\":\"i:2\""},
      {"\"p\",\"q\"", "\"p\",\"r\""},
      {"\"value\":\"v\"", "\"value\":\"w\""},
      {"\"cpu\":\"1\"", "\"cpu\":\"2\""},
      {"\"name\":\"w\"", "\"name\":\"x\""}};
  for (const auto& [from, to] : edits) {
    std::string changed = base;
    const auto pos = changed.find(from);
    REQUIRE(pos != std::string::npos);
    changed.replace(pos, from.size(), to);
    auto d = f.Digest(t, changed.c_str());
    INFO(from << " -> " << to);
    CHECK_FALSE(d.declared == t.digest);
    CHECK_FALSE(d.in_sync);
  }
}

TEST_CASE("Engine: golden digests pin the canonical encoding", "[hashing][engine]") {
  // If this changes, the canonical encoding changed: bump render::kCanonicalVersion and
  // docs/canonical-encoding.md.
  Fixture f;
  auto t = f.Target(kGitConfigMap);
  CHECK(t.digest.Hex() == "cfb9c87fc70deecae29e4cc54aad081e");
}

TEST_CASE("issue: an empty string inside an atomic list equals the live empty string",
          "[hashing][engine]") {
  // RBAC's core group is apiGroups: [""]; it was reported as drift (found by the benchmark).
  Fixture f;
  auto t = f.Target(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",
    "metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]})");
  auto v = f.Compare(t, R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",
    "metadata":{"name":"r","namespace":"shop"},
    "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]})");
  CHECK_FALSE(v.drifted());
  auto changed = f.Compare(t, R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",
    "metadata":{"name":"r","namespace":"shop"},
    "rules":[{"apiGroups":["apps"],"resources":["pods"],"verbs":["get"]}]})");
  REQUIRE(changed.drifted());
  CHECK(changed.paths[0].pointer == "/rules/0/apiGroups/0");
}
