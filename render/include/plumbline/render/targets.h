// Loading the desired state from what a user points at: a target bundle file (written by
// `plumbline render`), or a source that is rendered now (manifest file or folder, Kustomize,
// Helm, a Git repository at a revision). Shared by `plumbline diff` and the agent.
// Blocking (it may run kubectl, helm or git); one thread.
#pragma once

#include <optional>
#include <string>

#include "plumbline/common/result.h"
#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/hashing/value.h"
#include "plumbline/render/bundle.h"
#include "plumbline/render/source.h"

namespace plumbline::render {

// The parsed bundle document when `path` is a bundle file; nullopt when it is anything else
// (folders, manifests); an error when it cannot be read or is a broken bundle.
Result<std::optional<hashing::Value>> ReadBundleDocument(const std::string& path);

// Targets from a bundle file or a source. A bundle must have been masked with `hasher`'s key
// (`key_id`, see KeyId); a source is rendered with `options` and normalized with `hasher`.
Result<Bundle> LoadTargets(const std::string& path, const RenderOptions& options,
                           const hashing::Policy& policy, const hashing::SecretHasher& hasher,
                           const std::string& key_id);

}  // namespace plumbline::render
