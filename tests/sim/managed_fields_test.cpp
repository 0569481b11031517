// kube-sim's managedFields bookkeeping: FieldsV1 round trips on real objects, the Update
// accounting of create / label / scale / set image / edit, server-side apply (create, re-apply,
// pruning, conflicts, force, shared ownership, kubectl's CSA interplay), and the drift engine
// reading what the simulator writes.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/json.h"
#include "plumbline/render/yaml_reader.h"
#include "plumbline/sim/field_set.h"
#include "plumbline/sim/server_side_apply.h"

#include "support/fake_hasher.h"
#include "support/shared_dir.h"

namespace hashing = plumbline::hashing;
namespace sim = plumbline::sim;
using hashing::Value;

namespace {

constexpr const char* kT0 = "2026-01-01T00:00:00Z";
constexpr const char* kT1 = "2026-01-02T00:00:00Z";
constexpr const char* kT2 = "2026-01-03T00:00:00Z";
constexpr const char* kT3 = "2026-01-04T00:00:00Z";

Value Json(const std::string& text) {
  auto v = hashing::ParseJson(text);
  INFO(text);
  REQUIRE(v.has_value());
  return std::move(*v);
}

Value Yaml(const std::string& text) {
  auto docs = plumbline::render::ParseYamlStream(text);
  REQUIRE(docs.has_value());
  REQUIRE(!docs->empty());
  return (*docs)[0].value;
}

std::vector<Value> ManagedFields(const Value& object) {
  const Value* meta = object.Find("metadata");
  const Value* mf = meta != nullptr ? meta->Find("managedFields") : nullptr;
  if (mf == nullptr || !mf->is_array()) {
    return {};
  }
  return mf->items();
}

// The entry of `manager` (and `operation`, `subresource` when given), or null.
const Value* EntryOf(const Value& object, std::string_view manager, std::string_view operation = "",
                     std::string_view subresource = "") {
  const Value* meta = object.Find("metadata");
  const Value* mf = meta != nullptr ? meta->Find("managedFields") : nullptr;
  if (mf == nullptr) {
    return nullptr;
  }
  for (const Value& e : mf->items()) {
    if (e.GetString("manager") == manager &&
        (operation.empty() || e.GetString("operation") == operation) &&
        e.GetString("subresource") == subresource) {
      return &e;
    }
  }
  return nullptr;
}

// The fieldsV1 of an entry that must exist.
Value FieldsOf(const Value& object, std::string_view manager, std::string_view operation = "",
               std::string_view subresource = "") {
  const Value* e = EntryOf(object, manager, operation, subresource);
  INFO("manager " << manager);
  REQUIRE(e != nullptr);
  const Value* f = e->Find("fieldsV1");
  REQUIRE(f != nullptr);
  return *f;
}

sim::FieldSet SetOf(const Value& fields_v1) {
  auto s = sim::FieldSet::FromFieldsV1(fields_v1);
  REQUIRE(s.has_value());
  return std::move(*s);
}

std::string Show(const Value& v) { return hashing::ToJson(v); }

// The server defaults kube-sim's defaults.cpp adds to a Deployment, enough for these tests.
void DefaultDeployment(Value& d) {
  Value& spec = *d.Find("spec");
  if (spec.Find("replicas") == nullptr) {
    spec.Set("replicas", Value::Int(1));
  }
  spec.Set("revisionHistoryLimit", Value::Int(10));
  spec.Set("progressDeadlineSeconds", Value::Int(600));
  if (spec.Find("strategy") == nullptr) {
    spec.Set("strategy", Json(R"({"type":"RollingUpdate",
        "rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}})"));
  }
  Value& tmeta = *spec.Find("template")->Find("metadata");
  tmeta.Set("creationTimestamp", Value::Null());
  Value& pod = *spec.Find("template")->Find("spec");
  for (Value& c : pod.Find("containers")->items()) {
    if (c.Find("imagePullPolicy") == nullptr) {
      c.Set("imagePullPolicy", Value::String("IfNotPresent"));
    }
    if (c.Find("resources") == nullptr) {
      c.Set("resources", Value::MakeObject());
    }
    c.Set("terminationMessagePath", Value::String("/dev/termination-log"));
    c.Set("terminationMessagePolicy", Value::String("File"));
    if (Value* ports = c.Find("ports")) {
      for (Value& p : ports->items()) {
        if (p.Find("protocol") == nullptr) {
          p.Set("protocol", Value::String("TCP"));
        }
      }
    }
  }
  pod.Set("restartPolicy", Value::String("Always"));
  pod.Set("terminationGracePeriodSeconds", Value::Int(30));
  pod.Set("dnsPolicy", Value::String("ClusterFirst"));
  pod.Set("securityContext", Value::MakeObject());
  pod.Set("schedulerName", Value::String("default-scheduler"));
}

// What the API server adds on create besides defaults.
void ServerMetadata(Value& obj) {
  Value& meta = *obj.Find("metadata");
  meta.Set("uid", Value::String("0dde8352-ecb5-5b01-a00f-3b6c1c15386e"));
  meta.Set("resourceVersion", Value::String("100"));
  meta.Set("creationTimestamp", Value::String(kT0));
  meta.Set("generation", Value::Int(1));
}

constexpr const char* kFrontend = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"labels": {"app": "frontend"}, "name": "frontend", "namespace": "shop"},
  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "frontend"}},
    "template": {"metadata": {"labels": {"app": "frontend"}},
      "spec": {"containers": [{"env": [{"name": "MODE", "value": "prod"}], "image": "nginx:1.25",
        "name": "web", "ports": [{"containerPort": 80}]}]}}}})";

// `kubectl create -f` of kFrontend: defaults, server metadata, the kubectl-create entry.
Value CreatedFrontend() {
  Value obj = Json(kFrontend);
  DefaultDeployment(obj);
  ServerMetadata(obj);
  sim::RecordUpdate(obj, nullptr, "kubectl-create", "", "apps/v1", kT0, "apps", "Deployment");
  return obj;
}

// `kubectl apply --server-side --field-manager=argocd-controller` of kFrontend on an empty
// cluster, followed by the server's defaults.
Value AppliedFrontend(const char* manager = "argocd-controller") {
  auto out = sim::ServerSideApply(nullptr, Json(kFrontend), manager, false, "apps/v1", kT0, "apps",
                                  "Deployment");
  REQUIRE(out.has_value());
  REQUIRE(out->conflicts.empty());
  Value obj = std::move(out->object);
  DefaultDeployment(obj);
  ServerMetadata(obj);
  return obj;
}

// A write through `mutate` recorded as an Update by `manager`.
template <typename Mutate>
Value Write(const Value& old_obj, const char* manager, const char* time, Mutate mutate,
            const char* subresource = "") {
  Value obj = old_obj;
  mutate(obj);
  sim::RecordUpdate(obj, &old_obj, manager, subresource, "apps/v1", time, "apps", "Deployment");
  return obj;
}

