#include "plumbline/hashing/schema_tables.h"

#include <string>

#include <catch2/catch.hpp>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"

namespace {

using plumbline::hashing::DefaultImagePullPolicy;
using plumbline::hashing::IsSchemaDefault;
using plumbline::hashing::ListSemantics;
using plumbline::hashing::ListType;
using plumbline::hashing::LookupBuiltinList;
using plumbline::hashing::ParseJson;
using plumbline::hashing::Value;

Value Json(const std::string& text) {
  auto v = ParseJson(text);
  REQUIRE(v.has_value());
  return *v;
}

Value Str(const char* s) { return Value::String(s); }

const Value kNoParent;

}  // namespace

TEST_CASE("LookupBuiltinList finds keyed lists", "[hashing]") {
  SECTION("Deployment containers are a map keyed by name") {
    const ListSemantics* s =
        LookupBuiltinList("apps", "Deployment", "spec.template.spec.containers");
    REQUIRE(s != nullptr);
    CHECK(s->type == ListType::kMap);
    CHECK(s->keys == std::vector<std::string>{"name"});
    CHECK(s->key_defaults.empty());
  }
  SECTION("container ports are keyed by containerPort and protocol, protocol defaults to TCP") {
    const ListSemantics* s =
        LookupBuiltinList("apps", "Deployment", "spec.template.spec.containers[].ports");
    REQUIRE(s != nullptr);
    CHECK(s->type == ListType::kMap);
    CHECK(s->keys == std::vector<std::string>{"containerPort", "protocol"});
    REQUIRE(s->key_defaults.size() == 1);
    CHECK(s->key_defaults[0].first == "protocol");
    CHECK(s->key_defaults[0].second == Str("TCP"));
  }
  SECTION("every pod-spec prefix is expanded") {
    CHECK(LookupBuiltinList("", "Pod", "spec.initContainers[].ports") != nullptr);
    CHECK(LookupBuiltinList("", "PodTemplate", "template.spec.containers") != nullptr);
    CHECK(LookupBuiltinList("batch", "CronJob",
                            "spec.jobTemplate.spec.template.spec.containers[].env") != nullptr);
  }
  SECTION("Service ports are keyed by port and protocol") {
    const ListSemantics* s = LookupBuiltinList("", "Service", "spec.ports");
    REQUIRE(s != nullptr);
    CHECK(s->type == ListType::kMap);
    CHECK(s->keys == std::vector<std::string>{"port", "protocol"});
    REQUIRE(s->key_defaults.size() == 1);
    CHECK(s->key_defaults[0].second == Str("TCP"));
  }
  SECTION("imagePullSecrets key defaults to the empty name") {
    const ListSemantics* s = LookupBuiltinList("", "Pod", "spec.imagePullSecrets");
    REQUIRE(s != nullptr);
    REQUIRE(s->key_defaults.size() == 1);
    CHECK(s->key_defaults[0].first == "name");
    CHECK(s->key_defaults[0].second == Str(""));
  }
  SECTION("volumeMounts are keyed by mountPath, not name") {
    const ListSemantics* s =
        LookupBuiltinList("apps", "StatefulSet", "spec.template.spec.containers[].volumeMounts");
    REQUIRE(s != nullptr);
    CHECK(s->keys == std::vector<std::string>{"mountPath"});
  }
}

TEST_CASE("LookupBuiltinList knows atomic lists and sets", "[hashing]") {
  const ListSemantics* args =
      LookupBuiltinList("apps", "Deployment", "spec.template.spec.containers[].args");
  REQUIRE(args != nullptr);
  CHECK(args->type == ListType::kAtomic);
  CHECK(args->keys.empty());

  const ListSemantics* finalizers = LookupBuiltinList("", "ConfigMap", "metadata.finalizers");
  REQUIRE(finalizers != nullptr);
  CHECK(finalizers->type == ListType::kSet);

  const ListSemantics* ns_finalizers = LookupBuiltinList("", "Namespace", "spec.finalizers");
  REQUIRE(ns_finalizers != nullptr);
  CHECK(ns_finalizers->type == ListType::kAtomic);

  const ListSemantics* vcts = LookupBuiltinList("apps", "StatefulSet", "spec.volumeClaimTemplates");
  REQUIRE(vcts != nullptr);
  CHECK(vcts->type == ListType::kAtomic);

  const ListSemantics* job_conditions = LookupBuiltinList("batch", "Job", "status.conditions");
  REQUIRE(job_conditions != nullptr);
  CHECK(job_conditions->type == ListType::kAtomic);
}

