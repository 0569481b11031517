#include "plumbline/render/yaml_reader.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"
#include "plumbline/render/manifest.h"

using plumbline::ErrorCode;
using plumbline::hashing::ToJson;
using plumbline::hashing::Value;
using plumbline::render::ParseYamlStream;
using plumbline::render::YamlLimits;

namespace {

// JSON of the only document in yaml, or "ERROR: <message>".
std::string JsonOf(std::string_view yaml) {
  auto docs = ParseYamlStream(yaml);
  if (!docs) {
    return "ERROR: " + docs.error().message;
  }
  REQUIRE(docs->size() == 1);
  return ToJson(docs->front().value);
}

// The error message for yaml, or "" when it parses.
std::string ErrorOf(std::string_view yaml, const YamlLimits& limits = {}) {
  auto docs = ParseYamlStream(yaml, limits);
  return docs ? std::string() : docs.error().message;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

struct ScalarCase {
  const char* yaml;      // the value written after "v: "
  const char* expected;  // JSON of that value
};

}  // namespace

TEST_CASE("Plain scalars resolve with go-yaml v2's YAML 1.1 rules", "[render]") {
  // Every row was checked against `kubectl label --local -o json` (kubectl 1.32).
  const ScalarCase cases[] = {
      // Integers: Go's ParseInt with base prefixes, underscores dropped, leading 0 is octal.
      {"0644", "420"},
      {"0o644", "420"},
      {"0x1F", "31"},
      {"0X1f", "31"},
      {"-0x1F", "-31"},
      {"0b1010", "10"},
      {"+0b11", "3"},
      {"1_000", "1000"},
      {"1__0", "10"},
      {"0x_1F", "31"},
      {"+12", "12"},
      {"-0", "0"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"9223372036854775807", "9223372036854775807"},
      {"18446744073709551615", "18446744073709551615"},  // beyond int64: uint64
      {"18446744073709551616", "18446744073709551616"},  // beyond uint64: float
      // Not valid octal, so it falls through to the float pattern.
      {"09", "9"},
      {"08.5", "8.5"},
      // Floats.
      {"1e3", "1000"},
      {"1.5", "1.5"},
      {".5", "0.5"},
      {"+.5", "0.5"},
      {"-1.5E-3", "-0.0015"},
      {"1_000.5", "1000.5"},
      {".5_5", "0.55"},
      {"1.", "1"},
      {"0.1e1", "1"},
      {"1e-400", "0"},  // Go underflows to zero without an error
      // Null and bool words.
      {"~", "null"},
      {"null", "null"},
      {"Null", "null"},
      {"NULL", "null"},
      {"", "null"},
      {"y", "true"},
      {"Y", "true"},
      {"yes", "true"},
      {"Yes", "true"},
      {"YES", "true"},
      {"true", "true"},
      {"True", "true"},
      {"TRUE", "true"},
      {"on", "true"},
      {"On", "true"},
      {"ON", "true"},
      {"n", "false"},
      {"N", "false"},
      {"no", "false"},
      {"No", "false"},
      {"NO", "false"},
      {"false", "false"},
      {"False", "false"},
      {"FALSE", "false"},
      {"off", "false"},
      {"Off", "false"},
      {"OFF", "false"},
      // Everything else is a string.
      {"nULL", "\"nULL\""},
      {"tRUE", "\"tRUE\""},
      {"yES", "\"yES\""},
      {"2001-12-14", "\"2001-12-14\""},  // timestamps stay strings
      {"2001-12-14t21:59:43.10-05:00", "\"2001-12-14t21:59:43.10-05:00\""},
      {"12:30", "\"12:30\""},      // no base-60 numbers
      {"1.5e400", "\"1.5e400\""},  // overflows a double
      {"0xFFFFFFFFFFFFFFFFFF", "\"0xFFFFFFFFFFFFFFFFFF\""},
      {"0x", "\"0x\""},
      {"0o", "\"0o\""},
      {"1e", "\"1e\""},
      {"._5", "\"._5\""},
      {"1_", "1"},  // underscores are dropped before parsing
      {"_1", "\"_1\""},
      {"---", "\"---\""},
      {"x#y", "\"x#y\""},
      {"hello world", "\"hello world\""},
      // Quoted scalars are never resolved.
      {"\"0644\"", "\"0644\""},
      {"'yes'", "\"yes\""},
      {"\"~\"", "\"~\""},
      {"\"1e3\"", "\"1e3\""},
      {"''", "\"\""},
      {"'it''s'", "\"it's\""},
      {R"("a\tb\u00e9")", "\"a\\tb\u00e9\""},  // escapes are decoded
  };
  for (const auto& c : cases) {
    INFO("v: " << c.yaml);
    CHECK(JsonOf(std::string("v: ") + c.yaml) == std::string("{\"v\":") + c.expected + "}");
  }
}

TEST_CASE("Explicit tags resolve like go-yaml v2", "[render]") {
  const ScalarCase cases[] = {
      {"!!str 0644", "\"0644\""},
      {"!!str", "\"\""},
      {"!!int \"12\"", "12"},
      {"!!int 0x1F", "31"},
      {"!!float 1", "1"},
      {"!!float 1_000.5", "1000.5"},
      {"!!float \"1.5\"", "1.5"},
      {"!!bool \"yes\"", "true"},
      {"!!null \"\"", "null"},
      {"!!null ~", "null"},
      {"!!timestamp 2001-12-14", "\"2001-12-14\""},
      {"!!timestamp 2001-12-14T21:59:43Z", "\"2001-12-14T21:59:43Z\""},
      // go-yaml decodes !!binary; encoding/json then turns invalid UTF-8 into U+FFFD.
      {"!!binary aGVsbG8=", "\"hello\""},
      {"!!binary /w==", "\"\xEF\xBF\xBD\""},
      {"!!map {x: 1}", "{\"x\":1}"},
      {"!!seq [1]", "[1]"},
      {"!!str {x: 1}", "{\"x\":1}"},  // tags on collections are ignored
      // Tags go-yaml cannot resolve leave the scalar's text as a string.
      {"!foo 123", "\"123\""},
      {"! 12", "\"12\""},
      {"!!seq foo", "\"foo\""},
      {"!<tag:yaml.org,2002:str> 12", "\"12\""},
  };
  for (const auto& c : cases) {
    INFO("v: " << c.yaml);
    CHECK(JsonOf(std::string("v: ") + c.yaml) == std::string("{\"v\":") + c.expected + "}");
  }
  SECTION("block scalar with !!binary ignores the line breaks") {
    CHECK(JsonOf("v: !!binary |\n  aGVs\n  bG8=\n") == R"({"v":"hello"})");
  }
  SECTION("a tag that does not fit the value is an error with its line") {
    CHECK(ErrorOf("a: 1\nv: !!int 1.5\n") == "line 2: cannot decode !!float \"1.5\" as a !!int");
    CHECK(ErrorOf("v: !!null x") == "line 1: cannot decode !!str \"x\" as a !!null");
    CHECK(ErrorOf("v: !!bool 1") == "line 1: cannot decode !!int \"1\" as a !!bool");
    CHECK(ErrorOf("v: !!float 18446744073709551615") ==
          "line 1: cannot decode !!int \"18446744073709551615\" as a !!float");
    CHECK(ErrorOf("v: !!timestamp 2001-13-01") ==
          "line 1: cannot decode !!str \"2001-13-01\" as a !!timestamp");
    CHECK(ErrorOf("v: !!binary aGVsbG8") == "line 1: !!binary value contains invalid base64 data");
  }
}

TEST_CASE("Infinity and NaN cannot become JSON", "[render]") {
  CHECK(ErrorOf("a: 1\nv: .inf\n") == "line 2: .inf cannot be represented in JSON");
  CHECK(ErrorOf("v: -.Inf") == "line 1: -.Inf cannot be represented in JSON");
  CHECK(ErrorOf("v: [.NaN]") == "line 1: .NaN cannot be represented in JSON");
  CHECK(ErrorOf("v: !!float .inf") == "line 1: .inf cannot be represented in JSON");
  auto docs = ParseYamlStream("v: .inf");
  REQUIRE_FALSE(docs);
  CHECK(docs.error().code == ErrorCode::kInvalidArgument);
  // Quoted, it is just a string.
  CHECK(JsonOf("v: '.inf'") == R"({"v":".inf"})");
}

TEST_CASE("Mapping keys become strings as sigs.k8s.io/yaml prints them", "[render]") {
  // "y" is a bool too, so it collides with "true".
  CHECK(ErrorOf("true: a\ny: b\n") == "line 2: mapping key \"true\" already defined at line 1");
  CHECK(JsonOf("1: a\n-5: b\n0x10: c\ntrue: d\noff: e\n2001-12-14: f\n") ==
        R"({"1":"a","-5":"b","16":"c","true":"d","false":"e","2001-12-14":"f"})");
  // Float keys are formatted as float32 with Go's 'g' verb.
  CHECK(JsonOf("1.5: a\n0.1: b\n1e20: c\n1000000.0: d\n123456789.0: e\n-0.0: f\n0.00001: g\n"
               "123456.7: h\n.inf: i\n-.inf: j\n.nan: k\n") ==
        R"({"1.5":"a","0.1":"b","1e+20":"c","1e+06":"d","1.2345679e+08":"e","-0":"f",)"
        R"("1e-05":"g","123456.7":"h",".inf":"i","-.inf":"j",".nan":"k"})");
  SECTION("keys kubectl rejects") {
    CHECK(ErrorOf("~: x") == "line 1: unsupported mapping key \"~\": null cannot be a key");
    CHECK(ErrorOf("a: 1\nnull: x") ==
          "line 2: unsupported mapping key \"null\": null cannot be a key");
    CHECK(ErrorOf("18446744073709551615: x") ==
          "line 1: unsupported mapping key \"18446744073709551615\": an integer above int64 "
          "cannot be a key");
    CHECK(ErrorOf("? [1, 2]\n: x\n") == "line 1: invalid mapping key: a sequence cannot be a key");
    CHECK(ErrorOf("a:\n  ? {b: 1}\n  : x\n") ==
          "line 2: invalid mapping key: a mapping cannot be a key");
  }
}

TEST_CASE("A key defined twice in one mapping is an error", "[render]") {
  CHECK(ErrorOf("a: 1\nb: 2\na: 3\n") == "line 3: mapping key \"a\" already defined at line 1");
  CHECK(ErrorOf("x:\n  - k: 1\n    k: 2\n") ==
        "line 3: mapping key \"k\" already defined at line 2");
  // Keys that only become equal once printed collide too.
  CHECK(ErrorOf("1: a\n\"1\": b\n") == "line 2: mapping key \"1\" already defined at line 1");
  CHECK(ErrorOf("'y': a\n\"y\": b\n") == "line 2: mapping key \"y\" already defined at line 1");
  // The same key in different mappings is fine.
  CHECK(JsonOf("a: {k: 1}\nb: {k: 2}\n") == R"({"a":{"k":1},"b":{"k":2}})");
}

TEST_CASE("Multi-document streams split on --- lines like kubectl", "[render]") {
  const std::string stream =
      "# leading comment\n"                    // 1: a part with no node: null document
      "---\n"                                  // 2
      "a: 1\n"                                 // 3
      "---\n"                                  // 4
      "---\n"                                  // 5: nothing since the last separator, no document
      "# only a comment\n"                     // 6: null document
      "--- # trailing comments are allowed\n"  // 7
      "\n"                                     // 8: a blank line: null document
      "---\n"                                  // 9
      "b: 2\n"                                 // 10
      "...\n"                                  // 11
      "---\n"                                  // 12
      "\n"                                     // 13
      "c: [3]\n";                              // 14: the document starts at its first node
  auto docs = ParseYamlStream(stream);
  REQUIRE(docs);
  REQUIRE(docs->size() == 6);
  const std::vector<std::pair<int, std::string>> expected = {
      {1, "null"}, {3, R"({"a":1})"},  {6, "null"},
      {8, "null"}, {10, R"({"b":2})"}, {14, R"({"c":[3]})"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("document " << i);
    CHECK((*docs)[i].line == expected[i].first);
    CHECK(ToJson((*docs)[i].value) == expected[i].second);
  }

  SECTION("empty input and comment-only input") {
    auto empty = ParseYamlStream("");
    REQUIRE(empty);
    CHECK(empty->empty());
    auto separators = ParseYamlStream("---\n---\n");
    REQUIRE(separators);
    CHECK(separators->empty());
    auto comments = ParseYamlStream("# a\n# b\n");
    REQUIRE(comments);
    REQUIRE(comments->size() == 1);
    CHECK(comments->front().value.is_null());
  }
  SECTION("like kubectl, only the first document of a part is read") {
    auto docs2 = ParseYamlStream("a: 1\n...\nb: 2\n");
    REQUIRE(docs2);
    REQUIRE(docs2->size() == 1);
    CHECK(ToJson(docs2->front().value) == R"({"a":1})");
  }
  SECTION("a separator line with content is an error") {
    CHECK(ErrorOf("a: 1\n--- {b: 2}\n") == "line 2: invalid document separator: \"{b: 2}\"");
    CHECK(ErrorOf("a: 1\n---x\n") == "line 2: invalid document separator: \"x\"");
    CHECK(ErrorOf("--- !!map\na: 1\n") == "line 1: invalid document separator: \"!!map\"");
  }
  SECTION("directives are not supported (kubectl splits them from their document)") {
    CHECK(StartsWith(ErrorOf("%YAML 1.1\n---\na: 1\n"), "line 2: did not find expected"));
  }
  SECTION("errors in later documents carry the stream's line numbers") {
    CHECK(ErrorOf("a: 1\n---\nb: 2\nc: d: e\n") ==
          "line 4: mapping values are not allowed in this context");
  }
  SECTION("CRLF line endings") {
    auto crlf = ParseYamlStream("a: 1\r\n---\r\nb: |\r\n  x\r\n  y\r\n");
    REQUIRE(crlf);
    REQUIRE(crlf->size() == 2);
    CHECK((*crlf)[1].line == 3);
    CHECK(ToJson((*crlf)[1].value) == R"({"b":"x\ny\n"})");
  }
}

TEST_CASE("Anchors and aliases are expanded into copies", "[render]") {
  const char* yaml =
      "base: &b {x: 1, list: &l [1, 2]}\n"
      "copy: *b\n"
      "items: *l\n"
      "scalar: &s hello\n"
      "again: *s\n"
      "*s : as a key\n"
      "redefined: &s 2\n"
      "latest: *s\n";
  CHECK(JsonOf(yaml) ==
        R"({"base":{"x":1,"list":[1,2]},"copy":{"x":1,"list":[1,2]},"items":[1,2],)"
        R"("scalar":"hello","again":"hello","hello":"as a key","redefined":2,"latest":2})");
  CHECK(ErrorOf("a: 1\nb: *nope\n") == "line 2: unknown anchor \"nope\" referenced");
  CHECK(ErrorOf("a: &a [1, *a]\n") == "line 1: anchor \"a\" value contains itself");
  // Anchors do not cross documents.
  CHECK(ErrorOf("a: &a 1\n---\nb: *a\n") == "line 3: unknown anchor \"a\" referenced");
}

TEST_CASE("Merge keys follow go-yaml v2", "[render]") {
  const char* yaml =
      "defaults: &d {a: 1, b: 1}\n"
      "extra: &e {b: 2, c: 2}\n"
      "one:\n"
      "  <<: *d\n"
      "  b: 3\n"
      "many:\n"
      "  <<: [*e, *d]\n"  // earlier sources win over later ones
      "  d: 4\n"
      "inline:\n"
      "  <<: {z: 26}\n"
      "tagged:\n"
      "  !!merge <<: {z: 26}\n"
      "quoted:\n"
      "  \"<<\": {z: 26}\n";  // a quoted "<<" is an ordinary key
  auto docs = ParseYamlStream(yaml);
  REQUIRE(docs);
  const Value& v = docs->front().value;
  CHECK(ToJson(*v.Find("one")) == R"({"a":1,"b":3})");
  CHECK(*v.Find("many") == *plumbline::hashing::ParseJson(R"({"a":1,"b":2,"c":2,"d":4})"));
  CHECK(ToJson(*v.Find("inline")) == R"({"z":26})");
  CHECK(ToJson(*v.Find("tagged")) == R"({"z":26})");
  CHECK(ToJson(*v.Find("quoted")) == R"({"<<":{"z":26}})");

  SECTION("merges apply in document order, as kubectl does") {
    // go-yaml v2 merges in place: a key written before "<<" is overwritten by the merge.
    CHECK(JsonOf("d: &d {k: 1, m: 1}\nx:\n  k: 2\n  <<: *d\n") ==
          R"({"d":{"k":1,"m":1},"x":{"k":1,"m":1}})");
    CHECK(JsonOf("x:\n  <<: {a: 1}\n  <<: {a: 2, c: 2}\n") == R"({"x":{"a":2,"c":2}})");
  }
  SECTION("merged keys never count as duplicates") {
    CHECK(JsonOf("x:\n  <<: {a: 1}\n  a: 2\n") == R"({"x":{"a":2}})");
  }
  SECTION("a merge value must be a mapping or a sequence of mappings") {
    const std::string error = "map merge requires map or sequence of maps as the value";
    CHECK(ErrorOf("x:\n  <<: 1\n") == "line 2: " + error);
    CHECK(ErrorOf("x:\n  <<: [{a: 1}, [1]]\n") == "line 2: " + error);
    CHECK(ErrorOf("s: &s [1]\nx:\n  <<: *s\n") == "line 3: " + error);
  }
}

TEST_CASE("An alias bomb fails fast on max_nodes", "[render]") {
  // The classic "billion laughs": 9 levels of 9 aliases each, 10^9 nodes once expanded.
  std::string yaml =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char level = 'b'; level <= 'i'; ++level) {
    const char previous = static_cast<char>(level - 1);
    yaml += std::string(1, level) + ": &" + level + " [";
    for (int k = 0; k < 9; ++k) {
      yaml += std::string(k == 0 ? "" : ",") + "*" + previous;
    }
    yaml += "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  auto docs = ParseYamlStream(yaml);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(docs);
  CHECK(docs.error().code == ErrorCode::kLimitExceeded);
  CHECK(docs.error().message ==
        "line 7: more than 2000000 YAML nodes after alias expansion (max_nodes limit)");
  CHECK(elapsed < std::chrono::seconds(2));

  SECTION("the limit is configurable, and the count includes keys") {
    YamlLimits limits;
    limits.max_nodes = 7;  // {a: [1, 2], b: 3} has 7 nodes
    CHECK(ErrorOf("a: [1, 2]\nb: 3\n", limits).empty());
    CHECK(StartsWith(ErrorOf("a: [1, 2]\nb: 3\nc: 4\n", limits), "line 3: more than 7 "));
    CHECK(StartsWith(ErrorOf("a: &x [1, 2]\nb: *x\n", limits), "line 2: more than 7 "));
  }
  SECTION("the count runs over the whole stream") {
    YamlLimits limits;
    limits.max_nodes = 7;  // three documents of 3 nodes each
    CHECK(StartsWith(ErrorOf("a: 1\n---\nb: 2\n---\nc: 3\n", limits), "line 5: more than 7 "));
  }
}

TEST_CASE("Nesting deeper than max_depth is an error", "[render]") {
  CHECK(ErrorOf(std::string(256, '[') + std::string(256, ']')).empty());
  CHECK(ErrorOf(std::string(257, '[') + std::string(257, ']')) ==
        "line 1: nesting deeper than 256 levels (max_depth limit)");
  // Far deeper input fails at the limit, without recursing through it.
  auto deep = ParseYamlStream(std::string(100000, '['));
  REQUIRE_FALSE(deep);
  CHECK(deep.error().code == ErrorCode::kLimitExceeded);
  SECTION("levels reached through an alias count") {
    YamlLimits limits;
    limits.max_depth = 4;
    CHECK(ErrorOf("a: &a [[1]]\nb: [*a]\n", limits).empty());  // {b: [[[1]]]}: 4 levels
    CHECK(ErrorOf("a: &a [[1]]\nb: [[*a]]\n", limits) ==
          "line 2: nesting deeper than 4 levels (max_depth limit)");
  }
  SECTION("block nesting") {
    YamlLimits limits;
    limits.max_depth = 2;
    CHECK(ErrorOf("a:\n  b:\n    c: 1\n", limits) ==
          "line 3: nesting deeper than 2 levels (max_depth limit)");
  }
}

TEST_CASE("Input larger than max_bytes is refused", "[render]") {
  YamlLimits limits;
  limits.max_bytes = 8;
  auto docs = ParseYamlStream("a: 123456\n", limits);
  REQUIRE_FALSE(docs);
  CHECK(docs.error().code == ErrorCode::kLimitExceeded);
  CHECK(docs.error().message == "YAML input is 10 bytes, more than 8 (max_bytes limit)");
  CHECK(ParseYamlStream("a: 1\n", limits).has_value());
}

TEST_CASE("Syntax errors name the line", "[render]") {
  CHECK(ErrorOf("a:\n\tb: 1\n") ==
        "line 2: found character that cannot start any token "
        "(while scanning for the next token at line 2)");
  CHECK(ErrorOf("spec:\n  a: 1\n\tb: 2\n") ==
        "line 3: found a tab character that violates indentation "
        "(while scanning a plain scalar at line 2)");
  CHECK(ErrorOf("a: 1\nb: c: d\n") == "line 2: mapping values are not allowed in this context");
  CHECK(ErrorOf("a: [1, 2\n") ==
        "line 2: did not find expected ',' or ']' (while parsing a flow sequence at line 1)");
  CHECK(ErrorOf("a: \"abc\n") ==
        "line 2: found unexpected end of stream (while scanning a quoted scalar at line 1)");
  CHECK(ErrorOf("a: @x\n") ==
        "line 1: found character that cannot start any token "
        "(while scanning for the next token at line 1)");
}

TEST_CASE("Binary garbage gives an error, never a crash", "[render]") {
  using namespace std::string_literals;
  CHECK(ErrorOf("\x00\xff\xfe garbage"s) == "line 1: control characters are not allowed (0x0)");
  CHECK(ErrorOf("a: 1\nb: x\x00y\n"s) == "line 2: control characters are not allowed (0x0)");
  CHECK(ErrorOf("a: 1\nb: \xc3\x28\n") == "line 2: invalid trailing UTF-8 octet (0x28)");
  CHECK(ErrorOf("a: \xff\n") == "line 1: invalid leading UTF-8 octet (0xFF)");
  CHECK(ErrorOf("a: \xed\xa0\x80\n") == "line 1: invalid Unicode character (0xD800)");

  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 600);
  for (int round = 0; round < 300; ++round) {
    std::string input(length(rng), '\0');
    for (char& c : input) {
      c = static_cast<char>(byte(rng));
    }
    auto docs = ParseYamlStream(input);
    if (!docs) {
      INFO("round " << round << ": " << docs.error().message);
      CHECK(StartsWith(docs.error().message, "line "));
    }
  }
}

TEST_CASE("Random YAML-like text gives documents or line errors", "[render]") {
  // Syntax-heavy noise reaches the resolver, anchors and merges, not just the UTF-8 reader.
  static constexpr std::string_view kAlphabet = "-:[]{},&*!|>'\"#%@? \n\n  \tab<<01.~_xyz";
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 200);
  for (int round = 0; round < 2000; ++round) {
    std::string input;
    const std::size_t n = length(rng);
    for (std::size_t i = 0; i < n; ++i) {
      input.push_back(kAlphabet[pick(rng)]);
    }
    auto docs = ParseYamlStream(input);
    if (!docs) {
      INFO("input: " << input << "\nerror: " << docs.error().message);
      CHECK(StartsWith(docs.error().message, "line "));
      CHECK(!Contains(docs.error().message, "\n"));
    }
  }
}