Value& Container(Value& deploy, std::size_t i = 0) {
  return deploy.Find("spec")->Find("template")->Find("spec")->Find("containers")->items()[i];
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// FieldSet

TEST_CASE("FieldSet: segments, conflict paths and canonical keys", "[sim][managedfields]") {
  auto key = sim::PathElement::FromSegment(R"(k:{"protocol": "TCP", "containerPort": 80})");
  REQUIRE(key.has_value());
  CHECK(key->segment() == R"(k:{"containerPort":80,"protocol":"TCP"})");
  CHECK(key->ToString() == R"([containerPort=80,protocol="TCP"])");
  auto set_item = sim::PathElement::FromSegment(R"(v:"kubernetes")");
  REQUIRE(set_item.has_value());
  CHECK(set_item->ToString() == R"([="kubernetes"])");
  CHECK_FALSE(sim::PathElement::FromSegment("x:y").has_value());
  CHECK_FALSE(sim::PathElement::FromSegment("k:[1]").has_value());
  CHECK_FALSE(sim::PathElement::FromSegment("i:3x").has_value());

  const sim::FieldPath image = {sim::PathElement::Field("spec"),
                                sim::PathElement::Field("template"),
                                sim::PathElement::Field("spec"),
                                sim::PathElement::Field("containers"),
                                sim::PathElement::Key(Json(R"({"name":"web"})")),
                                sim::PathElement::Field("image")};
  CHECK(sim::PathString(image) == R"(.spec.template.spec.containers[name="web"].image)");
}

TEST_CASE("FieldSet: FieldsV1 is written in the API server's order with '.' first",
          "[sim][managedfields]") {
  const Value in = Json(R"({"f:spec":{"f:ports":{
      "k:{\"port\":443,\"protocol\":\"TCP\"}":{".":{},"f:port":{}},
      "k:{\"port\":80,\"protocol\":\"TCP\"}":{"f:port":{},".":{}}},
      "f:selector":{}},
    "f:metadata":{"f:finalizers":{"v:\"b\"":{},"v:\"a\"":{}},"f:labels":{"f:x":{},".":{}}}})");
  sim::FieldSet s = SetOf(in);
  CHECK(s.size() == 9);
  CHECK(
      Show(s.ToFieldsV1()) ==
      R"({"f:metadata":{"f:finalizers":{"v:\"a\"":{},"v:\"b\"":{}},"f:labels":{".":{},"f:x":{}}},)"
      R"("f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{}},)"
      R"("k:{\"port\":443,\"protocol\":\"TCP\"}":{".":{},"f:port":{}}},"f:selector":{}}})");
  CHECK(s.ToFieldsV1() == in);
}

TEST_CASE("FieldSet: union, difference, intersection, recursive difference",
          "[sim][managedfields]") {
  sim::FieldSet a = SetOf(Json(R"({"f:a":{"f:b":{},"f:c":{}},"f:d":{}})"));
  sim::FieldSet b = SetOf(Json(R"({"f:a":{"f:c":{},"f:e":{}},"f:f":{}})"));
  CHECK(a.Union(b).ToFieldsV1() ==
        Json(R"({"f:a":{"f:b":{},"f:c":{},"f:e":{}},"f:d":{},"f:f":{}})"));
  CHECK(a.Difference(b).ToFieldsV1() == Json(R"({"f:a":{"f:b":{}},"f:d":{}})"));
  CHECK(a.Intersection(b).ToFieldsV1() == Json(R"({"f:a":{"f:c":{}}})"));
  CHECK(a.Difference(a).empty());
  sim::FieldSet node = SetOf(Json(R"({"f:a":{}})"));  // "a" itself
  CHECK(a.Difference(node) == a);                     // exact paths: a.b, a.c stay
  CHECK(a.RecursiveDifference(node).ToFieldsV1() == Json(R"({"f:d":{}})"));
  CHECK(a.Has({sim::PathElement::Field("a"), sim::PathElement::Field("b")}));
  CHECK_FALSE(a.Has({sim::PathElement::Field("a")}));
  CHECK(a.WithNamedFieldsAsMembers().Has({sim::PathElement::Field("a")}));
}

TEST_CASE("FieldSet: round-trips the managedFields of real objects (gitops-engine testdata)",
          "[sim][managedfields]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  const std::string dir = shared + "/testdata/gitops-engine/";
  int entries = 0;
  for (const char* name : {"smd-deploy-live.yaml", "smd-deploy2-live.yaml", "smd-service-live.yaml",
                           "smd-service-live-with-type.yaml", "ssd-deploy-composite-key-live.yaml",
                           "ssd-deploy-nested-live.yaml", "ssd-deploy-with-manual-apply-live.yaml",
                           "ssd-service-live.yaml", "ssd-svc-label-live.yaml"}) {
    const Value live = Yaml(plumbline::testing::ReadFileForTest(dir + name));
    for (const Value& e : ManagedFields(live)) {
      INFO(name << " " << e.GetString("manager"));
      const Value& fields = *e.Find("fieldsV1");
      sim::FieldSet s = SetOf(fields);
      CHECK(s.ToFieldsV1() == fields);
      CHECK_FALSE(s.empty());
      ++entries;
    }
  }
  CHECK(entries == 16);
}

// ---------------------------------------------------------------------------------------------
// What an object sets

