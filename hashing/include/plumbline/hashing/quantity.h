// Exact canonical text of Kubernetes resource quantities (resource.Quantity: "500m", "1Gi",
// "1e3"), so the drift engine compares and hashes values, not spellings. No floating point.
// Stateless pure function; any thread.
#pragma once

#include <string>
#include <string_view>

#include "plumbline/common/result.h"

namespace plumbline::hashing {

// Canonical, exact text of a quantity's value, identical for every spelling of the same value:
// the value in base units as a plain decimal with no exponent, no trailing fractional zeros,
// no leading '+', "-" only for negatives, "0" for zero. "1Gi" -> "1073741824",
// "500m" -> "0.5", "1e3" -> "1000", "1.5Ki" -> "1536", "100n" -> "0.0000001".
//
// Grammar: [+-]<number><suffix>, <number> is "1", "1.5", "1." or ".5"; <suffix> is one of
// Ki Mi Gi Ti Pi Ei | n u m "" k M G T P E | e<int> / E<int> (int may be signed).
// Like Kubernetes, a non-zero magnitude is rounded up (away from zero) to nano precision:
// "0.0000000001" -> "0.000000001", "-1.5n" -> "-0.000000002".
// Unlike Kubernetes, values are never capped at 2^63-1 (resource.Quantity caps BinarySI).
// Errors (kInvalidArgument): anything else ("", "abc", "1.2.3", "1Kb", "--1", " 1", "e3"),
// and decimal exponents above kMaxQuantityExponent (bounds the output size).
inline constexpr int kMaxQuantityExponent = 1000;
Result<std::string> CanonicalQuantity(std::string_view text) noexcept;

}  // namespace plumbline::hashing