TEST_CASE("Block scalars keep their line breaks", "[render]") {
  CHECK(JsonOf("a: |\n  line 1\n  line 2\n\n  after blank\nb: x\n") ==
        R"({"a":"line 1\nline 2\n\nafter blank\n","b":"x"})");
  CHECK(JsonOf("a: |-\n  no final break\n") == R"({"a":"no final break"})");
  CHECK(JsonOf("a: |+\n  keep\n\n\nb: 1\n") == R"({"a":"keep\n\n\n","b":1})");
  CHECK(JsonOf("a: >\n  folded\n  text\n\n  para\n") == R"({"a":"folded text\npara\n"})");
  CHECK(JsonOf("a: |2\n    indented\n") == R"({"a":"  indented\n"})");
  // kubectl's line reader ends the last line with "\n" even when the file does not.
  CHECK(JsonOf("a: |\n  last") == R"({"a":"last\n"})");
  // Plain multi-line scalars fold.
  CHECK(JsonOf("a: one\n  two\n\n  three\n") == R"({"a":"one two\nthree"})");
}

TEST_CASE("Other encodings kubectl accepts", "[render]") {
  // UTF-8 byte order marks, at the start of the stream and of a later document.
  auto bom = ParseYamlStream(
      "\xEF\xBB\xBF"
      "a: 1\n---\n\xEF\xBB\xBF"
      "b: 2\n");
  REQUIRE(bom);
  REQUIRE(bom->size() == 2);
  CHECK(ToJson((*bom)[1].value) == R"({"b":2})");
  // UTF-16 with a byte order mark (what Windows PowerShell redirection writes).
  std::string utf16 = "\xFF\xFE";
  for (char c : std::string_view("kind: Foo\nv: 0644\n")) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  auto wide = ParseYamlStream(utf16);
  REQUIRE(wide);
  REQUIRE(wide->size() == 1);
  CHECK(ToJson(wide->front().value) == R"({"kind":"Foo","v":420})");
}