TEST_CASE("LeavesOf: the Apply entries of the corpus are the fields of what was applied",
          "[sim][managedfields]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  auto docs = plumbline::render::ParseYamlStream(
      plumbline::testing::ReadFileForTest(shared + "/corpus/cases.yaml"));
  REQUIRE(docs.has_value());
  const Value* cases = (*docs)[0].value.Find("cases");
  REQUIRE(cases != nullptr);
  int checked = 0;
  for (const Value& c : cases->items()) {
    const Value* target = c.Find("target");
    const Value* live = c.Find("live");
    if (target == nullptr || !target->is_object() || live == nullptr || !live->is_object() ||
        c.GetString("expected") != "in_sync") {
      continue;
    }
    const Value* entry = EntryOf(*live, "argocd-controller", "Apply");
    if (entry == nullptr) {
      continue;
    }
    // Argo CD applies the Git object plus its tracking annotation.
    Value applied = *target;
    const Value* annotations = live->Find("metadata")->Find("annotations");
    if (const Value* id = annotations != nullptr
                              ? annotations->Find("argocd.argoproj.io/tracking-id")
                              : nullptr) {
      applied.Find("metadata")->Find("annotations") != nullptr
          ? applied.Find("metadata")
                ->Find("annotations")
                ->Set("argocd.argoproj.io/tracking-id", *id)
          : applied.Find("metadata")
                ->Set("annotations",
                      Json(R"({"argocd.argoproj.io/tracking-id":)" + Show(*id) + "}"));
    }
    const std::string id(c.GetString("id"));
    if (id == "fp-07") {
      // Hand-written entry for a manifest full of empty values; it records `imagePullSecrets:
      // []` (a keyed list: structured-merge-diff's ToFieldSet records nothing for an empty one)
      // and leaves out `annotations: null` (a null is recorded as a leaf).
      continue;
    }
    const std::string group(hashing::IdentityOf(*live)->group);
    const std::string kind(live->GetString("kind"));
    INFO(id);
    // Fields other managers changed since (HPA scale, kubectl edit, the aggregation
    // controller's forced apply) left the applier's entry.
    sim::FieldSet taken;
    for (const Value& e : ManagedFields(*live)) {
      if (e.GetString("manager") != "argocd-controller") {
        taken = taken.Union(SetOf(*e.Find("fieldsV1")));
      }
    }
    const sim::FieldSet expected = SetOf(*entry->Find("fieldsV1"));
    const sim::FieldSet computed = sim::ApplyFieldSet(applied, group, kind);
    // Every recorded field was applied, and every applied field missing from the entry is
    // owned by another manager now; with nobody else involved, the two are equal.
    CHECK(Show(expected.Difference(computed).ToFieldsV1()) == "{}");
    CHECK(Show(computed.Difference(expected).Difference(taken).ToFieldsV1()) == "{}");
    if (taken.empty()) {
      CHECK(Show(computed.ToFieldsV1()) == Show(expected.ToFieldsV1()));
    }
    // LeavesOf is the raw set: apiVersion, kind, name and namespace included.
    sim::FieldSet raw = sim::FieldSet::LeavesOf(applied, group, kind);
    CHECK(raw.Has({sim::PathElement::Field("metadata"), sim::PathElement::Field("name")}));
    CHECK(raw.Has({sim::PathElement::Field("kind")}));
    ++checked;
  }
  CHECK(checked >= 8);
}

TEST_CASE("LeavesOf: gitops-engine configurations give their live Apply entries",
          "[sim][managedfields]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  const std::string dir = shared + "/testdata/gitops-engine/";
  for (auto [config, live_name] : std::vector<std::pair<const char*, const char*>>{
           {"smd-deploy-config.yaml", "smd-deploy-live.yaml"},
           {"ssd-service-config.yaml", "ssd-service-live.yaml"},
           {"smd-service-config.yaml", "smd-service-live.yaml"}}) {
    INFO(config);
    const Value applied = Yaml(plumbline::testing::ReadFileForTest(dir + config));
    const Value live = Yaml(plumbline::testing::ReadFileForTest(dir + live_name));
    const std::string kind(live.GetString("kind"));
    const std::string group = kind == "Deployment" ? "apps" : "";
    CHECK(Show(sim::ApplyFieldSet(applied, group, kind).ToFieldsV1()) ==
          Show(SetOf(FieldsOf(live, "argocd-controller", "Apply")).ToFieldsV1()));
  }
}

// ---------------------------------------------------------------------------------------------
// Update accounting

TEST_CASE("Update: create and later Update writers, against a real object",
          "[sim][managedfields]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  // A Deployment argocd-controller created with a client-side (Update) write, to which
  // kubectl-client-side-apply later added a container (ssd-deploy-with-manual-apply-live.yaml).
  const Value real = Yaml(plumbline::testing::ReadFileForTest(
      shared + "/testdata/gitops-engine/ssd-deploy-with-manual-apply-live.yaml"));
  Value created = real;
  created.Erase("status");
  Value& meta = *created.Find("metadata");
  meta.Erase("managedFields");
  meta.Set("annotations", Value::MakeObject());
  auto& containers =
      created.Find("spec")->Find("template")->Find("spec")->Find("containers")->items();
  REQUIRE(containers.size() == 2);
  Value idle = containers[1];
  containers.pop_back();
  sim::RecordUpdate(created, nullptr, "argocd-controller", "", "apps/v1", "2025-02-25T01:19:32Z",
                    "apps", "Deployment");
  // Maps and items the creator made carry "." (labels, rollingUpdate, ports, resources); spec,
  // template and strategy exist in the zero Deployment and do not.
  CHECK(Show(FieldsOf(created, "argocd-controller", "Update")) ==
        Show(SetOf(FieldsOf(real, "argocd-controller", "Update")).ToFieldsV1()));
  REQUIRE(ManagedFields(created).size() == 1);
  CHECK(ManagedFields(created)[0].GetString("time") == "2025-02-25T01:19:32Z");

  // kubectl apply (client-side) adds the idle container and its annotation.
  Value applied = created;
  idle.Set("resources", Value::MakeObject());
  applied.Find("spec")->Find("template")->Find("spec")->Find("containers")->items().push_back(idle);
  applied.Find("metadata")
      ->Find("annotations")
      ->Set("kubectl.kubernetes.io/last-applied-configuration", Value::String("{}\n"));
  sim::RecordUpdate(applied, &created, "kubectl-client-side-apply", "", "apps/v1",
                    "2025-02-25T01:29:34Z", "apps", "Deployment");
  CHECK(Show(FieldsOf(applied, "kubectl-client-side-apply")) ==
        Show(SetOf(FieldsOf(real, "kubectl-client-side-apply")).ToFieldsV1()));
  // The creator's entry is untouched (same bytes, same time).
  CHECK(*EntryOf(applied, "argocd-controller") == *EntryOf(created, "argocd-controller"));
  // Entries are sorted: by operation, then time.
  REQUIRE(ManagedFields(applied).size() == 2);
  CHECK(ManagedFields(applied)[0].GetString("manager") == "argocd-controller");
}

TEST_CASE("Update: kubectl create owns every field of the stored object, defaults included",
          "[sim][managedfields]") {
  const Value obj = CreatedFrontend();
  REQUIRE(ManagedFields(obj).size() == 1);
  const std::vector<Value> entries = ManagedFields(obj);
  const Value& e = entries[0];
  CHECK(e.GetString("manager") == "kubectl-create");
  CHECK(e.GetString("operation") == "Update");
  CHECK(e.GetString("apiVersion") == "apps/v1");
  CHECK(e.GetString("time") == kT0);
  CHECK(e.GetString("fieldsType") == "FieldsV1");
  CHECK(e.Find("subresource") == nullptr);
  CHECK(*e.Find("fieldsV1") == Json(R"({
    "f:metadata":{"f:labels":{".":{},"f:app":{}}},
    "f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},
      "f:selector":{},
      "f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},
      "f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
        "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},
            "f:env":{".":{},"k:{\"name\":\"MODE\"}":{".":{},"f:name":{},"f:value":{}}},
            "f:image":{},"f:imagePullPolicy":{},"f:name":{},
            "f:ports":{".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},
              "f:containerPort":{},"f:protocol":{}}},
            "f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},
          "f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},
          "f:terminationGracePeriodSeconds":{}}}}})"));
}

