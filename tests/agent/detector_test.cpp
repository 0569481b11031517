// The detector's state machine, driven with hand-written snapshots and watch events (no
// network): one event per transition, none for status churn or redelivery, Missing / Orphan /
// Extraneous / Info, HPA context, deterministic ids.
#include "plumbline/agent/detector.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plumbline/hashing/json.h"
#include "plumbline/render/bundle.h"

#include "support/fake_hasher.h"

namespace {

namespace agent = plumbline::agent;
namespace hashing = plumbline::hashing;
using plumbline::DriftEvent;
using plumbline::EventType;

constexpr std::int64_t kNow = 1'700'000'000'123'000'000;

const agent::ApiResource kDeployments{"apps", "v1", "deployments", "Deployment", true};
const agent::ApiResource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
const agent::ApiResource kHpas{"autoscaling", "v2", "horizontalpodautoscalers",
                               "HorizontalPodAutoscaler", true};

constexpr const char* kGitDeployment = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop"},
  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
    "template": {"metadata": {"labels": {"app": "web"}},
      "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}
})";

// The live Deployment as the API server returns it, with a given resourceVersion, image,
// replicas and status.
// `scaler`, when set, is the managedFields entry that owns spec.replicas (real servers move the
// field there when kubectl scale or an HPA writes it through /scale).
std::string LiveDeployment(int rv, const std::string& image = "nginx:1.25", int replicas = 2,
                           int ready = 2, const std::string& restarted_at = "",
                           const std::string& scaler = "") {
  const std::string annotations =
      restarted_at.empty()
          ? ""
          : R"(, "annotations": {"kubectl.kubernetes.io/restartedAt": ")" + restarted_at + "\"}";
  const std::string image_manager = image == "nginx:1.25" ? "argocd-controller" : "kubectl-set";
  return R"({"apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "uid": "uid-web", "generation": 1,
      "resourceVersion": ")" +
         std::to_string(rv) + R"(",
      "managedFields": [
        {"manager": "argocd-controller", "operation": "Apply", "apiVersion": "apps/v1",
         "time": "2026-11-01T10:00:00Z", "fieldsType": "FieldsV1",
         "fieldsV1": {"f:spec": {)" +
         (scaler.empty() ? R"("f:replicas": {}, )" : "") + R"("f:selector": {},
           "f:template": {"f:metadata": {"f:labels": {"f:app": {}}},
             "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:name": {}}}}}}}},
        {"manager": ")" +
         image_manager + R"(", "operation": "Update", "apiVersion": "apps/v1",
         "time": "2026-11-02T10:00:00Z", "fieldsType": "FieldsV1",
         "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers":
           {"k:{\"name\":\"web\"}": {"f:image": {}}}}}}}})" +
         (scaler.empty() ? "" : ",\n" + scaler) + R"(
      ]},
    "spec": {"replicas": )" +
         std::to_string(replicas) + R"(, "selector": {"matchLabels": {"app": "web"}},
      "template": {"metadata": {"labels": {"app": "web"})" +
         annotations + R"(},
        "spec": {"containers": [{"name": "web", "image": ")" +
         image + R"("}]}}},
    "status": {"replicas": 2, "readyReplicas": )" +
         std::to_string(ready) + "}}";
}

std::string LiveConfigMap(const std::string& name, int rv, const std::string& annotations = "") {
  return R"({"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": ")" +
         name + R"(", "namespace": "shop", "uid": "uid-)" + name + R"(", "resourceVersion": ")" +
         std::to_string(rv) + "\"" +
         (annotations.empty() ? "" : ", \"annotations\": " + annotations) +
         R"(, "managedFields": [{"manager": "kubectl-create", "operation": "Update",
        "apiVersion": "v1", "time": "2026-11-03T10:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {"f:k": {}}}}]},
    "data": {"k": "v"}})";
}

struct Harness {
  hashing::Policy policy;
  plumbline::testing::FakeSecretHasher hasher;
  std::vector<std::shared_ptr<const DriftEvent>> events;
  std::vector<std::string> hpa_resyncs;
  std::unique_ptr<agent::Detector> detector;
  simdjson::dom::parser parser;

