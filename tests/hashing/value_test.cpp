#include "plumbline/hashing/value.h"

#include <catch2/catch.hpp>

#include "plumbline/hashing/json.h"

using plumbline::hashing::ParseJson;
using plumbline::hashing::Value;

TEST_CASE("Numbers compare by value whatever their spelling", "[hashing]") {
  REQUIRE(Value::NumberFromText("3")->text() == "3");
  REQUIRE(Value::NumberFromText("3.0")->text() == "3");
  REQUIRE(Value::NumberFromText("3e0")->text() == "3");
  REQUIRE(Value::NumberFromText("-0.0")->text() == "0");
  REQUIRE(Value::NumberFromText("0.5")->text() == "0.5");
  REQUIRE_FALSE(Value::NumberFromText("abc").has_value());
}

TEST_CASE("JSON round-trips through Value", "[hashing]") {
  auto v = ParseJson(R"({"b":[1,2.5,"x\n"],"a":{"c":null,"d":true}})");
  REQUIRE(v.has_value());
  REQUIRE(plumbline::hashing::ToJson(*v) == R"({"b":[1,2.5,"x\n"],"a":{"c":null,"d":true}})");
  REQUIRE_FALSE(ParseJson("{\"a\":").has_value());
}

TEST_CASE("JSON pointer tokens escape and split back (RFC 6901)", "[hashing]") {
  std::string p;
  plumbline::hashing::AppendJsonPointerToken(p, "metadata");
  plumbline::hashing::AppendJsonPointerToken(p, "ops.example.com/ticket~1");
  REQUIRE(p == "/metadata/ops.example.com~1ticket~01");
  REQUIRE(plumbline::hashing::SplitJsonPointer(p) ==
          std::vector<std::string>{"metadata", "ops.example.com/ticket~1"});
  REQUIRE(plumbline::hashing::SplitJsonPointer("").empty());
  REQUIRE(plumbline::hashing::SplitJsonPointer("/") == std::vector<std::string>{""});
}
