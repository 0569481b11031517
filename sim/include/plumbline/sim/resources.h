// The resource types kube-sim serves: the built-in kinds (issue 3's list) and custom resources
// registered from CustomResourceDefinitions at run time. Owned by the API layer; used on its
// thread only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"

namespace plumbline::sim {

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string kind;
  std::string plural;  // resource name in URLs
  std::string singular;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool namespaced = true;
  bool status_subresource = false;
  bool scale_subresource = false;
  bool tracks_generation = false;  // metadata.generation bumps on spec changes
  bool custom = false;             // served from a CRD
  std::vector<std::string> verbs = {"create", "delete", "deletecollection", "get",
                                    "list",   "patch",  "update",           "watch"};

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "deployments.apps", "configmaps": how errors name the resource.
  std::string QualifiedResource() const { return group.empty() ? plural : plural + "." + group; }
};

class ResourceRegistry {
 public:
  ResourceRegistry();  // the built-in kinds

  const ResourceType* Find(std::string_view group, std::string_view version,
                           std::string_view plural) const;
  const ResourceType* FindKind(std::string_view group, std::string_view kind) const;
  const std::vector<std::unique_ptr<ResourceType>>& All() const { return types_; }

  // Registers (or updates) the custom resource a CRD object describes; errors on a CRD that
  // does not name group, kind, plural and a served version.
  Result<const ResourceType*> RegisterCrd(const hashing::Value& crd);
  void UnregisterCrd(const hashing::Value& crd);

 private:
  std::vector<std::unique_ptr<ResourceType>> types_;
};

}  // namespace plumbline::sim