TEST_CASE("LookupBuiltinList returns nullptr for what it does not know", "[hashing]") {
  CHECK(LookupBuiltinList("example.com", "Widget", "spec.items") == nullptr);
  CHECK(LookupBuiltinList("", "Pod", "spec.nope") == nullptr);
  CHECK(LookupBuiltinList("", "Pod", "spec.containers[].image") == nullptr);
  // Same kind name, different group: not the built-in.
  CHECK(LookupBuiltinList("example.com", "Deployment", "spec.template.spec.containers") == nullptr);
  // Group is exact: core is "", not "v1".
  CHECK(LookupBuiltinList("v1", "Pod", "spec.containers") == nullptr);
}

TEST_CASE("LookupBuiltinList ignores the version: apps/v1beta1 StatefulSet uses apps/v1 rows",
          "[hashing]") {
  // The caller passes only the group, so any version of apps resolves to the same rows.
  const ListSemantics* s =
      LookupBuiltinList("apps", "StatefulSet", "spec.template.spec.containers");
  REQUIRE(s != nullptr);
  CHECK(s->type == ListType::kMap);
  CHECK(s == LookupBuiltinList("apps", "StatefulSet", "spec.template.spec.containers"));
}

TEST_CASE("LookupBuiltinList recognises CRD schema lists at any depth", "[hashing]") {
  const ListSemantics* root =
      LookupBuiltinList("apiextensions.k8s.io", "CustomResourceDefinition",
                        "spec.versions[].schema.openAPIV3Schema.x-kubernetes-validations");
  REQUIRE(root != nullptr);
  CHECK(root->keys == std::vector<std::string>{"rule"});
  const ListSemantics* nested = LookupBuiltinList(
      "apiextensions.k8s.io", "CustomResourceDefinition",
      "spec.versions[].schema.openAPIV3Schema.properties.spec.properties.x-kubernetes-validations");
  CHECK(nested == root);
  const ListSemantics* required =
      LookupBuiltinList("apiextensions.k8s.io", "CustomResourceDefinition",
                        "spec.versions[].schema.openAPIV3Schema.properties.spec.required");
  REQUIRE(required != nullptr);
  CHECK(required->type == ListType::kAtomic);
}

TEST_CASE("DefaultImagePullPolicy follows the latest-tag rule", "[hashing]") {
  CHECK(DefaultImagePullPolicy("busybox:latest") == "Always");
  CHECK(DefaultImagePullPolicy("busybox") == "Always");
  CHECK(DefaultImagePullPolicy("busybox:1.36") == "IfNotPresent");
  CHECK(DefaultImagePullPolicy("repo@sha256:" + std::string(64, 'a')) == "IfNotPresent");
  CHECK(DefaultImagePullPolicy("repo:latest@sha256:" + std::string(64, 'a')) == "Always");
  CHECK(DefaultImagePullPolicy("localhost:5000/team/app") == "Always");
  CHECK(DefaultImagePullPolicy("registry.example.com:5000/team/app:v2") == "IfNotPresent");
  CHECK(DefaultImagePullPolicy("ghcr.io/org/app:latest") == "Always");
  // Unparsable references default to IfNotPresent.
  CHECK(DefaultImagePullPolicy("Busybox") == "IfNotPresent");
  CHECK(DefaultImagePullPolicy("") == "IfNotPresent");
  CHECK(DefaultImagePullPolicy("busybox:") == "IfNotPresent");
}

TEST_CASE("IsSchemaDefault computes imagePullPolicy from the container image", "[hashing]") {
  const char* path = "spec.template.spec.containers[].imagePullPolicy";
  auto container = [](const char* image) {
    return Json(std::string(R"({"image":")") + image + "\"}");
  };
  CHECK(IsSchemaDefault("apps", "Deployment", path, Str("Always"), container("busybox:latest")));
  CHECK_FALSE(IsSchemaDefault("apps", "Deployment", path, Str("IfNotPresent"),
                              container("busybox:latest")));
  CHECK(IsSchemaDefault("apps", "Deployment", path, Str("Always"), container("busybox")));
  CHECK(
      IsSchemaDefault("apps", "Deployment", path, Str("IfNotPresent"), container("busybox:1.36")));
  CHECK_FALSE(
      IsSchemaDefault("apps", "Deployment", path, Str("Always"), container("busybox:1.36")));
  const std::string digest = "repo@sha256:" + std::string(64, '0');
  CHECK(
      IsSchemaDefault("apps", "Deployment", path, Str("IfNotPresent"), container(digest.c_str())));
  CHECK_FALSE(IsSchemaDefault("apps", "Deployment", path, Str("Never"), container("busybox")));
  // Init and ephemeral containers of a Pod, and CronJob templates, get the same rule.
  CHECK(IsSchemaDefault("", "Pod", "spec.initContainers[].imagePullPolicy", Str("Always"),
                        container("busybox")));
  CHECK(IsSchemaDefault("", "Pod", "spec.ephemeralContainers[].imagePullPolicy",
                        Str("IfNotPresent"), container("busybox:1.36")));
  CHECK(IsSchemaDefault("batch", "CronJob",
                        "spec.jobTemplate.spec.template.spec.containers[].imagePullPolicy",
                        Str("IfNotPresent"), container("busybox:1.36")));
}

