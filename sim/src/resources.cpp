#include "plumbline/sim/resources.h"

#include <algorithm>

namespace plumbline::sim {
namespace {

struct Builtin {
  const char* group;
  const char* version;
  const char* kind;
  const char* plural;
  const char* singular;
  std::initializer_list<const char*> short_names;
  bool namespaced;
  bool status;
  bool scale;
  bool generation;
  bool category_all;
};

// Order follows kube-apiserver's discovery (kubectl api-resources prints it as given).
const Builtin kBuiltins[] = {
    {"", "v1", "ConfigMap", "configmaps", "configmap", {"cm"}, true, false, false, false, false},
    {"", "v1", "Endpoints", "endpoints", "endpoints", {"ep"}, true, false, false, false, false},
    {"", "v1", "Event", "events", "event", {"ev"}, true, false, false, false, false},
    {"", "v1", "Namespace", "namespaces", "namespace", {"ns"}, false, true, false, false, false},
    {"",
     "v1",
     "PersistentVolumeClaim",
     "persistentvolumeclaims",
     "persistentvolumeclaim",
     {"pvc"},
     true,
     true,
     false,
     false,
     false},
    {"", "v1", "Pod", "pods", "pod", {"po"}, true, true, false, false, true},
    {"", "v1", "Secret", "secrets", "secret", {}, true, false, false, false, false},
    {"",
     "v1",
     "ServiceAccount",
     "serviceaccounts",
     "serviceaccount",
     {"sa"},
     true,
     false,
     false,
     false,
     false},
    {"", "v1", "Service", "services", "service", {"svc"}, true, true, false, false, true},
    {"apiextensions.k8s.io",
     "v1",
     "CustomResourceDefinition",
     "customresourcedefinitions",
     "customresourcedefinition",
     {"crd", "crds"},
     false,
     true,
     false,
     true,
     false},
    {"apps", "v1", "DaemonSet", "daemonsets", "daemonset", {"ds"}, true, true, false, true, true},
    {"apps",
     "v1",
     "Deployment",
     "deployments",
     "deployment",
     {"deploy"},
     true,
     true,
     true,
     true,
     true},
    {"apps", "v1", "ReplicaSet", "replicasets", "replicaset", {"rs"}, true, true, true, true, true},
    {"apps",
     "v1",
     "StatefulSet",
     "statefulsets",
     "statefulset",
     {"sts"},
     true,
     true,
     true,
     true,
     true},
    {"autoscaling",
     "v2",
     "HorizontalPodAutoscaler",
     "horizontalpodautoscalers",
     "horizontalpodautoscaler",
     {"hpa"},
     true,
     true,
     false,
     false,
     true},
    {"batch", "v1", "CronJob", "cronjobs", "cronjob", {"cj"}, true, true, false, true, true},
    {"batch", "v1", "Job", "jobs", "job", {}, true, true, false, true, true},
    {"coordination.k8s.io", "v1", "Lease", "leases", "lease", {}, true, false, false, false, false},
    {"discovery.k8s.io",
     "v1",
     "EndpointSlice",
     "endpointslices",
     "endpointslice",
     {},
     true,
     false,
     false,
     true,
     false},
    {"networking.k8s.io",
     "v1",
     "Ingress",
     "ingresses",
     "ingress",
     {"ing"},
     true,
     true,
     false,
     true,
     false},
    {"networking.k8s.io",
     "v1",
     "NetworkPolicy",
     "networkpolicies",
     "networkpolicy",
     {"netpol"},
     true,
     false,
     false,
     true,
     false},
    {"rbac.authorization.k8s.io",
     "v1",
     "ClusterRoleBinding",
     "clusterrolebindings",
     "clusterrolebinding",
     {},
     false,
     false,
     false,
     false,
     false},
    {"rbac.authorization.k8s.io",
     "v1",
     "ClusterRole",
     "clusterroles",
     "clusterrole",
     {},
     false,
     false,
     false,
     false,
     false},
    {"rbac.authorization.k8s.io",
     "v1",
     "RoleBinding",
     "rolebindings",
     "rolebinding",
     {},
     true,
     false,
     false,
     false,
     false},
    {"rbac.authorization.k8s.io",
     "v1",
     "Role",
     "roles",
     "role",
     {},
     true,
     false,
     false,
     false,
     false},
};

}  // namespace

ResourceRegistry::ResourceRegistry() {
  for (const auto& b : kBuiltins) {
    auto t = std::make_unique<ResourceType>();
    t->group = b.group;
    t->version = b.version;
    t->kind = b.kind;
    t->plural = b.plural;
    t->singular = b.singular;
    for (const char* s : b.short_names) {
      t->short_names.emplace_back(s);
    }
    if (b.category_all) {
      t->categories.emplace_back("all");
    }
    t->namespaced = b.namespaced;
    t->status_subresource = b.status;
    t->scale_subresource = b.scale;
    t->tracks_generation = b.generation;
    if (t->kind == "Namespace") {
      t->verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
    }
    types_.push_back(std::move(t));
  }
}

const ResourceType* ResourceRegistry::Find(std::string_view group, std::string_view version,
                                           std::string_view plural) const {
  for (const auto& t : types_) {
    if (t->group == group && t->version == version && t->plural == plural) {
      return t.get();
    }
  }
  return nullptr;
}

const ResourceType* ResourceRegistry::FindKind(std::string_view group,
                                               std::string_view kind) const {
  for (const auto& t : types_) {
    if (t->group == group && t->kind == kind) {
      return t.get();
    }
  }
  return nullptr;
}

Result<const ResourceType*> ResourceRegistry::RegisterCrd(const hashing::Value& crd) {
  const hashing::Value* spec = crd.Find("spec");
  const hashing::Value* names = spec != nullptr ? spec->Find("names") : nullptr;
  const hashing::Value* versions = spec != nullptr ? spec->Find("versions") : nullptr;
  if (spec == nullptr || names == nullptr || versions == nullptr || !versions->is_array()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "CustomResourceDefinition needs spec.names "
                     "and spec.versions");
  }
  std::string version;
  for (const auto& v : versions->items()) {
    const hashing::Value* storage = v.Find("storage");
    const hashing::Value* served = v.Find("served");
    if ((served == nullptr || (served->is_bool() && served->bool_value())) &&
        (version.empty() || (storage != nullptr && storage->is_bool() && storage->bool_value()))) {
      version = std::string(v.GetString("name"));
    }
  }
  auto t = std::make_unique<ResourceType>();
  t->group = std::string(spec->GetString("group"));
  t->version = version;
  t->kind = std::string(names->GetString("kind"));
  t->plural = std::string(names->GetString("plural"));
  t->singular = std::string(names->GetString("singular"));
  if (t->singular.empty()) {
    t->singular = t->kind;
    std::transform(t->singular.begin(), t->singular.end(), t->singular.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  if (const hashing::Value* sn = names->Find("shortNames"); sn != nullptr && sn->is_array()) {
    for (const auto& s : sn->items()) {
      t->short_names.push_back(s.text());
    }
  }
  if (const hashing::Value* cats = names->Find("categories"); cats != nullptr && cats->is_array()) {
    for (const auto& c : cats->items()) {
      t->categories.push_back(c.text());
    }
  }
  t->namespaced = spec->GetString("scope") != "Cluster";
  t->tracks_generation = true;
  t->custom = true;
  if (t->group.empty() || t->kind.empty() || t->plural.empty() || t->version.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "CustomResourceDefinition needs group, names.kind, names.plural and a "
                     "served version");
  }
  for (auto& existing : types_) {
    if (existing->custom && existing->group == t->group && existing->plural == t->plural) {
      *existing = std::move(*t);  // in place: stored objects keep pointing at their type
      return existing.get();
    }
  }
  types_.push_back(std::move(t));
  return types_.back().get();
}

void ResourceRegistry::UnregisterCrd(const hashing::Value& crd) {
  const hashing::Value* spec = crd.Find("spec");
  const hashing::Value* names = spec != nullptr ? spec->Find("names") : nullptr;
  if (names == nullptr) {
    return;
  }
  const std::string_view group = spec->GetString("group");
  const std::string_view plural = names->GetString("plural");
  types_.erase(std::remove_if(types_.begin(), types_.end(),
                              [&](const auto& t) {
                                return t->custom && t->group == group && t->plural == plural;
                              }),
               types_.end());
}

}  // namespace plumbline::sim
