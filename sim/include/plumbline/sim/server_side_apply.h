// metadata.managedFields bookkeeping for kube-sim, as kube-apiserver v1.32 does it
// (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager on top of structured-merge-diff):
//   - RecordUpdate: the "Update" operation, used for create, PUT, JSON/merge/strategic PATCH and
//     subresource writes;
//   - ServerSideApply: the "Apply" operation (PATCH application/apply-patch+yaml): structural
//     merge, pruning of fields the applier dropped, conflicts, ownership.
// Both read and write managedFields in the wire form (entries sorted as the server sorts them:
// Apply before Update, then by time, manager, apiVersion, subresource; FieldsV1 as in
// field_set.h), so hashing's drift engine reads what they write.
//
// Pure functions on Values: no state, no I/O, no clock (the caller passes the time, RFC 3339);
// any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"
#include "plumbline/sim/field_set.h"

namespace plumbline::sim {

// The server keeps at most this many Update entries; older ones are merged into
// "ancient-changes" entries (one per apiVersion).
inline constexpr std::size_t kMaxUpdateManagers = 10;

// Rewrites new_obj.metadata.managedFields for a write by `manager` (Update). `old_obj` is null on
// create. What the manager gains is what structured-merge-diff's Compare finds between the old
// object (on create: the zero value of the kind, as Go serializes it) and the new one: changed
// and added fields, plus the maps, lists and list items it created (written with "."). Every
// other entry loses the changed and the removed fields; entries left empty are removed.
// Never owned: apiVersion, kind, metadata.name/namespace/uid/resourceVersion/creationTimestamp/
// generation/managedFields/selfLink; `status` on the main resource; `spec` on subresource
// "status"; everything but spec.replicas on subresource "scale".
// An entry is per (manager, operation, subresource, apiVersion); its `time` changes only when it
// gains fields. A write that changes no entry leaves managedFields exactly as they were. If the
// request carried a decodable, non-empty managedFields (not on a subresource), that list is the
// starting point instead of the stored one (kubectl's CSA->SSA migration); a list of empty
// entries ([{}]) clears managedFields. As on the real server, an update of an object that has no
// managedFields records none.
void RecordUpdate(hashing::Value& new_obj, const hashing::Value* old_obj, std::string_view manager,
                  std::string_view subresource, std::string_view api_version, std::string_view time,
                  std::string_view group, std::string_view kind);

struct ApplyConflict {
  std::string manager;
  // ".spec.replicas"; list items as .spec.template.spec.containers[name="web"].image
  std::string field;
  // The conflicting entry, for the message: "Update" entries print their apiVersion, entries
  // of subresources their subresource.
  std::string operation;
  std::string subresource;
  std::string api_version;
};

struct ApplyOutcome {
  hashing::Value object;  // unchanged live object (managedFields included) when conflicts
  std::vector<ApplyConflict> conflicts;
};

// Merges `applied` into `live` (null: create) for `manager` as the API server does: structural
// merge by list type (keyed lists by their keys with key defaults, sets, atomic replace; null in
// `applied` removes the field); fields this manager applied before and no longer applies are
// removed unless another manager owns them; fields owned by other managers whose values change
// are conflicts (nothing changes) unless `force`, in which case ownership moves to this manager;
// equal values are shared. Records an Apply entry holding exactly the applied fields (server
// defaults are not owned). `status` in `applied` is ignored (main resource).
// Like kube-apiserver: an object without managedFields first gets a "before-first-apply"
// Update entry for everything it holds; with manager "kubectl", conflicts on fields whose live
// value still equals the kubectl.kubernetes.io/last-applied-configuration annotation are
// allowed, and that annotation, if present, is rewritten to `applied`. A re-apply that changes
// nothing returns `live` unchanged (managedFields timestamps included).
// The caller applies server defaults to the result afterwards.
// Errors: kInvalidArgument for an `applied` that is not an object or carries managedFields
// ("metadata.managedFields must be nil", a 400 on the real server); kInternal for list items
// without their keys or with duplicate keys (the real server's 500 "failed to create typed
// patch object (...)" message).
Result<ApplyOutcome> ServerSideApply(const hashing::Value* live, const hashing::Value& applied,
                                     std::string_view manager, bool force,
                                     std::string_view api_version, std::string_view time,
                                     std::string_view group, std::string_view kind);

// kube-apiserver's 409 message:
//   Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1:
//   .spec.replicas Apply failed with 2 conflicts: conflicts with "x" using apps/v1:\n- .a\n- .b
// Apply entries print just the quoted manager. `api_version` stands in for conflicts that carry
// none.
std::string ConflictMessage(const std::vector<ApplyConflict>& conflicts,
                            std::string_view api_version);
// details.causes[].message of one conflict: "conflict with \"kubectl\" using apps/v1".
std::string ConflictCauseMessage(const ApplyConflict& conflict, std::string_view api_version);

// The fields an Apply entry records for `applied`: FieldSet::LeavesOf without apiVersion, kind,
// the server-owned metadata and status.
FieldSet ApplyFieldSet(const hashing::Value& applied, std::string_view group,
                       std::string_view kind);

}  // namespace plumbline::sim