TEST_CASE("IsSchemaDefault compares constants by value", "[hashing]") {
  const char* grace = "spec.template.spec.terminationGracePeriodSeconds";
  CHECK(IsSchemaDefault("apps", "Deployment", grace, Value::Int(30), kNoParent));
  CHECK(IsSchemaDefault("apps", "Deployment", grace, Value::Double(30.0), kNoParent));
  CHECK(IsSchemaDefault("apps", "Deployment", grace, *Value::NumberFromText("3e1"), kNoParent));
  CHECK_FALSE(IsSchemaDefault("apps", "Deployment", grace, Value::Int(31), kNoParent));
  CHECK_FALSE(IsSchemaDefault("apps", "Deployment", grace, Str("30"), kNoParent));
  CHECK(
      IsSchemaDefault("", "Pod", "spec.terminationGracePeriodSeconds", Value::Int(30), kNoParent));

  CHECK(IsSchemaDefault("batch", "CronJob", "spec.suspend", Value::Bool(false), kNoParent));
  CHECK_FALSE(IsSchemaDefault("batch", "CronJob", "spec.suspend", Value::Bool(true), kNoParent));
  CHECK(IsSchemaDefault("batch", "CronJob", "spec.successfulJobsHistoryLimit", Value::Int(3),
                        kNoParent));
  CHECK(IsSchemaDefault("batch", "Job", "spec.backoffLimit", Value::Int(6), Json("{}")));
  // Job defaulting is kind-root only: a CronJob's jobTemplate does not get it.
  CHECK_FALSE(IsSchemaDefault("batch", "CronJob", "spec.jobTemplate.spec.backoffLimit",
                              Value::Int(6), Json("{}")));
  CHECK(IsSchemaDefault("batch", "Job", "spec.backoffLimit", Value::Int(2147483647),
                        Json(R"({"backoffLimitPerIndex":1})")));
  CHECK_FALSE(IsSchemaDefault("batch", "Job", "spec.backoffLimit", Value::Int(6),
                              Json(R"({"backoffLimitPerIndex":1})")));
}

TEST_CASE("IsSchemaDefault knows probe timings", "[hashing]") {
  const std::string probe = "spec.template.spec.containers[].livenessProbe.";
  CHECK(IsSchemaDefault("apps", "Deployment", probe + "timeoutSeconds", Value::Int(1), kNoParent));
  CHECK(IsSchemaDefault("apps", "Deployment", probe + "periodSeconds", Value::Int(10), kNoParent));
  CHECK(
      IsSchemaDefault("apps", "Deployment", probe + "successThreshold", Value::Int(1), kNoParent));
  CHECK(
      IsSchemaDefault("apps", "Deployment", probe + "failureThreshold", Value::Int(3), kNoParent));
  CHECK(IsSchemaDefault("apps", "Deployment", probe + "httpGet.scheme", Str("HTTP"), kNoParent));
  CHECK(IsSchemaDefault("apps", "Deployment", probe + "httpGet.path", Str("/"), kNoParent));
  CHECK_FALSE(
      IsSchemaDefault("apps", "Deployment", probe + "periodSeconds", Value::Int(5), kNoParent));
  CHECK_FALSE(
      IsSchemaDefault("apps", "Deployment", probe + "failureThreshold", Value::Int(1), kNoParent));
  CHECK(IsSchemaDefault("", "Pod", "spec.initContainers[].startupProbe.timeoutSeconds",
                        Value::Int(1), kNoParent));
}

TEST_CASE("IsSchemaDefault: Service targetPort defaults to port", "[hashing]") {
  const char* path = "spec.ports[].targetPort";
  const Value port = Json(R"({"port":80,"protocol":"TCP"})");
  CHECK(IsSchemaDefault("", "Service", path, Value::Int(80), port));
  CHECK_FALSE(IsSchemaDefault("", "Service", path, Value::Int(8080), port));
  // Int-or-string is not coerced.
  CHECK_FALSE(IsSchemaDefault("", "Service", path, Str("80"), port));
  CHECK_FALSE(IsSchemaDefault("", "Service", path, Str("http"), port));
  CHECK(IsSchemaDefault("", "Service", "spec.ports[].protocol", Str("TCP"), port));
  CHECK(IsSchemaDefault("", "Service", "spec.clusterIP", Str("10.96.0.12"), kNoParent));
  CHECK(IsSchemaDefault("", "Service", "spec.ipFamilyPolicy", Str("SingleStack"), kNoParent));
  CHECK_FALSE(IsSchemaDefault("", "Service", "spec.type", Str("NodePort"), kNoParent));
}