TEST_CASE("Update: a custom resource's creator owns its spec as a created map",
          "[sim][managedfields]") {
  Value obj = Json(R"({"apiVersion":"example.com/v1","kind":"Widget",
    "metadata":{"name":"w","namespace":"shop"},"spec":{"size":3,"tags":["a","b"]}})");
  sim::RecordUpdate(obj, nullptr, "kubectl-create", "", "example.com/v1", kT0, "example.com",
                    "Widget");
  CHECK(FieldsOf(obj, "kubectl-create") == Json(R"({"f:spec":{".":{},"f:size":{},"f:tags":{}}})"));
}

TEST_CASE("Update: kubectl label, scale and set image own exactly what they changed",
          "[sim][managedfields]") {
  const Value created = CreatedFrontend();

  SECTION("label") {
    const Value labeled = Write(created, "kubectl-label", kT1, [](Value& o) {
      o.Find("metadata")->Find("labels")->Set("tier", Value::String("web"));
    });
    CHECK(FieldsOf(labeled, "kubectl-label") ==
          Json(R"({"f:metadata":{"f:labels":{"f:tier":{}}}})"));
    CHECK(EntryOf(labeled, "kubectl-label")->GetString("time") == kT1);
    CHECK(*EntryOf(labeled, "kubectl-create") == *EntryOf(created, "kubectl-create"));
    // kubectl label tier- : the label's only owner loses it, and its entry goes; nobody gains.
    const Value unlabeled = Write(labeled, "kubectl-label", kT2, [](Value& o) {
      o.Find("metadata")->Find("labels")->Erase("tier");
    });
    CHECK(EntryOf(unlabeled, "kubectl-label") == nullptr);
    CHECK(ManagedFields(unlabeled) == ManagedFields(created));
  }
  SECTION("a label on an object without labels creates the map") {
    Value obj = Json(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c","namespace":"shop"},"data":{"a":"b"}})");
    sim::RecordUpdate(obj, nullptr, "kubectl-create", "", "v1", kT0, "", "ConfigMap");
    CHECK(FieldsOf(obj, "kubectl-create") == Json(R"({"f:data":{".":{},"f:a":{}}})"));
    Value labeled = obj;
    labeled.Find("metadata")->Set("labels", Json(R"({"tier":"web"})"));
    sim::RecordUpdate(labeled, &obj, "kubectl-label", "", "v1", kT1, "", "ConfigMap");
    CHECK(FieldsOf(labeled, "kubectl-label") ==
          Json(R"({"f:metadata":{"f:labels":{".":{},"f:tier":{}}}})"));
  }
  SECTION("scale") {
    const Value scaled = Write(
        created, "kubectl", kT1, [](Value& o) { o.Find("spec")->Set("replicas", Value::Int(5)); },
        "scale");
    const Value* e = EntryOf(scaled, "kubectl", "Update", "scale");
    REQUIRE(e != nullptr);
    CHECK(*e->Find("fieldsV1") == Json(R"({"f:spec":{"f:replicas":{}}})"));
    CHECK(e->GetString("apiVersion") == "apps/v1");
    CHECK(e->GetString("time") == kT1);
    // The creator no longer owns replicas.
    CHECK_FALSE(SetOf(FieldsOf(scaled, "kubectl-create"))
                    .Has({sim::PathElement::Field("spec"), sim::PathElement::Field("replicas")}));
    // Entry order: Update entries by time.
    REQUIRE(ManagedFields(scaled).size() == 2);
    CHECK(ManagedFields(scaled)[1].GetString("subresource") == "scale");
  }
  SECTION("set image") {
    const Value set = Write(created, "kubectl-set", kT1, [](Value& o) {
      Container(o).Set("image", Value::String("nginx:1.28"));
    });
    CHECK(
        Show(FieldsOf(set, "kubectl-set")) ==
        R"({"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}})");
    CHECK_FALSE(SetOf(FieldsOf(set, "kubectl-create"))
                    .Has({sim::PathElement::Field("spec"), sim::PathElement::Field("template"),
                          sim::PathElement::Field("spec"), sim::PathElement::Field("containers"),
                          sim::PathElement::Key(Json(R"({"name":"web"})")),
                          sim::PathElement::Field("image")}));
  }
  SECTION("status writes own status only through the status subresource") {
    const Value main = Write(created, "kubectl-edit", kT1,
                             [](Value& o) { o.Set("status", Json(R"({"replicas":2})")); });
    CHECK(ManagedFields(main) == ManagedFields(created));
    const Value status = Write(
        created, "kube-controller-manager", kT1,
        [](Value& o) {
          o.Set("status", Json(R"({"replicas":2,"conditions":[{"type":"Available",
            "status":"True"}]})"));
        },
        "status");
    CHECK(FieldsOf(status, "kube-controller-manager", "Update", "status") == Json(R"({"f:status":{
        ".":{},"f:conditions":{".":{},"k:{\"type\":\"Available\"}":{".":{},"f:status":{},
        "f:type":{}}},"f:replicas":{}}})"));
  }
}

TEST_CASE("Update: ownership moves between Update managers; time changes only with fields",
          "[sim][managedfields]") {
  const Value created = CreatedFrontend();
  const Value set = Write(created, "kubectl-set", kT1,
                          [](Value& o) { Container(o).Set("image", Value::String("nginx:1.28")); });
  // kubectl edit changes the image again and the replicas: kubectl-set's only field moves, so
  // its entry goes; the creator loses replicas.
  const Value edited = Write(set, "kubectl-edit", kT2, [](Value& o) {
    Container(o).Set("image", Value::String("nginx:1.29"));
    o.Find("spec")->Set("replicas", Value::Int(7));
  });
  CHECK(EntryOf(edited, "kubectl-set") == nullptr);
  CHECK(FieldsOf(edited, "kubectl-edit") == Json(R"({"f:spec":{"f:replicas":{},"f:template":{
      "f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}})"));
  // The creator lost a field: its entry changed but it gained nothing, so its time stays.
  CHECK(EntryOf(edited, "kubectl-create")->GetString("time") == kT0);
  CHECK(FieldsOf(edited, "kubectl-create") != FieldsOf(created, "kubectl-create"));

  // The same manager writing again merges into its entry and takes the new time.
  const Value edited2 = Write(edited, "kubectl-edit", kT3, [](Value& o) {
    o.Find("spec")->Set("minReadySeconds", Value::Int(5));
  });
  CHECK(EntryOf(edited2, "kubectl-edit")->GetString("time") == kT3);
  CHECK(SetOf(FieldsOf(edited2, "kubectl-edit"))
            .Has({sim::PathElement::Field("spec"), sim::PathElement::Field("replicas")}));
  CHECK(SetOf(FieldsOf(edited2, "kubectl-edit"))
            .Has({sim::PathElement::Field("spec"), sim::PathElement::Field("minReadySeconds")}));

  SECTION("a write that changes nothing leaves managedFields untouched") {
    Value same = edited2;
    sim::RecordUpdate(same, &edited2, "kubectl-patch", "", "apps/v1", kT3, "apps", "Deployment");
    CHECK(Show(same) == Show(edited2));
    // Server-owned metadata does not count either.
    Value bumped = edited2;
    bumped.Find("metadata")->Set("generation", Value::Int(9));
    bumped.Find("metadata")->Set("resourceVersion", Value::String("999"));
    sim::RecordUpdate(bumped, &edited2, "kubectl-patch", "", "apps/v1", kT3, "apps", "Deployment");
    CHECK(ManagedFields(bumped) == ManagedFields(edited2));
  }
}

