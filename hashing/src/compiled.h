// The compiled form of a Target (docs/design/0003-compiled-target.md). Private to hashing/.
//
// A CompiledTarget is the normalized Git object flattened into one array of nodes plus one byte
// pool, with every decision that depends only on the target and the policy taken once, when the
// target is prepared: children sorted by key with a cheap prefix for lookups, the canonical bytes
// of each leaf, the quantity and sensitive flags, list semantics, the managedFields segment
// ("k:{...}", "v:...") of every keyed or set item, and whether an absent live value equals the
// node (AllZero). It holds no pointer into the Value tree or the Policy, so a Target stays a plain
// copyable value. Immutable once built: any thread may read it.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

enum class NodeKind : std::uint8_t {
  kObject,
  kKeyedList,
  kSetList,
  kAtomicList,
  kUnorderedList,  // Endpoints subsets/addresses/ports: left to the full walk
  kString,
  kNumber,
  kBool,
  kNull,
};

// Where a live-only key may be one the normalization drops (Walker::IsDroppedLiveField).
enum class DropContext : std::uint8_t {
  kNone,
  kRoot,
  kMetadata,
  kAnnotations,
  kLabels,
  kTemplateAnnotations,
};

struct CompiledNode {
  // Object member: its key. Keyed or set item: its managedFields segment.
  std::uint32_t key_off = 0;
  std::uint32_t key_len = 0;
  std::uint64_t key_head = 0;  // first 8 key bytes, zero padded: rejects most keys in one compare
  std::uint32_t first = 0;     // children are nodes [first, first + count)
  std::uint32_t count = 0;
  // Leaf or set item: its canonical bytes (EncodeLeafValue at this path). Object: the bit mask
  // of its children's key lengths (bit len % 64), split in two, to reject absent keys at once.
  std::uint32_t bytes_off = 0;
  std::uint32_t bytes_len = 0;
  // Keyed list: index into `keyed_lists`; keyed item: first `key_values`; hashed leaf: length.
  std::uint32_t aux = 0;
  NodeKind kind = NodeKind::kNull;
  std::uint8_t flags = 0;
  std::uint8_t text_skip = 0;             // leaf: offset of the raw text ("S5:" before "hello")
  DropContext drop = DropContext::kNone;  // object: the context of its live-only members

  std::uint64_t KeyLengths() const { return (std::uint64_t{bytes_len} << 32) | bytes_off; }

  static constexpr std::uint8_t kAbsentOk = 1;        // an absent live value equals it (AllZero)
  static constexpr std::uint8_t kQuantity = 2;        // leaf at a quantity path
  static constexpr std::uint8_t kSensitive = 4;       // leaf at a sensitive path (masked live)
  static constexpr std::uint8_t kIdentity = 8;        // root apiVersion/kind: never compared
  static constexpr std::uint8_t kQuantityFixed = 16;  // quantity leaf whose canonical text
                                                      // canonicalizes to itself
  // String leaf longer than kInlineText: the pool holds XXH3-128 of its text (16 bytes), `aux`
  // its length. The digests already rest on XXH3-128; this keeps ConfigMap values out of memory.
  static constexpr std::uint8_t kHashed = 32;
  static constexpr std::size_t kInlineText = 64;
};

// One key field's rendering in an item's "k:{...}" segment: a string's raw text ('s'), other
// JSON text ('j'), or absent without a default ('a').
struct KeyValue {
  std::uint32_t off = 0;
  std::uint32_t len = 0;
  char tag = 'a';
};

struct KeyedListInfo {
  std::uint32_t first_key = 0;  // key field names (sorted, as in the segment) in `key_names`
  std::uint32_t key_count = 0;
};

struct CompiledTarget {
  std::vector<CompiledNode> nodes;  // nodes[0] is the root object
  std::string pool;
  std::vector<KeyValue> key_names;        // name of each key field ('s')
  std::vector<KeyValue> key_defaults;     // parallel to key_names; tag 'a' when none
  std::vector<KeyValue> key_values;       // per keyed item, key_count entries
  std::vector<std::uint64_t> key_hashes;  // parallel to key_values: [item aux] = its KeyHash
  std::vector<KeyedListInfo> keyed_lists;
  std::uint64_t policy_key = 0;  // PolicyKey() of the policy it was compiled with
  Digest128 digest;              // the target digest it was compiled for
  bool aggregated_role = false;  // ClusterRole with aggregationRule: live rules dropped

  std::string_view Bytes(std::uint32_t off, std::uint32_t len) const {
    return std::string_view(pool).substr(off, len);
  }
  std::string_view Key(const CompiledNode& n) const { return Bytes(n.key_off, n.key_len); }
  std::size_t MemoryBytes() const;
};

// The policy fields a compiled target depends on (quantity paths, sensitive paths, custom lists),
// hashed: a target compiled under another policy is walked the slow way.
std::uint64_t PolicyKey(const Policy& policy);

inline std::uint64_t KeyHead(std::string_view key) {
  std::uint64_t head = 0;
  std::memcpy(&head, key.data(), key.size() < 8 ? key.size() : 8);
  return head;
}

// Hash of a keyed item's key renderings (tag, length, bytes per key field), to index long lists.
class KeyHasher {
 public:
  void Add(char tag, std::string_view bytes) {
    buf_.push_back(tag);
    char n[4];
    const auto len = static_cast<std::uint32_t>(bytes.size());
    std::memcpy(n, &len, sizeof(n));
    buf_.append(n, sizeof(n));
    buf_.append(bytes);
  }
  std::uint64_t Finish();
  void Clear() { buf_.clear(); }

 private:
  std::string buf_;
};

// The DropContext of the map at `schema` (Walker::IsDroppedLiveField's cases).
DropContext DropContextFor(std::string_view schema, bool root);

// Compiles a normalized target. Deterministic; no I/O.
std::shared_ptr<const CompiledTarget> CompileTarget(const Target& target, const Policy& policy);

}  // namespace plumbline::hashing
