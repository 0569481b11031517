// The drift engine: implements ../shared/docs/drift-policy.md (our copy of the rules with the
// choices we made is docs/drift-engine.md).
//
// A Target is a Git object compiled once: normalized, keys sorted, keyed lists sorted by key,
// secret values replaced by keyed masks, and its digest. The Engine walks a live object (a
// simdjson DOM element: no copy of it is made) against a Target in one pass and either
//   - Digest(): returns the projected-live digest and the live-only-drift digest, allocating
//     nothing on the common path (the agent's fast path), or
//   - Compare(): returns the full Verdict (paths with owners, suppressed paths, JSON Patch,
//     unified diff).
// Both run the same walk, so they cannot disagree.
//
// Threading: Target, Policy and SecretHasher are immutable and may be shared. An Engine holds
// scratch buffers: use one Engine per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "plumbline/common/result.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

struct Digest128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;

  friend bool operator==(const Digest128&, const Digest128&) = default;
  std::string Hex() const;  // 32 lower-case hex digits, high word first
  static Result<Digest128> FromHex(std::string_view hex);
};

// Group, version, kind, namespace and name. Identity for pairing excludes the version
// (policy section 1: live is read at the version Git declares).
struct ResourceId {
  std::string group;  // "" for core
  std::string version;
  std::string kind;
  std::string namespace_;  // "" for cluster-scoped
  std::string name;

  std::string Key() const;          // "group/Kind/namespace/name"
  std::string DisplayName() const;  // "Kind.group namespace/name"
  std::string ApiVersion() const;
};

// Reads apiVersion, kind, metadata.namespace and metadata.name.
Result<ResourceId> IdentityOf(const Value& object);
Result<ResourceId> IdentityOf(simdjson::dom::element object);

// True for the built-in kinds that live outside namespaces (Namespace, ClusterRole, CRD, ...).
bool IsClusterScopedKind(std::string_view group, std::string_view kind);

// Keyed masking of secret values (policy section 7). Implementations use HMAC-SHA256 with a
// per-installation key; the engine never sees the key. Mask() must be deterministic for a given
// key and must not contain the value.
class SecretHasher {
 public:
  virtual ~SecretHasher() = default;
  // Returns "<redacted:hmac-sha256:XXXXXXXXXXXXXXXX>" (the first 8 bytes of the HMAC in hex).
  virtual std::string Mask(std::string_view value) const = 0;
};
using SecretHasherPtr = std::unique_ptr<SecretHasher>;

struct CompiledTarget;  // hashing/src/compiled.h
class FastPath;         // hashing/src/fast_path.h
class MaskMemo;         // hashing/src/mask_memo.h

struct Target {
  ResourceId id;
  Value object;  // normalized Git object (the shape and the diff base)
  Digest128 digest;
  // The target compiled for the engine's fast path (docs/design/0003-compiled-target.md), built
  // by PrepareTarget and TargetFromNormalized; immutable and shared by copies. A Target without
  // it (or compiled under a policy with other quantity, sensitive or list settings) is digested
  // by the full walk, with the same result. Do not change `object` or `digest` after preparing.
  std::shared_ptr<const CompiledTarget> compiled;
};

// Normalizes a Git object into a Target (policy sections 2, 3, 7, 8). `default_namespace` fills
// namespaced objects that have none. Errors on objects that cannot be identified.
Result<Target> PrepareTarget(Value object, const Policy& policy, const SecretHasher& hasher,
                             std::string_view default_namespace);

// Rebuilds a Target from a normalized object stored in a bundle and checks it against the
// stored digest (a bundle from another engine version or a hand-edited bundle is refused).
Result<Target> TargetFromNormalized(Value normalized, const Policy& policy,
                                    std::string_view expected_digest_hex);

// Heap bytes held by a target's compiled form (0 without one), for memory accounting.
std::size_t CompiledTargetBytes(const Target& target);

enum class DriftKind { kNone, kModified, kMissing, kExtraneous, kOrphan };
std::string_view DriftKindName(DriftKind kind);  // "modified", ... ; "" for kNone

struct Actor {
  std::string manager;
  std::string operation;
  std::string time;
  std::string subresource;
};

struct DriftPath {
  std::string pointer;  // RFC 6901, into live where the field exists live, else into Git
  std::optional<Actor> actor;
  // The normalized Git value and the live value at this path; absent on the side where the
  // field does not exist. Secret values are masks.
  std::optional<Value> git_value;
  std::optional<Value> live_value;
};

struct PatchOp {
  std::string op;  // add | remove | replace
  std::string path;
  std::optional<Value> value;  // secrets masked
};

struct Verdict {
  ResourceId id;
  std::string uid;
  std::string resource_version;
  DriftKind kind = DriftKind::kNone;
  std::vector<DriftPath> paths;
  std::vector<std::string> suppressed;
  std::vector<PatchOp> patch;  // from Git to live
  std::string diff;            // unified diff, secrets masked
  std::string restarted_at;    // kubectl rollout restart seen (informational)
  std::vector<std::string> warnings;

  bool drifted() const { return kind != DriftKind::kNone; }
};

// What the engine needs to know about the rest of the live set for one object.
struct LiveContext {
  bool scaled_by_hpa = false;  // an HPA in the live set targets this object
};

struct LiveDigests {
  Digest128 declared;   // XXH3-128 of canonical(project(normalize(live), shape(git)))
  Digest128 live_only;  // digest over the live-only fields that count as drift
  bool in_sync = false;
  bool restarted = false;
};

class Engine {
 public:
  Engine(const Policy& policy, const SecretHasher& hasher);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The fast path: digests only. When the target's compiled form proves the live object in sync
  // the walk neither hashes nor reads ownership; otherwise the full walk runs (the same one as
  // Compare's), so both always agree.
  LiveDigests Digest(const Target& target, simdjson::dom::element live,
                     const LiveContext& context = {});

  // The full verdict for a target and its live object.
  Verdict Compare(const Target& target, simdjson::dom::element live,
                  const LiveContext& context = {});

  // A declared object that does not exist live.
  Verdict Missing(const Target& target) const;

  // A live object with no target: extraneous (tracking marker), orphan (opt-in namespaces) or
  // nothing (kind kNone).
  Verdict JudgeUntracked(simdjson::dom::element live) const;
  // The same for a live object that may lack apiVersion and kind (items of a LIST response):
  // they are taken from the request when absent.
  Verdict JudgeUntracked(simdjson::dom::element live, std::string_view api_version,
                         std::string_view kind) const;

  // The digest an in-sync live object has for `live_only` (no live-only drift).
  static Digest128 EmptyLiveOnlyDigest();

 private:
  class Walker;
  const Policy& policy_;
  const SecretHasher& hasher_;
  std::unique_ptr<MaskMemo> masks_;
  std::unique_ptr<Walker> walker_;
  std::unique_ptr<FastPath> fast_;
};

// A self-contained simdjson document, for callers that hold a Value (diff from YAML files).
class LiveDocument {
 public:
  static Result<LiveDocument> FromValue(const Value& v);
  static Result<LiveDocument> FromJson(std::string_view json);
  simdjson::dom::element root() const { return root_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  simdjson::dom::element root_;
};

}  // namespace plumbline::hashing