TEST_CASE("Update: a request's own managedFields are the starting point (CSA->SSA migration)",
          "[sim][managedfields]") {
  const Value created = CreatedFrontend();
  // kubectl's JSON patch replaces /metadata/managedFields with an Apply entry holding the old
  // client-side-apply manager's fields.
  const Value migrated = Json(R"([{"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1",
    "time":"2026-01-05T00:00:00Z","fieldsType":"FieldsV1",
    "fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{}}}},
    {"manager":"kubectl-last-applied","operation":"Apply","apiVersion":"apps/v1",
    "time":"2026-01-05T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{
    "f:annotations":{"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}}])");
  Value patched = created;
  patched.Find("metadata")->Set("managedFields", migrated);
  sim::RecordUpdate(patched, &created, "kubectl", "", "apps/v1", kT3, "apps", "Deployment");
  CHECK(*patched.Find("metadata")->Find("managedFields") == migrated);

  SECTION("an empty list keeps the stored ones") {
    Value p = created;
    p.Find("metadata")->Set("managedFields", Value::MakeArray());
    sim::RecordUpdate(p, &created, "kubectl-patch", "", "apps/v1", kT3, "apps", "Deployment");
    CHECK(ManagedFields(p) == ManagedFields(created));
  }
  SECTION("[{}] clears them, and later updates record nothing") {
    Value p = created;
    p.Find("metadata")->Set("managedFields", Json("[{}]"));
    sim::RecordUpdate(p, &created, "kubectl-patch", "", "apps/v1", kT3, "apps", "Deployment");
    CHECK(p.Find("metadata")->Find("managedFields") == nullptr);
    Value later = Write(p, "kubectl-edit", kT3,
                        [](Value& o) { o.Find("spec")->Set("replicas", Value::Int(9)); });
    CHECK(later.Find("metadata")->Find("managedFields") == nullptr);
  }
  SECTION("an invalid list is ignored") {
    Value p = created;
    p.Find("metadata")->Set("managedFields", Json(R"([{"manager":"x","operation":"Bogus"}])"));
    sim::RecordUpdate(p, &created, "kubectl-patch", "", "apps/v1", kT3, "apps", "Deployment");
    CHECK(ManagedFields(p) == ManagedFields(created));
  }
}

TEST_CASE("Update: more than ten Update managers are folded into ancient-changes",
          "[sim][managedfields]") {
  Value obj = CreatedFrontend();
  for (int i = 0; i < 11; ++i) {
    const std::string time =
        "2026-02-" + std::string(i < 9 ? "0" : "") + std::to_string(i + 1) + "T00:00:00Z";
    const std::string manager = "writer-" + std::to_string(i);
    obj = Write(obj, manager.c_str(), time.c_str(), [&](Value& o) {
      o.Find("metadata")->Find("labels")->Set("l" + std::to_string(i), Value::String("x"));
    });
  }
  const auto entries = ManagedFields(obj);
  CHECK(entries.size() == sim::kMaxUpdateManagers);
  const Value* ancient = EntryOf(obj, "ancient-changes");
  REQUIRE(ancient != nullptr);
  // Twelve Update entries: the three oldest (kubectl-create, writer-0, writer-1) became one
  // bucket, which has the time of the newest it took in.
  CHECK(ancient->GetString("time") == "2026-02-02T00:00:00Z");
  CHECK(EntryOf(obj, "kubectl-create") == nullptr);
  CHECK(EntryOf(obj, "writer-0") == nullptr);
  CHECK(EntryOf(obj, "writer-1") == nullptr);
  CHECK(EntryOf(obj, "writer-2") != nullptr);
  CHECK(SetOf(*ancient->Find("fieldsV1"))
            .Has({sim::PathElement::Field("metadata"), sim::PathElement::Field("labels"),
                  sim::PathElement::Field("l0")}));
}

// ---------------------------------------------------------------------------------------------
// Server-side apply

TEST_CASE("SSA: create records exactly the applied fields", "[sim][managedfields]") {
  const Value obj = AppliedFrontend();
  REQUIRE(ManagedFields(obj).size() == 1);
  const std::vector<Value> entries = ManagedFields(obj);
  const Value& e = entries[0];
  CHECK(e.GetString("manager") == "argocd-controller");
  CHECK(e.GetString("operation") == "Apply");
  CHECK(e.GetString("apiVersion") == "apps/v1");
  CHECK(e.GetString("time") == kT0);
  // Real-server shape: no name/namespace, protocol in the key but not owned, no defaults.
  CHECK(Show(*e.Find("fieldsV1")) ==
        R"({"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},)"
        R"("f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{)"
        R"("k:{\"name\":\"web\"}":{".":{},"f:env":{"k:{\"name\":\"MODE\"}":{".":{},"f:name":{},)"
        R"("f:value":{}}},"f:image":{},"f:name":{},"f:ports":{)"
        R"("k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}})");
  CHECK(obj.Find("spec")->GetString("replicas").empty());
  CHECK(obj.Find("metadata")->GetString("name") == "frontend");
}

TEST_CASE("SSA: re-applying the same configuration changes nothing", "[sim][managedfields]") {
  const Value live = AppliedFrontend();
  auto out = sim::ServerSideApply(&live, Json(kFrontend), "argocd-controller", false, "apps/v1",
                                  kT2, "apps", "Deployment");
  REQUIRE(out.has_value());
  CHECK(out->conflicts.empty());
  CHECK(Show(out->object) == Show(live));  // timestamps included

  SECTION("a second applier with equal values shares the fields") {
    auto shared = sim::ServerSideApply(&live, Json(kFrontend), "flux", false, "apps/v1", kT2,
                                       "apps", "Deployment");
    REQUIRE(shared.has_value());
    CHECK(shared->conflicts.empty());
    CHECK(FieldsOf(shared->object, "flux") == FieldsOf(live, "argocd-controller"));
    CHECK(FieldsOf(shared->object, "argocd-controller") == FieldsOf(live, "argocd-controller"));
    CHECK(EntryOf(shared->object, "flux")->GetString("time") == kT2);
  }
}

TEST_CASE("SSA: fields the applier dropped are removed unless someone else owns them",
          "[sim][managedfields]") {
  Value config = Json(kFrontend);
  config.Find("metadata")->Find("labels")->Set("tier", Value::String("web"));
  config.Find("metadata")->Find("labels")->Set("team", Value::String("a"));
  Container(config).Find("env")->items().push_back(Json(R"({"name":"DEBUG","value":"1"})"));
  auto first = sim::ServerSideApply(nullptr, config, "argocd-controller", false, "apps/v1", kT0,
                                    "apps", "Deployment");
  REQUIRE(first.has_value());
  Value live = first->object;
  DefaultDeployment(live);
  ServerMetadata(live);
  // kubectl label --overwrite team=b: the label changes hands.
  live = Write(live, "kubectl-label", kT1, [](Value& o) {
    o.Find("metadata")->Find("labels")->Set("team", Value::String("b"));
  });

  auto out = sim::ServerSideApply(&live, Json(kFrontend), "argocd-controller", false, "apps/v1",
                                  kT2, "apps", "Deployment");
  REQUIRE(out.has_value());
  REQUIRE(out->conflicts.empty());
  const Value& obj = out->object;
  CHECK(*obj.Find("metadata")->Find("labels") == Json(R"({"app":"frontend","team":"b"})"));
  CHECK(*Container(const_cast<Value&>(obj)).Find("env") ==
        Json(R"([{"name":"MODE","value":"prod"}])"));
  CHECK(FieldsOf(obj, "argocd-controller") == FieldsOf(AppliedFrontend(), "argocd-controller"));
  CHECK(EntryOf(obj, "argocd-controller")->GetString("time") == kT2);
  // Server defaults nobody owns survive (the caller re-applies defaults anyway).
  CHECK(Container(const_cast<Value&>(obj)).GetString("imagePullPolicy") == "IfNotPresent");

  SECTION("a dropped container goes whole, even with a field another manager set") {
    Value two = Json(kFrontend);
    Container(two).Set("image", Value::String("nginx:1.25"));
    two.Find("spec")
        ->Find("template")
        ->Find("spec")
        ->Find("containers")
        ->items()
        .push_back(Json(R"({"name":"sidecar","image":"busybox"})"));
    auto a = sim::ServerSideApply(nullptr, two, "argocd-controller", false, "apps/v1", kT0, "apps",
                                  "Deployment");
    REQUIRE(a.has_value());
    Value l = a->object;
    DefaultDeployment(l);
    l = Write(l, "kubectl-set", kT1,
              [](Value& o) { Container(o, 1).Set("image", Value::String("busybox:2")); });
    auto b = sim::ServerSideApply(&l, Json(kFrontend), "argocd-controller", true, "apps/v1", kT2,
                                  "apps", "Deployment");
    REQUIRE(b.has_value());
    const auto& containers =
        b->object.Find("spec")->Find("template")->Find("spec")->Find("containers")->items();
    REQUIRE(containers.size() == 1);
    CHECK(containers[0].GetString("name") == "web");
    CHECK(EntryOf(b->object, "kubectl-set") == nullptr);  // its field went with the item
  }
}

TEST_CASE("SSA: conflict with replicas owned by kubectl scale, with and without force",
          "[sim][managedfields]") {
  const Value applied = AppliedFrontend();
  const Value scaled = Write(
      applied, "kubectl", kT1, [](Value& o) { o.Find("spec")->Set("replicas", Value::Int(5)); },
      "scale");
  // The applier loses replicas to the scale.
  CHECK_FALSE(SetOf(FieldsOf(scaled, "argocd-controller"))
                  .Has({sim::PathElement::Field("spec"), sim::PathElement::Field("replicas")}));

  auto out = sim::ServerSideApply(&scaled, Json(kFrontend), "argocd-controller", false, "apps/v1",
                                  kT2, "apps", "Deployment");
  REQUIRE(out.has_value());
  REQUIRE(out->conflicts.size() == 1);
  CHECK(out->conflicts[0].manager == "kubectl");
  CHECK(out->conflicts[0].field == ".spec.replicas");
  CHECK(out->conflicts[0].subresource == "scale");
  CHECK(Show(out->object) == Show(scaled));
  CHECK(sim::ConflictMessage(out->conflicts, "apps/v1") ==
        "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" "
        "using apps/v1: .spec.replicas");
  CHECK(sim::ConflictCauseMessage(out->conflicts[0], "apps/v1") ==
        "conflict with \"kubectl\" with subresource \"scale\" using apps/v1");

  SECTION("force takes replicas over") {
    auto forced = sim::ServerSideApply(&scaled, Json(kFrontend), "argocd-controller", true,
                                       "apps/v1", kT2, "apps", "Deployment");
    REQUIRE(forced.has_value());
    CHECK(forced->conflicts.empty());
    CHECK(forced->object.Find("spec")->Find("replicas")->text() == "2");
    CHECK(EntryOf(forced->object, "kubectl", "Update", "scale") == nullptr);
    CHECK(FieldsOf(forced->object, "argocd-controller") == FieldsOf(applied, "argocd-controller"));
    CHECK(EntryOf(forced->object, "argocd-controller")->GetString("time") == kT2);
  }
  SECTION("applying the scaled value shares replicas instead") {
    Value config = Json(kFrontend);
    config.Find("spec")->Set("replicas", Value::Int(5));
    auto shared = sim::ServerSideApply(&scaled, config, "argocd-controller", false, "apps/v1", kT2,
                                       "apps", "Deployment");
    REQUIRE(shared.has_value());
    CHECK(shared->conflicts.empty());
    CHECK(EntryOf(shared->object, "kubectl", "Update", "scale") != nullptr);
    CHECK(SetOf(FieldsOf(shared->object, "argocd-controller"))
              .Has({sim::PathElement::Field("spec"), sim::PathElement::Field("replicas")}));
  }
  SECTION("leaving replicas out of the configuration does not conflict") {
    Value config = Json(kFrontend);
    config.Find("spec")->Erase("replicas");
    auto left = sim::ServerSideApply(&scaled, config, "argocd-controller", false, "apps/v1", kT2,
                                     "apps", "Deployment");
    REQUIRE(left.has_value());
    CHECK(left->conflicts.empty());
    CHECK(left->object.Find("spec")->Find("replicas")->text() == "5");
  }
}

TEST_CASE("SSA: conflicts with Update and Apply managers, several fields", "[sim][managedfields]") {
  Value live = CreatedFrontend();
  live = Write(live, "kubectl-edit", kT1,
               [](Value& o) { Container(o).Set("image", Value::String("nginx:1.26")); });
  auto flux = sim::ServerSideApply(&live, Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"frontend","namespace":"shop","labels":{"team":"a"}}})"),
                                   "flux", false, "apps/v1", kT1, "apps", "Deployment");
  REQUIRE(flux.has_value());
  live = flux->object;

  Value config = Json(kFrontend);
  config.Find("metadata")->Find("labels")->Set("team", Value::String("b"));
  config.Find("spec")->Set("replicas", Value::Int(3));
  auto out = sim::ServerSideApply(&live, config, "argocd-controller", false, "apps/v1", kT2, "apps",
                                  "Deployment");
  REQUIRE(out.has_value());
  REQUIRE(out->conflicts.size() == 3);
  CHECK(sim::ConflictMessage(out->conflicts, "apps/v1") ==
        "Apply failed with 3 conflicts: conflicts with \"flux\":\n"
        "- .metadata.labels.team\n"
        "conflicts with \"kubectl-create\" using apps/v1:\n"
        "- .spec.replicas\n"
        "conflicts with \"kubectl-edit\" using apps/v1:\n"
        "- .spec.template.spec.containers[name=\"web\"].image");
  // Equal values (labels.app, the selector, ...) are no conflict: they are shared.
}