  explicit Harness(const char* policy_json = "{}",
                   std::vector<const char*> git = {kGitDeployment}) {
    auto p = hashing::ParsePolicy(Parse(policy_json));
    REQUIRE(p.has_value());
    policy = std::move(*p);
    agent::DetectorOptions options;
    options.cluster = "prod-eu";
    options.now_unix_nanos = [] { return kNow; };
    detector = std::make_unique<agent::Detector>(
        policy, hasher, options,
        [this](std::shared_ptr<const DriftEvent> e) { events.push_back(std::move(e)); },
        plumbline::NullTelemetry());
    detector->SetHpaChangeCallback(
        [this](std::string group, std::string kind) { hpa_resyncs.push_back(group + "/" + kind); });
    plumbline::render::Bundle bundle;
    bundle.sources.push_back({"https://git.example/shop.git", "abc123", "apps/shop", "plain"});
    for (const char* doc : git) {
      auto t = hashing::PrepareTarget(Parse(doc), policy, hasher, "shop");
      REQUIRE(t.has_value());
      bundle.entries.push_back({std::move(*t), "web.yaml"});
    }
    detector->SetTargets(agent::TargetSet::FromBundle(std::move(bundle), 1));
  }

  static hashing::Value Parse(const char* json) {
    auto v = hashing::ParseJson(json);
    REQUIRE(v.has_value());
    return std::move(*v);
  }

  void Deliver(const agent::ApiResource& r, agent::WatchEventType type, const std::string& json) {
    simdjson::dom::element root;
    REQUIRE(parser.parse(json).get(root) == simdjson::SUCCESS);
    detector->OnObject(r, type, root, kNow - 2'000'000);
  }
  void Snapshot(const agent::ApiResource& r, const std::vector<std::string>& objects) {
    detector->OnResync(r);
    for (const auto& json : objects) {
      Deliver(r, agent::WatchEventType::kAdded, json);
    }
    detector->OnSynced(r);
  }
  std::vector<EventType> Types() const {
    std::vector<EventType> out;
    for (const auto& e : events) {
      out.push_back(e->type);
    }
    return out;
  }
};

using Type = agent::WatchEventType;

}  // namespace

TEST_CASE("Detector: an object in sync at start produces no event", "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10)});
  CHECK(h.events.empty());
  const auto c = h.detector->counts();
  CHECK(c.in_sync == 1);
  CHECK(c.tracked == 1);
}

TEST_CASE("Detector: set image drifts once, status churn is silent, revert resolves",
          "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10)});
  h.Deliver(kDeployments, Type::kModified, LiveDeployment(11, "nginx:1.26"));
  REQUIRE(h.events.size() == 1);
  const DriftEvent& e = *h.events[0];
  CHECK(e.type == EventType::kDrifted);
  CHECK(e.drift_kind == "modified");
  CHECK(e.cluster == "prod-eu");
  CHECK(e.resource.kind == "Deployment");
  CHECK(e.resource.namespace_ == "shop");
  CHECK(e.resource.uid == "uid-web");
  CHECK(e.resource.resource_version == "11");
  CHECK(e.target.source == "https://git.example/shop.git/apps/shop");
  CHECK(e.target.revision == "abc123");
  CHECK(e.target.path == "web.yaml");
  CHECK(e.time == "2023-11-14T22:13:20.123Z");
  REQUIRE(e.changes.size() == 1);
  CHECK(e.changes[0].path == "/spec/template/spec/containers/0/image");
  CHECK(e.changes[0].git_json == std::optional<std::string>("\"nginx:1.25\""));
  CHECK(e.changes[0].live_json == std::optional<std::string>("\"nginx:1.26\""));
  REQUIRE(e.changes[0].actor.has_value());
  CHECK(e.changes[0].actor->manager == "kubectl-set");
  REQUIRE(e.patch.size() == 1);
  CHECK(e.patch[0].op == "replace");
  CHECK(e.diff.find("+") != std::string::npos);
  CHECK(e.message.find("kubectl-set") != std::string::npos);

  // Status-only updates of a drifted object: same digests, no event, no comparison.
  const auto compares = h.detector->counts().compares;
  h.Deliver(kDeployments, Type::kModified, LiveDeployment(12, "nginx:1.26", 2, 1));
  h.Deliver(kDeployments, Type::kModified, LiveDeployment(13, "nginx:1.26", 2, 2));
  CHECK(h.events.size() == 1);
  CHECK(h.detector->counts().compares == compares);

  h.Deliver(kDeployments, Type::kModified, LiveDeployment(14));
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1]->type == EventType::kResolved);
  CHECK(h.events[1]->resource.resource_version == "14");
  CHECK(h.detector->counts().in_sync == 1);
}

