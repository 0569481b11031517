#include "plumbline/hashing/quantity.h"

#include <string>
#include <string_view>

#include <catch2/catch.hpp>

using plumbline::ErrorCode;
using plumbline::hashing::CanonicalQuantity;

namespace {

struct Golden {
  std::string_view text;
  std::string_view canonical;
};

// Canonical text of each spelling: the value resource.MustParse(text) holds, except where noted.
constexpr Golden kGoldens[] = {
    {"0", "0"},
    {"-0", "0"},
    {"0Ki", "0"},
    {"0.000e5", "0"},
    {"1", "1"},
    {"+1", "1"},
    {"007", "7"},
    {"1.", "1"},
    {".5", "0.5"},
    {"0.5", "0.5"},
    {"500m", "0.5"},
    {"0.1", "0.1"},
    {"1000m", "1"},
    {"-1", "-1"},
    {"-1000m", "-1"},
    {"1e3", "1000"},
    {"1E3", "1000"},
    {"1e+3", "1000"},
    {"1k", "1000"},
    {"1e-3", "0.001"},
    {"0.001", "0.001"},
    {"1m", "0.001"},
    {"1000M", "1000000000"},
    {"1G", "1000000000"},
    {"1E", "1000000000000000000"},
    {"1Ki", "1024"},
    {"1.5Ki", "1536"},
    {"1536", "1536"},
    {"0.5Ki", "512"},
    {"1Gi", "1073741824"},
    {"1024Mi", "1073741824"},
    {"1073741824", "1073741824"},
    {"2Ei", "2305843009213693952"},
    // 2^63 Ei = 2^123. Kubernetes caps BinarySI values at 2^63-1; we stay exact.
    {"9223372036854775808Ei", "10633823966279326983230456482242756608"},
    {"100n", "0.0000001"},
    {"0.0000001", "0.0000001"},
    {"1n", "0.000000001"},
    {"1u", "0.000001"},
    {"12.50m", "0.0125"},
    {"0.0125", "0.0125"},
    {"1.5T", "1500000000000"},
    {"3P", "3000000000000000"},
    {"2Ti", "2199023255552"},
    {"1Pi", "1125899906842624"},
    // Rounded up (away from zero) to nano precision, after the binary multiply.
    {"0.0000000001", "0.000000001"},
    {"1e-10", "0.000000001"},
    {"0.1n", "0.000000001"},
    {"1.5n", "0.000000002"},
    {"-1.5n", "-0.000000002"},
    {"0.0000000001Ki", "0.000000103"},
    // Kubernetes truncates exponents to int32 (this one wraps positive); we saturate.
    {"1e-1000000000000", "0.000000001"},
    {"0e-1000000000000", "0"},
};

}  // namespace

TEST_CASE("CanonicalQuantity golden values", "[hashing]") {
  for (const Golden& golden : kGoldens) {
    INFO("input: " << golden.text);
    auto canonical = CanonicalQuantity(golden.text);
    REQUIRE(canonical.has_value());
    CHECK(*canonical == golden.canonical);
  }
}

TEST_CASE("CanonicalQuantity is idempotent", "[hashing]") {
  for (const Golden& golden : kGoldens) {
    INFO("input: " << golden.text);
    auto canonical = CanonicalQuantity(golden.canonical);
    REQUIRE(canonical.has_value());
    CHECK(*canonical == golden.canonical);
  }
}

TEST_CASE("CanonicalQuantity equates spellings of one value", "[hashing]") {
  const std::string_view pairs[][2] = {
      {"0.5", "500m"}, {"1Gi", "1024Mi"},      {"1Gi", "1073741824"}, {"1000m", "1"},
      {"1e3", "1k"},   {"1000M", "1G"},        {"2Ei", "2048Pi"},     {"1.5Ki", "1536"},
      {"0.001", "1m"}, {"100n", "0.0000001"},  {"-1", "-1000m"},      {"+1", "1"},
      {"1E3", "1k"},   {"0.0000000001", "1n"}, {"12.50m", "0.0125"},  {"1.5e-3", "1500u"},
  };
  for (const auto& pair : pairs) {
    INFO(pair[0] << " vs " << pair[1]);
    auto a = CanonicalQuantity(pair[0]);
    auto b = CanonicalQuantity(pair[1]);
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(*a == *b);
  }
}

TEST_CASE("CanonicalQuantity keeps different values apart", "[hashing]") {
  const std::string_view pairs[][2] = {
      {"1G", "1Gi"}, {"1m", "1"}, {"1M", "1m"}, {"1", "-1"}, {"1E", "1Ei"}, {"1n", "2n"},
  };
  for (const auto& pair : pairs) {
    INFO(pair[0] << " vs " << pair[1]);
    auto a = CanonicalQuantity(pair[0]);
    auto b = CanonicalQuantity(pair[1]);
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    CHECK(*a != *b);
  }
}

TEST_CASE("CanonicalQuantity rejects text outside the quantity grammar", "[hashing]") {
  const std::string_view rejects[] = {
      "",   "abc", "1Kb", "1.2.3", "e3",  "1e",  "--1",   " 1",   "1 ",  "+",    "-",   ".",
      "1K", "1ki", "1i",  "0.1mi", "1e-", "1e+", "1e3.5", "1Ki3", "1mm", "0x10", "1,5", "+-1",
  };
  for (std::string_view text : rejects) {
    INFO("input: \"" << text << "\"");
    auto canonical = CanonicalQuantity(text);
    REQUIRE_FALSE(canonical.has_value());
    CHECK(canonical.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("CanonicalQuantity bounds decimal exponents", "[hashing]") {
  auto largest = CanonicalQuantity("1e1000");
  REQUIRE(largest.has_value());
  CHECK(*largest == "1" + std::string(1000, '0'));
  CHECK_FALSE(CanonicalQuantity("1e1001").has_value());
  CHECK_FALSE(CanonicalQuantity("1e99999999999999999999999").has_value());
}
