// The drift policy file (docs/policy.md, ../shared/docs/drift-policy.md section 10): manager
// classes, tracking markers, orphan scope, ignore rules, quantity and sensitive paths, and list
// semantics for custom resources. Parsed once at start; immutable afterwards, so any thread may
// read a Policy concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/common/text.h"
#include "plumbline/hashing/schema_tables.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

enum class ManagerClass { kHuman, kApplier, kSystem };

// One entry of `ignore:`, the shape of Argo CD's ignoreDifferences. Selector fields are globs
// (`*`, `?`); empty matches everything.
struct IgnoreRule {
  std::string group;
  std::string kind;
  std::string name;
  std::string namespace_;
  std::vector<std::string> json_pointers;        // RFC 6901, `~1` for `/`
  std::vector<std::string> jq_path_expressions;  // `.a.b[] | select(.name == "x") | .c` subset
  std::vector<std::string> managed_fields_managers;
};

// List semantics for a custom resource's list field (`lists:` in the policy file).
struct CustomList {
  std::string group;
  std::string kind;
  std::string path;  // dotted, `[]` for every item, as in list-keys.json
  std::string type;  // atomic | set | map
  std::vector<std::string> keys;
};

struct Policy {
  std::vector<std::string> appliers = {"argocd-controller", "kustomize-controller",
                                       "helm-controller"};
  std::vector<std::string> system = {"kube-controller-manager", "kube-scheduler", "kubelet",
                                     "cainjector", "clusterrole-aggregation-controller"};
  std::string tracking_annotation = "argocd.argoproj.io/tracking-id";
  std::string tracking_label;  // e.g. app.kubernetes.io/instance; empty = not used
  std::string tracking_value;  // glob the marker's value must match; empty = any value
  // Live objects carrying this annotation=value are never reported as extraneous.
  std::string opt_out_annotation = "argocd.argoproj.io/compare-options";
  std::string opt_out_value = "IgnoreExtraneous";
  bool orphans_enabled = false;
  std::vector<std::string> orphan_namespaces;
  std::vector<std::string> orphan_exceptions;  // extra "Kind/name" globs never orphans
  std::vector<IgnoreRule> ignore;
  std::vector<std::string> quantity_paths;   // dotted paths with `[]`, extra quantity fields
  std::vector<std::string> sensitive_paths;  // JSON pointers, `*` matches one segment
  // Markers GitOps tools write into live objects: dropped from both sides (globs).
  std::vector<std::string> dropped_annotations = {
      "kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision",
      "argocd.argoproj.io/tracking-id", "meta.helm.sh/*"};
  std::vector<std::string> dropped_labels = {"kustomize.toolkit.fluxcd.io/*",
                                             "helm.toolkit.fluxcd.io/*"};
  std::vector<CustomList> lists;
  std::vector<ListSemantics> list_semantics;  // parallel to `lists`, filled by MergePolicy

  ManagerClass Classify(std::string_view manager) const;
};

// Reads a policy document (YAML or JSON already parsed into a Value) over the defaults above:
// keys present replace the default, absent keys keep it. Unknown keys and wrong types are errors
// naming the key ("policy: ignore[1].jsonPointers: expected a list of strings").
Result<Policy> ParsePolicy(const Value& doc);
Result<Policy> MergePolicy(Policy base, const Value& doc);

using ::plumbline::GlobMatch;  // common/text.h

}  // namespace plumbline::hashing