TEST_CASE("Detector: a changed drift is reported again, a relist is not", "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10, "nginx:1.26")});
  REQUIRE(h.Types() == std::vector<EventType>{EventType::kDrifted});
  h.Deliver(kDeployments, Type::kModified, LiveDeployment(11, "nginx:1.27"));
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1]->changes.at(0).live_json == std::optional<std::string>("\"nginx:1.27\""));
  // A relist (watch restart, 410) delivers the same resourceVersion: nothing new.
  h.Snapshot(kDeployments, {LiveDeployment(11, "nginx:1.27")});
  CHECK(h.events.size() == 2);
  CHECK(h.detector->counts().skipped == 1);
}

TEST_CASE("Detector: delete yields Missing, recreate yields Resolved", "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10)});
  h.Deliver(kDeployments, Type::kDeleted, LiveDeployment(11));
  REQUIRE(h.Types() == std::vector<EventType>{EventType::kMissing});
  CHECK(h.events[0]->drift_kind == "missing");
  CHECK(h.events[0]->resource.uid == "uid-web");
  CHECK(h.detector->counts().missing == 1);
  // A relist that still lacks it says nothing more.
  h.Snapshot(kDeployments, {});
  CHECK(h.events.size() == 1);
  h.Deliver(kDeployments, Type::kAdded, LiveDeployment(20));
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1]->type == EventType::kResolved);
}

TEST_CASE("Detector: a declared object absent from the first list is Missing",
          "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {});
  REQUIRE(h.Types() == std::vector<EventType>{EventType::kMissing});
  CHECK(h.events[0]->resource.name == "web");
  CHECK(h.events[0]->resource.resource_version.empty());
}

TEST_CASE("Detector: an object that vanished between lists is Missing", "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10)});
  h.Snapshot(kDeployments, {});  // the DELETED event was lost with the watch
  REQUIRE(h.Types() == std::vector<EventType>{EventType::kMissing});
}

TEST_CASE("Detector: orphans in managed namespaces, and their resolution", "[agent][detector]") {
  Harness h(R"({"orphans": {"enabled": true, "namespaces": ["shop"]}})");
  h.Snapshot(kConfigMaps, {});
  CHECK(h.events.empty());
  h.Deliver(kConfigMaps, Type::kAdded, LiveConfigMap("debug", 30));
  REQUIRE(h.Types() == std::vector<EventType>{EventType::kOrphan});
  CHECK(h.events[0]->drift_kind == "orphan");
  REQUIRE_FALSE(h.events[0]->changes.empty());
  REQUIRE(h.events[0]->changes[0].actor.has_value());
  CHECK(h.events[0]->changes[0].actor->manager == "kubectl-create");
  // Updates of the orphan are not new events.
  h.Deliver(kConfigMaps, Type::kModified, LiveConfigMap("debug", 31));
  CHECK(h.events.size() == 1);
  h.Deliver(kConfigMaps, Type::kDeleted, LiveConfigMap("debug", 32));
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1]->type == EventType::kResolved);
  CHECK(h.detector->counts().tracked == 0);  // nothing left to remember
}

TEST_CASE("Detector: untracked objects outside orphan scope cost no state", "[agent][detector]") {
  Harness h;
  h.Snapshot(kConfigMaps, {LiveConfigMap("a", 1), LiveConfigMap("b", 2)});
  CHECK(h.events.empty());
  CHECK(h.detector->counts().tracked == 0);
}

TEST_CASE("Detector: a tracking marker without a target is Extraneous", "[agent][detector]") {
  Harness h;
  h.Snapshot(kConfigMaps,
             {LiveConfigMap("old", 5,
                            R"({"argocd.argoproj.io/tracking-id": "shop:/ConfigMap:shop/old"})")});
  REQUIRE(h.Types() == std::vector<EventType>{EventType::kExtraneous});
  CHECK(h.events[0]->drift_kind == "extraneous");
  // Gone from the next list: resolved.
  h.Snapshot(kConfigMaps, {});
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1]->type == EventType::kResolved);
}