TEST_CASE("A realistic Deployment parses to the JSON kubectl would send", "[render]") {
  const char* yaml = R"(# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: &labels
    app.kubernetes.io/name: web
    app.kubernetes.io/version: "1.10"
  annotations:
    deployment.kubernetes.io/revision: "3"
spec:
  replicas: 3
  revisionHistoryLimit: 010
  selector:
    matchLabels: *labels
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  template:
    metadata:
      labels:
        <<: *labels
        tier: frontend
    spec:
      containers:
      - name: web
        image: ghcr.io/example/web:1.10.2
        args: ["--port=8080", --verbose, "--log-level", debug]
        ports:
        - containerPort: 8080
          protocol: TCP
        env:
        - name: FEATURE_X
          value: "true"
        - name: RATIO
          value: "0.5"
        - name: CONFIG
          value: |
            listen: :8080
            workers: 4
        resources:
          limits: {cpu: 500m, memory: 128Mi}
          requests:
            cpu: 0.25
            memory: 64Mi
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          initialDelaySeconds: 5
        securityContext:
          readOnlyRootFilesystem: yes
          runAsUser: 1e3
      nodeSelector: {}
      tolerations: []
      terminationGracePeriodSeconds: ~
)";
  const std::string expected =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop",)"
      R"("labels":{"app.kubernetes.io/name":"web","app.kubernetes.io/version":"1.10"},)"
      R"("annotations":{"deployment.kubernetes.io/revision":"3"}},)"
      R"("spec":{"replicas":3,"revisionHistoryLimit":8,)"
      R"("selector":{"matchLabels":{"app.kubernetes.io/name":"web","app.kubernetes.io/version":"1.10"}},)"
      R"("strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":0}},)"
      R"("template":{"metadata":{"labels":{"app.kubernetes.io/name":"web",)"
      R"("app.kubernetes.io/version":"1.10","tier":"frontend"}},)"
      R"("spec":{"containers":[{"name":"web","image":"ghcr.io/example/web:1.10.2",)"
      R"("args":["--port=8080","--verbose","--log-level","debug"],)"
      R"("ports":[{"containerPort":8080,"protocol":"TCP"}],)"
      R"("env":[{"name":"FEATURE_X","value":"true"},{"name":"RATIO","value":"0.5"},)"
      R"({"name":"CONFIG","value":"listen: :8080\nworkers: 4\n"}],)"
      R"("resources":{"limits":{"cpu":"500m","memory":"128Mi"},)"
      R"("requests":{"cpu":0.25,"memory":"64Mi"}},)"
      R"("readinessProbe":{"httpGet":{"path":"/healthz","port":8080},"initialDelaySeconds":5},)"
      R"("securityContext":{"readOnlyRootFilesystem":true,"runAsUser":1000}}],)"
      R"("nodeSelector":{},"tolerations":[],"terminationGracePeriodSeconds":null}}}})";
  auto docs = ParseYamlStream(yaml);
  REQUIRE(docs);
  REQUIRE(docs->size() == 1);
  CHECK(docs->front().line == 2);
  CHECK(ToJson(docs->front().value) == expected);
}