TEST_CASE("SSA: kubectl may take over client-side-applied fields it agrees with",
          "[sim][managedfields]") {
  // kubectl apply (client-side) created the object: the annotation holds what it applied.
  Value live = Json(kFrontend);
  Value last = Json(kFrontend);
  last.Find("metadata")->Set("annotations", Value::MakeObject());
  std::string last_text = hashing::ToJson(last) + "\n";
  live.Find("metadata")->Set("annotations", Value::MakeObject());
  live.Find("metadata")
      ->Find("annotations")
      ->Set("kubectl.kubernetes.io/last-applied-configuration", Value::String(last_text));
  DefaultDeployment(live);
  ServerMetadata(live);
  sim::RecordUpdate(live, nullptr, "kubectl-client-side-apply", "", "apps/v1", kT0, "apps",
                    "Deployment");

  Value config = Json(kFrontend);
  config.Find("spec")->Set("replicas", Value::Int(4));
  auto other = sim::ServerSideApply(&live, config, "argocd-controller", false, "apps/v1", kT1,
                                    "apps", "Deployment");
  REQUIRE(other.has_value());
  CHECK(other->conflicts.size() == 1);

  auto kubectl =
      sim::ServerSideApply(&live, config, "kubectl", false, "apps/v1", kT1, "apps", "Deployment");
  REQUIRE(kubectl.has_value());
  CHECK(kubectl->conflicts.empty());
  CHECK(kubectl->object.Find("spec")->Find("replicas")->text() == "4");
  // The annotation now holds the server-side applied configuration.
  const std::string annotation(kubectl->object.Find("metadata")
                                   ->Find("annotations")
                                   ->GetString("kubectl.kubernetes.io/last-applied-configuration"));
  CHECK(annotation.find("\"replicas\":4") != std::string::npos);
  CHECK(annotation.back() == '\n');
}