TEST_CASE("IsSchemaDefault: sibling-derived and special paths", "[hashing]") {
  const Value spec = Json(R"({"serviceAccountName":"builder"})");
  CHECK(IsSchemaDefault("apps", "Deployment", "spec.template.spec.serviceAccount", Str("builder"),
                        spec));
  CHECK_FALSE(IsSchemaDefault("apps", "Deployment", "spec.template.spec.serviceAccount",
                              Str("other"), spec));
  CHECK(IsSchemaDefault("", "Namespace", "metadata.labels.kubernetes.io/metadata.name", Str("shop"),
                        kNoParent));
  CHECK_FALSE(IsSchemaDefault("", "Namespace", "metadata.labels.team", Str("shop"), kNoParent));
  CHECK(IsSchemaDefault("", "Pod", "spec.enableServiceLinks", Value::Bool(true), kNoParent));
  // enableServiceLinks is Pod-only: templates do not get it.
  CHECK_FALSE(IsSchemaDefault("apps", "Deployment", "spec.template.spec.enableServiceLinks",
                              Value::Bool(true), kNoParent));
  CHECK(IsSchemaDefault("networking.k8s.io", "NetworkPolicy", "spec.policyTypes",
                        Json(R"(["Ingress"])"), Json("{}")));
  CHECK_FALSE(IsSchemaDefault("networking.k8s.io", "NetworkPolicy", "spec.policyTypes",
                              Json(R"(["Ingress"])"), Json(R"({"egress":[{}]})")));
  CHECK(IsSchemaDefault("rbac.authorization.k8s.io", "RoleBinding", "subjects[].apiGroup",
                        Str("rbac.authorization.k8s.io"), Json(R"({"kind":"User"})")));
  CHECK_FALSE(IsSchemaDefault("rbac.authorization.k8s.io", "RoleBinding", "subjects[].apiGroup",
                              Str("rbac.authorization.k8s.io"),
                              Json(R"({"kind":"ServiceAccount"})")));
  CHECK(IsSchemaDefault("apps", "Deployment",
                        "spec.template.spec.containers[].env[].valueFrom.resourceFieldRef.divisor",
                        Str("0"), kNoParent));
}

TEST_CASE("IsSchemaDefault: empty values, not-materialized zeros, whole objects", "[hashing]") {
  CHECK(IsSchemaDefault("apps", "Deployment", "spec.template.spec.securityContext", Json("{}"),
                        kNoParent));
  CHECK(IsSchemaDefault("example.com", "Widget", "spec.anything", Json("[]"), kNoParent));
  CHECK(IsSchemaDefault("apps", "Deployment", "spec.minReadySeconds", Value::Int(0), kNoParent));
  CHECK(IsSchemaDefault("apps", "Deployment", "spec.paused", Value::Bool(false), kNoParent));
  CHECK_FALSE(IsSchemaDefault("apps", "Deployment", "spec.paused", Value::Bool(true), kNoParent));
  CHECK(IsSchemaDefault("", "Pod", "spec.containers[].stdin", Value::Bool(false), kNoParent));
  CHECK(IsSchemaDefault(
      "apps", "Deployment", "spec.strategy",
      Json(R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}})"),
      kNoParent));
  CHECK_FALSE(IsSchemaDefault(
      "apps", "Deployment", "spec.strategy",
      Json(R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":"25%"}})"),
      kNoParent));
  CHECK(IsSchemaDefault(
      "apps", "StatefulSet", "spec.volumeClaimTemplates",
      Json(
          R"([{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"creationTimestamp":null},)"
          R"("spec":{"volumeMode":"Filesystem"},"status":{"phase":"Pending"}}])"),
      kNoParent));
}

TEST_CASE("IsSchemaDefault: unknown kinds and paths are not defaults", "[hashing]") {
  CHECK_FALSE(
      IsSchemaDefault("apps", "Deployment", "spec.template.spec.nope", Str("x"), kNoParent));
  CHECK_FALSE(IsSchemaDefault("example.com", "Widget", "spec.replicas", Value::Int(1), kNoParent));
  CHECK_FALSE(IsSchemaDefault("apps", "Deployment", "spec.selector",
                              Json(R"({"matchLabels":{"app":"web"}})"), kNoParent));
  // Same kind name in a custom group does not inherit the built-in defaults.
  CHECK_FALSE(
      IsSchemaDefault("example.com", "Deployment", "spec.replicas", Value::Int(1), kNoParent));
}
