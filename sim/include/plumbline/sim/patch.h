// The three non-apply PATCH bodies of the Kubernetes API, applied the way a v1.32 API server
// applies them: RFC 6902 JSON Patch (the server's gopkg.in/evanphx/json-patch.v4), RFC 7386 JSON
// merge patch, and strategic merge patch for built-in kinds
// (k8s.io/apimachinery/pkg/util/strategicpatch, server mode). Pure functions on Values: no state,
// no I/O; any thread. The caller keeps its inputs; results are fresh Values.
//
// Errors map onto API statuses as follows (the HTTP layer builds the Status body):
//   - ValidateJsonPatch: kInvalidArgument -> 400 BadRequest with the message;
//     kLimitExceeded -> 413 RequestEntityTooLarge with the message.
//   - ApplyJsonPatch on a validated patch: kInvalidArgument -> 422 Invalid, Status message
//     kPatchRejectedMessage, the error message as details.causes[0].message.
//   - ApplyStrategicMergePatch: kUnsupportedMediaType -> 415 (custom resources);
//     kInvalidArgument -> 400 BadRequest with the message (malformed directives, a body that is
//     not a JSON object); kInternal -> 500 with the message (what the real server answers for
//     patches strategicpatch cannot apply: an unknown $patch value, an item without its merge
//     key, mixed item types).
#pragma once

#include <cstddef>
#include <string_view>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"

namespace plumbline::sim {

// The Status message of a JSON patch the server could not apply (422).
inline constexpr std::string_view kPatchRejectedMessage =
    "the server rejected our request due to an error in our request";

// The API server refuses JSON patches with more operations than this (413).
inline constexpr std::size_t kMaxJsonPatchOperations = 10000;

// Checks that `patch` decodes as a JSON patch: null (no operations) or an array of objects (or
// nulls) with at most kMaxJsonPatchOperations entries. Messages are Go's
// ("json: cannot unmarshal object into Go value of type jsonpatch.Patch").
Status ValidateJsonPatch(const hashing::Value& patch);

// RFC 6902 JSON Patch: add, remove, replace, move, copy, test; "-" appends; ~0 and ~1 escapes.
// Validates first (ValidateJsonPatch). `doc` must be an object or an array. Follows the server's
// library where it departs from the RFC: "replace" of an absent member adds it, "copy" from an
// absent member adds null, "test" of an absent member against null passes, negative array
// indices count from the end, text before a pointer's first '/' is ignored, and the
// whole-document pointer "" is refused. Errors (a failed "test" too) are kInvalidArgument with
// the library's message, e.g. "testing value /spec/replicas failed: test failed".
Result<hashing::Value> ApplyJsonPatch(const hashing::Value& doc, const hashing::Value& patch);

// RFC 7386 JSON merge patch: members set to null are removed, objects merge recursively, anything
// else replaces; a patch that is not an object replaces the document. Like the server's library,
// nulls inside objects that are inserted (including objects inside inserted arrays) are dropped.
hashing::Value ApplyMergePatch(const hashing::Value& doc, const hashing::Value& patch);

// Strategic merge patch as the API server applies it to a built-in kind: a list whose Go field has
// patchStrategy merge is merged by its patchMergeKey (a list of scalars: union), keeping the
// existing items' order and placing patch items by the patch order; other lists are replaced
// whole. Directives: $patch (replace | delete in maps; replace | delete in list items),
// $retainKeys, $setElementOrder/<list>, $deleteFromPrimitiveList/<list>; null deletes a key.
// Lists are found with hashing::LookupBuiltinList(group, kind, path), path being the dotted
// schema path with "[]" for items ("spec.template.spec.containers[].env").
// Directives left in inserted values (which the server drops when it decodes into the Go type)
// are removed from the result. An empty or null patch returns a document equal to `doc`.
// Kinds without list metadata (custom resources) are refused with kUnsupportedMediaType and the
// real server's 415 message; autoscaling Scale (no lists) is accepted.
Result<hashing::Value> ApplyStrategicMergePatch(const hashing::Value& doc,
                                                const hashing::Value& patch, std::string_view group,
                                                std::string_view kind);

}  // namespace plumbline::sim