TEST_CASE("SSA: kubectl's migration of a client-side-applied object (kubectl-wire 4.10)",
          "[sim][managedfields]") {
  // kubectl apply (client-side) created the object.
  Value csa = Json(kFrontend);
  Value last = Json(kFrontend);
  last.Find("metadata")->Set("annotations", Value::MakeObject());
  csa.Find("metadata")->Set("annotations", Value::MakeObject());
  csa.Find("metadata")
      ->Find("annotations")
      ->Set("kubectl.kubernetes.io/last-applied-configuration",
            Value::String(hashing::ToJson(last) + "\n"));
  DefaultDeployment(csa);
  ServerMetadata(csa);
  sim::RecordUpdate(csa, nullptr, "kubectl-client-side-apply", "", "apps/v1", kT0, "apps",
                    "Deployment");

  // 1. kubectl apply --server-side: same values, so everything is shared.
  auto step1 = sim::ServerSideApply(&csa, Json(kFrontend), "kubectl", false, "apps/v1", kT1, "apps",
                                    "Deployment");
  REQUIRE(step1.has_value());
  REQUIRE(step1->conflicts.empty());
  Value live = step1->object;
  DefaultDeployment(live);
  CHECK(FieldsOf(live, "kubectl-client-side-apply") == FieldsOf(csa, "kubectl-client-side-apply"));
  const std::string annotation(live.Find("metadata")
                                   ->Find("annotations")
                                   ->GetString("kubectl.kubernetes.io/last-applied-configuration"));

  // 2. The annotation, re-applied as is by kubectl-last-applied (no force): shared.
  Value just_annotation = Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"frontend","namespace":"shop","annotations":{}}})");
  just_annotation.Find("metadata")
      ->Find("annotations")
      ->Set("kubectl.kubernetes.io/last-applied-configuration", Value::String(annotation));
  auto step2 = sim::ServerSideApply(&live, just_annotation, "kubectl-last-applied", false,
                                    "apps/v1", kT1, "apps", "Deployment");
  REQUIRE(step2.has_value());
  REQUIRE(step2->conflicts.empty());
  live = step2->object;

  // 3. The JSON patch that moves the client-side manager's fields to kubectl's Apply entry.
  Value migrated_entry = *EntryOf(live, "kubectl", "Apply");
  migrated_entry.Set("fieldsV1", SetOf(FieldsOf(live, "kubectl-client-side-apply"))
                                     .Union(SetOf(FieldsOf(live, "kubectl", "Apply")))
                                     .ToFieldsV1());
  Value migrated = Value::MakeArray();
  migrated.items().push_back(migrated_entry);
  migrated.items().push_back(*EntryOf(live, "kubectl-last-applied", "Apply"));
  Value patched = live;
  patched.Find("metadata")->Set("managedFields", migrated);
  sim::RecordUpdate(patched, &live, "kubectl", "", "apps/v1", kT2, "apps", "Deployment");
  CHECK(*patched.Find("metadata")->Find("managedFields") == migrated);
  live = patched;

  // 4. The apply again: kubectl now owns exactly its configuration; the defaults it owned
  // through the migration are released (pruned, then defaulted again by the server), and the
  // annotation stays with kubectl-last-applied.
  auto step4 = sim::ServerSideApply(&live, Json(kFrontend), "kubectl", false, "apps/v1", kT3,
                                    "apps", "Deployment");
  REQUIRE(step4.has_value());
  REQUIRE(step4->conflicts.empty());
  Value final_obj = step4->object;
  DefaultDeployment(final_obj);
  CHECK(FieldsOf(final_obj, "kubectl", "Apply") == FieldsOf(AppliedFrontend("kubectl"), "kubectl"));
  CHECK(FieldsOf(final_obj, "kubectl-last-applied") == FieldsOf(live, "kubectl-last-applied"));
  CHECK(ManagedFields(final_obj).size() == 2);
  Value a = final_obj;
  Value b = live;
  a.Find("metadata")->Erase("managedFields");
  b.Find("metadata")->Erase("managedFields");
  CHECK(Show(a) == Show(b));
}

