// Schema tables for built-in Kubernetes kinds (1.30-1.32): how each list merges (drift policy
// section 4) and which live-only values are what the API server fills in by itself (section 5).
// Both tables are embedded: the list table is generated from docs/kubernetes/list-keys.json by
// tools/gen_list_table.py (hashing/src/list_table.inc), the defaults table is hand-written from
// docs/kubernetes/defaults.md. Custom resources are not covered.
//
// Thread safety: the tables are built once, on first use (function-local statics), and are
// read-only afterwards; any thread may call these functions concurrently.
//
// Paths. A path is the dotted field path from the object root, with "[]" for "every item of a
// list", exactly as in list-keys.json: "spec.template.spec.containers[].ports". Keys of free-form
// maps (labels, annotations, matchLabels, ...) are appended raw after a '.', dots and slashes
// included: the Namespace label is "metadata.labels.kubernetes.io/metadata.name". This is
// unambiguous because such maps are leaves of the schema: nothing structural lives below them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

enum class ListType : std::uint8_t { kAtomic, kSet, kMap };

struct ListSemantics {
  ListType type = ListType::kAtomic;
  // Map keys in order (e.g. containerPort, protocol); empty unless type is kMap.
  std::vector<std::string> keys;
  // Defaults of optional key fields, to apply to the Git side before matching items
  // (e.g. {"protocol", "TCP"}); all are strings in 1.30-1.32.
  std::vector<std::pair<std::string, Value>> key_defaults;
  // Strategic merge patch metadata (the Go tags patchStrategy / patchMergeKey), which can disagree
  // with the SSA type above (list-semantics.md section 4). Without patch_merge, SMP replaces the
  // list whole. patch_merge_key names the single merge key of a list of objects (empty for a list
  // of scalars, which SMP unions). retain_keys: kubectl sends $retainKeys for the items.
  bool patch_merge = false;
  std::string patch_merge_key;
  bool retain_keys = false;
};

// The list at `path` of a built-in kind. `group` is "" for core ("v1"); any version of the group
// uses the same rows (apps/v1beta1 StatefulSet gets the apps/v1 semantics). Inside a CRD's
// openAPIV3Schema the schema-level lists (required, enum, allOf, ..., x-kubernetes-validations)
// are recognised at every nesting depth by their field name.
// Returns nullptr when the list is unknown (custom resources, unknown kinds or paths, paths that
// are not lists); callers treat unknown lists as atomic. The pointer stays valid for the life of
// the process. Allocation-free: safe to call per list during a walk.
const ListSemantics* LookupBuiltinList(std::string_view group, std::string_view kind,
                                       std::string_view path) noexcept;

// Drift policy section 5: true when `value`, found live at `path` of a built-in kind and absent
// from Git, is what the API server would have filled in by itself, so a human-owned field holding
// it is not drift. `parent` is the live map that holds the field (for a list item's field, the
// item), used by computed defaults: imagePullPolicy from the container's image, Service
// targetPort = port, serviceAccount = serviceAccountName, and so on.
//   - Empty values (null, {}, [], "") are always default: section 3 makes them equal to absent.
//   - Server-allocated or admission-chosen values (Service clusterIP(s), ipFamilies, nodePort,
//     healthCheckNodePort; PVC storageClassName; Ingress ingressClassName; Job-generated
//     controller-uid / job-name labels; Namespace "kubernetes.io/metadata.name" label) cannot be
//     predicted offline and count as default whatever they hold.
//   - Documented defaults the server never writes (defaults.md section 16: minReadySeconds 0,
//     paused false, stdin false, ...) count as default when they hold that value.
//   - An object counts as default when every member does (recursively, with the object as the
//     parent), e.g. Deployment spec.strategy = {type: RollingUpdate, rollingUpdate: {25%, 25%}};
//     a list counts as default when every item does (items are at path + "[]").
// Unknown kinds and paths give false (for non-empty values). Numbers compare by value.
bool IsSchemaDefault(std::string_view group, std::string_view kind, std::string_view path,
                     const Value& value, const Value& parent) noexcept;

// The pull policy the API server gives a container with this image and no imagePullPolicy:
// "Always" when the tag is "latest" or the image has neither tag nor digest, else "IfNotPresent"
// (also for digest-only and unparsable references). Exposed for tests and for the simulator.
std::string_view DefaultImagePullPolicy(std::string_view image) noexcept;

}  // namespace plumbline::hashing
