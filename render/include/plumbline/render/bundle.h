// The target bundle (docs/bundle-format.md): what `plumbline render` writes and what
// `plumbline diff --target` and the agent read. A JSON document, versioned by apiVersion,
// byte-identical for the same input whatever the order of files, documents and keys.
// Stateless functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/render/source.h"

namespace plumbline::render {

inline constexpr std::string_view kBundleApiVersion = "plumbline.dev/v1alpha1";
inline constexpr std::string_view kBundleKind = "TargetBundle";
// Bumped whenever the canonical encoding or normalization changes the digests.
inline constexpr int kCanonicalVersion = 1;

struct BundleEntry {
  hashing::Target target;
  std::string file;  // where the object came from, relative to its source
};

struct Bundle {
  std::vector<SourceInfo> sources;
  std::string default_namespace;
  std::string mask_key_id;           // identifies the HMAC key that masked secret values
  std::vector<BundleEntry> entries;  // sorted by identity
};

// Normalizes rendered manifests into a bundle. Duplicate identities are an error naming both
// files.
Result<Bundle> BuildBundle(const std::vector<RenderedSource>& sources,
                           const std::string& default_namespace, const hashing::Policy& policy,
                           const hashing::SecretHasher& hasher, const std::string& mask_key_id);

std::string SerializeBundle(const Bundle& bundle, const hashing::Policy& policy);

// True when a parsed document is a bundle.
bool IsBundleDocument(const hashing::Value& doc);
// Reads a bundle, verifying every stored digest against its object.
Result<Bundle> ParseBundle(const hashing::Value& doc, const hashing::Policy& policy);

// A short identifier of a key (first 8 bytes of its SHA-256, hex): recorded in bundles so a
// reader can tell it holds the key that masked them. Never the key itself.
std::string KeyId(const std::string& key);

}  // namespace plumbline::render