TEST_CASE("SSA: an object without managedFields gets a before-first-apply entry",
          "[sim][managedfields]") {
  Value live = Json(kFrontend);
  DefaultDeployment(live);
  ServerMetadata(live);
  auto out = sim::ServerSideApply(&live, Json(kFrontend), "argocd-controller", false, "apps/v1",
                                  kT1, "apps", "Deployment");
  REQUIRE(out.has_value());
  CHECK(out->conflicts.empty());
  const Value* bfa = EntryOf(out->object, "before-first-apply", "Update");
  REQUIRE(bfa != nullptr);
  CHECK(SetOf(*bfa->Find("fieldsV1"))
            .Has({sim::PathElement::Field("spec"), sim::PathElement::Field("replicas")}));
  CHECK(EntryOf(out->object, "argocd-controller", "Apply") != nullptr);
}

TEST_CASE("SSA: set lists, null values and bad configurations", "[sim][managedfields]") {
  SECTION("finalizers are a set") {
    Value ns = Json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop",
        "finalizers":["example.com/a"]}})");
    auto out =
        sim::ServerSideApply(nullptr, ns, "argocd-controller", false, "v1", kT0, "", "Namespace");
    REQUIRE(out.has_value());
    CHECK(FieldsOf(out->object, "argocd-controller") ==
          Json(R"({"f:metadata":{"f:finalizers":{"v:\"example.com/a\"":{}}}})"));
    Value live = out->object;
    live.Find("metadata")->Find("finalizers")->items().push_back(Value::String("example.com/z"));
    Value again = Json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop",
        "finalizers":["example.com/b"]}})");
    auto second =
        sim::ServerSideApply(&live, again, "argocd-controller", false, "v1", kT1, "", "Namespace");
    REQUIRE(second.has_value());
    // a was ours and is dropped; z (unowned) stays; b is added.
    CHECK(*second->object.Find("metadata")->Find("finalizers") ==
          Json(R"(["example.com/z","example.com/b"])"));
  }
  SECTION("a namespace applied with nothing but its name records no entry") {
    auto out = sim::ServerSideApply(nullptr, Json(R"({"apiVersion":"v1","kind":"Namespace",
                                        "metadata":{"name":"shop"}})"),
                                    "argocd-controller", false, "v1", kT0, "", "Namespace");
    REQUIRE(out.has_value());
    CHECK(ManagedFields(out->object).empty());
  }
  SECTION("null clears a scalar and is owned") {
    const Value live = AppliedFrontend();
    Value config = Json(kFrontend);
    config.Find("spec")->Set("paused", Value::Null());
    config.Find("spec")->Set("minReadySeconds", Value::Int(3));
    auto out = sim::ServerSideApply(&live, config, "argocd-controller", false, "apps/v1", kT1,
                                    "apps", "Deployment");
    REQUIRE(out.has_value());
    CHECK(out->object.Find("spec")->Find("paused") == nullptr);
    CHECK(SetOf(FieldsOf(out->object, "argocd-controller"))
              .Has({sim::PathElement::Field("spec"), sim::PathElement::Field("paused")}));
  }
  SECTION("duplicate keys and missing keys are refused with the server's messages") {
    Value dup = Json(kFrontend);
    auto& containers =
        dup.Find("spec")->Find("template")->Find("spec")->Find("containers")->items();
    containers.push_back(containers[0]);
    auto out = sim::ServerSideApply(nullptr, dup, "m", false, "apps/v1", kT0, "apps", "Deployment");
    REQUIRE_FALSE(out.has_value());
    CHECK(out.error().message ==
          "failed to create typed patch object (shop/frontend; apps/v1, Kind=Deployment): "
          ".spec.template.spec.containers: duplicate entries for key [name=\"web\"]");
    Value nokey = Json(kFrontend);
    Container(nokey).Erase("name");
    auto out2 =
        sim::ServerSideApply(nullptr, nokey, "m", false, "apps/v1", kT0, "apps", "Deployment");
    REQUIRE_FALSE(out2.has_value());
    CHECK(out2.error().message.find(".spec.template.spec.containers: element 0: associative list "
                                    "with keys has an element that omits key field \"name\"") !=
          std::string::npos);
    Value with_mf = Json(kFrontend);
    with_mf.Find("metadata")->Set("managedFields", Json(R"([{"manager":"x"}])"));
    auto out3 =
        sim::ServerSideApply(nullptr, with_mf, "m", false, "apps/v1", kT0, "apps", "Deployment");
    REQUIRE_FALSE(out3.has_value());
    CHECK(out3.error().message == "metadata.managedFields must be nil");
  }
}

TEST_CASE("SSA: merged lists keep live-only items in place", "[sim][managedfields]") {
  Value live = Json(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
    "spec":{"template":{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"x"},
    {"name":"c","image":"x"}]}}}})");
  sim::RecordUpdate(live, nullptr, "kubectl-create", "", "apps/v1", kT0, "apps", "Deployment");
  auto out = sim::ServerSideApply(&live, Json(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"y"},
    {"name":"d","image":"y"},{"name":"a","image":"x"}]}}}})"),
                                  "m", true, "apps/v1", kT1, "apps", "Deployment");
  REQUIRE(out.has_value());
  std::string names;
  for (const Value& c :
       out->object.Find("spec")->Find("template")->Find("spec")->Find("containers")->items()) {
    names += std::string(c.GetString("name")) + std::string(c.GetString("image")) + " ";
  }
  CHECK(names == "bx cy dy ax ");
}

// ---------------------------------------------------------------------------------------------
// The drift engine reads what the simulator writes

TEST_CASE("Engine: kubectl set image on an applied object is drift by kubectl-set",
          "[sim][managedfields]") {
  const Value applied = AppliedFrontend();
  const Value set = Write(applied, "kubectl-set", "2026-03-01T12:00:00Z",
                          [](Value& o) { Container(o).Set("image", Value::String("nginx:1.28")); });

  auto policy = hashing::ParsePolicy(Value());
  REQUIRE(policy.has_value());
  plumbline::testing::FakeSecretHasher hasher;
  auto target = hashing::PrepareTarget(Json(kFrontend), *policy, hasher, "shop");
  REQUIRE(target.has_value());
  hashing::Engine engine(*policy, hasher);

  auto before = hashing::LiveDocument::FromJson(hashing::ToJson(applied));
  REQUIRE(before.has_value());
  CHECK_FALSE(engine.Compare(*target, before->root()).drifted());

  auto doc = hashing::LiveDocument::FromJson(hashing::ToJson(set));
  REQUIRE(doc.has_value());
  const hashing::Verdict v = engine.Compare(*target, doc->root());
  REQUIRE(v.kind == hashing::DriftKind::kModified);
  REQUIRE(v.paths.size() == 1);
  CHECK(v.paths[0].pointer == "/spec/template/spec/containers/0/image");
  REQUIRE(v.paths[0].actor.has_value());
  CHECK(v.paths[0].actor->manager == "kubectl-set");
  CHECK(v.paths[0].actor->operation == "Update");
  CHECK(v.paths[0].actor->time == "2026-03-01T12:00:00Z");
}
