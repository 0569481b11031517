// Canonical byte encoding (docs/canonical-encoding.md) and the path predicates shared by the
// normalizer and the walker. Private to hashing/.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/hashing/schema_tables.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

// Typed views of an element whose type the caller has checked.
template <typename T>
T ElementAs(simdjson::dom::element e) {
  T out{};
  if (e.get(out) != simdjson::SUCCESS) {
    return T{};
  }
  return out;
}
inline simdjson::dom::array AsArray(simdjson::dom::element e) {
  return ElementAs<simdjson::dom::array>(e);
}
inline simdjson::dom::object AsObject(simdjson::dom::element e) {
  return ElementAs<simdjson::dom::object>(e);
}
inline std::string_view AsString(simdjson::dom::element e) {
  return ElementAs<std::string_view>(e);
}
inline bool AsBool(simdjson::dom::element e) { return ElementAs<bool>(e); }
inline std::int64_t AsInt64(simdjson::dom::element e) { return ElementAs<std::int64_t>(e); }
inline std::uint64_t AsUint64(simdjson::dom::element e) { return ElementAs<std::uint64_t>(e); }
inline double AsDouble(simdjson::dom::element e) { return ElementAs<double>(e); }

inline constexpr std::string_view kRestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

// Leaf encodings (the tag byte keeps types apart: 3 and "3" differ, as the policy requires
// for int-or-string fields). At quantity paths numbers and strings both encode as the exact
// canonical quantity, so 0.5 = "500m" and 1 = "1".
void EncodeLeafValue(const Value& v, bool quantity, std::string& out);
void EncodeLeafElement(simdjson::dom::element e, bool quantity, std::string& out);
// Appends the full canonical encoding of a live subtree (keys sorted, no projection).
void EncodeElementFull(simdjson::dom::element e, std::string& out);
// The canonical text of a number element (assigns `text`).
void AppendNumberText(simdjson::dom::element e, std::string& text);
// Compact JSON of a scalar element (other elements through Value), as managedFields keys use.
void AppendJsonScalarElement(simdjson::dom::element e, std::string& out);
// 8-byte little-endian length prefix used for keys.
void AppendLength(std::string& out, std::size_t n);

// Streams the canonical encoding of a normalized target subtree at `schema_path` into `sink`:
// exactly the bytes the walker feeds when the live object agrees with it.
void EncodeCanonical(const Value& t, std::string schema_path, const Target& target,
                     const Policy& policy, const std::function<void(std::string_view)>& sink);
Digest128 CanonicalDigest(const Value& object, const ResourceId& id, const Policy& policy);

bool ElementIsEmpty(simdjson::dom::element e);
bool IsQuantityPath(std::string_view schema_path, const Policy& policy);
bool IsSensitivePath(std::string_view kind, std::string_view group, std::string_view pointer,
                     const Policy& policy);
bool IsTemplateAnnotations(std::string_view schema_path);
bool IsReplicasPath(std::string_view schema_path);
bool IsDroppedMetadataField(std::string_view key);
bool MatchesAny(const std::vector<std::string>& globs, std::string_view text);
bool IsUnorderedList(std::string_view group, std::string_view kind, std::string_view schema_path);
// Policy's custom lists first, then the built-in table; nullptr = atomic.
const ListSemantics* LookupList(std::string_view group, std::string_view kind,
                                std::string_view schema_path, const Policy& policy);

// managedFields path segments: "k:{...}" for keyed items (fields sorted by name, compact JSON,
// as the API server writes them), "v:<json>" for set items.
void ItemKeySegment(const Value& item, const ListSemantics& sem, std::string& out);
void ItemKeySegment(simdjson::dom::element item, const ListSemantics& sem, std::string& out);
std::string SetSegment(const Value& item);
std::string SetSegmentElement(simdjson::dom::element item);

Value ElementToValue(simdjson::dom::element e);

// Converts a live subtree found at `pointer` into a Value for reports: empty members dropped,
// sensitive leaves replaced by their masks.
Value ElementToNormalizedValue(simdjson::dom::element e, const std::string& pointer,
                               std::string_view group, std::string_view kind, const Policy& policy,
                               const SecretHasher& hasher);

}  // namespace plumbline::hashing