TEST_CASE("JSON documents read as YAML give the same Value as the JSON parser", "[render]") {
  const std::filesystem::path dir =
      std::filesystem::path(PLUMBLINE_SHARED_DIR) / "testdata" / "gitops-engine";
  if (!std::filesystem::is_directory(dir)) {
    WARN("skipped: " << dir << " not found");
    return;
  }
  int compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto json = plumbline::hashing::ParseJson(text.str());
    REQUIRE(json);
    auto yaml = ParseYamlStream(text.str());
    INFO(entry.path().filename().string());
    REQUIRE(yaml);
    REQUIRE(yaml->size() == 1);
    CHECK(yaml->front().value == *json);
    ++compared;
  }
  CHECK(compared > 0);
}

TEST_CASE("A YAML stream of JSON documents reads as the YAML reader reads it", "[render]") {
  const std::string stream =
      "---\n"
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"1e3"}})"
      "\n---\n"
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"b"},)"
      R"("spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}})"
      "\r\n---  \n\n"
      R"({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret",)"
      R"("metadata":{"name":"s"}}]})"
      "\n";
  auto fast = plumbline::render::ReadManifestText(stream, "s.yaml");
  REQUIRE(fast);
  REQUIRE(fast->size() == 3);  // the List is unpacked
  auto yaml = ParseYamlStream(stream);
  REQUIRE(yaml);
  REQUIRE(yaml->size() == 3);
  CHECK((*fast)[0].object == (*yaml)[0].value);
  CHECK((*fast)[1].object == (*yaml)[1].value);
  CHECK((*fast)[2].object.GetString("kind") == "Secret");
  CHECK((*fast)[1].line == 4);  // the line the document starts on

  // A malformed JSON document names its own line in the file.
  auto bad = plumbline::render::ReadManifestText(
      "---\n{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
      "\"metadata\":{\"name\":\"a\"}}\n---\n{\"kind\": }\n",
      "b.yaml");
  REQUIRE_FALSE(bad);
  INFO(bad.error().message);
  CHECK(bad.error().message.rfind("b.yaml:4", 0) == 0);

  // Anything else in the stream (a comment, block style) goes through the YAML reader.
  auto mixed = plumbline::render::ReadManifestText(
      "---\n# "
      "generated\n{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}\n"
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
      "m.yaml");
  REQUIRE(mixed);
  CHECK(mixed->size() == 2);
  CHECK((*mixed)[1].line == 5);
}