TEST_CASE("Detector: replicas set by an HPA are not drift", "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10)});
  const std::string hpa_owner = R"({"manager": "kube-controller-manager", "operation": "Update",
    "apiVersion": "apps/v1", "subresource": "scale", "time": "2026-11-02T11:00:00Z",
    "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}})";
  h.Deliver(kDeployments, Type::kModified, LiveDeployment(11, "nginx:1.25", 5, 2, "", hpa_owner));
  REQUIRE(h.Types() == std::vector<EventType>{EventType::kDrifted});
  CHECK(h.events[0]->changes.at(0).path == "/spec/replicas");
  // An HPA appears for the Deployment: it is judged again when the reflector resyncs it.
  h.Snapshot(kHpas, {R"({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "shop", "uid": "h1", "resourceVersion": "12"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
      "minReplicas": 2, "maxReplicas": 10}})"});
  CHECK(h.hpa_resyncs == std::vector<std::string>{"apps/Deployment"});
  h.Snapshot(kDeployments, {LiveDeployment(11, "nginx:1.25", 5, 2, "", hpa_owner)});
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1]->type == EventType::kResolved);
}

TEST_CASE("Detector: a rollout restart is Info, not drift", "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10)});
  h.Deliver(kDeployments, Type::kModified,
            LiveDeployment(11, "nginx:1.25", 2, 2, "2026-11-23T10:00:00Z"));
  REQUIRE(h.Types() == std::vector<EventType>{EventType::kInfo});
  CHECK(h.events[0]->message.find("2026-11-23T10:00:00Z") != std::string::npos);
  h.Deliver(kDeployments, Type::kModified,
            LiveDeployment(12, "nginx:1.25", 2, 1, "2026-11-23T10:00:00Z"));
  CHECK(h.events.size() == 1);
}

TEST_CASE("Detector: event ids are deterministic across agents", "[agent][detector]") {
  Harness a;
  Harness b;
  for (Harness* h : {&a, &b}) {
    h->Snapshot(kDeployments, {LiveDeployment(10, "nginx:1.26")});
  }
  REQUIRE(a.events.size() == 1);
  REQUIRE(b.events.size() == 1);
  CHECK(a.events[0]->id == b.events[0]->id);
  CHECK(a.events[0]->id.size() == 32);
  // Another resourceVersion, another id.
  a.Deliver(kDeployments, Type::kModified, LiveDeployment(11, "nginx:1.27"));
  REQUIRE(a.events.size() == 2);
  CHECK(a.events[1]->id != a.events[0]->id);
}

TEST_CASE("Detector: a new target revision re-judges tracked objects", "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10, "nginx:1.26")});
  REQUIRE(h.events.size() == 1);
  // Git moves to the live image: after the resync the object is in sync.
  std::string git = kGitDeployment;
  git.replace(git.find("nginx:1.25"), 10, "nginx:1.26");
  plumbline::render::Bundle bundle;
  auto t = hashing::PrepareTarget(Harness::Parse(git.c_str()), h.policy, h.hasher, "shop");
  REQUIRE(t.has_value());
  bundle.entries.push_back({std::move(*t), "web.yaml"});
  h.detector->SetTargets(agent::TargetSet::FromBundle(std::move(bundle), 2));
  h.Snapshot(kDeployments, {LiveDeployment(10, "nginx:1.26")});
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1]->type == EventType::kResolved);
}

TEST_CASE("DriftEventToJson writes the documented schema", "[agent][detector]") {
  Harness h;
  h.Snapshot(kDeployments, {LiveDeployment(10, "nginx:1.26")});
  REQUIRE(h.events.size() == 1);
  auto doc = hashing::ParseJson(plumbline::DriftEventToJson(*h.events[0]));
  REQUIRE(doc.has_value());
  CHECK(doc->GetString("apiVersion") == "plumbline.dev/v1alpha1");
  CHECK(doc->GetString("kind") == "DriftEvent");
  CHECK(doc->GetString("type") == "Drifted");
  CHECK(doc->GetString("id") == h.events[0]->id);
  const hashing::Value* changes = doc->Find("changes");
  REQUIRE(changes != nullptr);
  REQUIRE(changes->items().size() == 1);
  CHECK(changes->items()[0].Find("actor")->GetString("manager") == "kubectl-set");
  CHECK(changes->items()[0].Find("live")->text() == "nginx:1.26");
}
