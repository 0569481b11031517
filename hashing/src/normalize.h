// Normalization of whole objects (drift policy sections 2, 3 and 7). Private to hashing/.
#pragma once

#include <simdjson.h>

#include "plumbline/common/result.h"
#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

// Normalizes a Git object in place: Secret stringData folded into base64 data; status, server
// metadata and GitOps markers dropped; empty values removed; keyed-list key defaults applied and
// keyed lists and sets sorted; secret values masked; keys sorted.
Status NormalizeGitObject(Value& object, const ResourceId& id, const Policy& policy,
                          const SecretHasher& hasher);

// The same normalization of a live object, for showing it (orphans, extraneous objects).
Value NormalizeLiveForView(simdjson::dom::element live, const ResourceId& id, const Policy& policy,
                           const SecretHasher& hasher);

// Built-in objects that exist in every namespace and are never orphans (policy section 1),
// plus the policy's "Kind/name" globs.
bool IsOrphanException(const ResourceId& id, simdjson::dom::element live, const Policy& policy);

std::string Base64Encode(std::string_view in);

}  // namespace plumbline::hashing
