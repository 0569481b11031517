// fieldsV1 ownership: leaves, "." item ownership, atomic prefixes, keyed and set segments.
#include "managed_fields.h"

#include <catch2/catch.hpp>

#include "plumbline/hashing/engine.h"

namespace hashing = plumbline::hashing;

namespace {

// Walks `segments` down one entry's fieldsV1 and returns the owned depth at the end.
int OwnedDepthAt(simdjson::dom::element fields, std::initializer_list<const char*> segments) {
  hashing::FieldCursor c = hashing::FieldCursor::Root(fields);
  std::size_t depth = 0;
  for (const char* s : segments) {
    c = c.Child(s, ++depth);
  }
  return c.OwnedDepth(depth);
}

}  // namespace

TEST_CASE("FieldCursor: who owns a path", "[hashing][managedfields]") {
  auto doc = hashing::LiveDocument::FromJson(R"({
    "f:metadata": {"f:labels": {"f:app": {}}},
    "f:spec": {
      "f:selector": {},
      "f:template": {"f:spec": {"f:containers": {
        "k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}},
        "k:{\"name\":\"side\"}": {"f:image": {}}}}},
      "f:finalizers": {"v:\"kubernetes\"": {}}}})");
  REQUIRE(doc.has_value());
  const auto f = doc->root();
  SECTION("a leaf is owned at its own depth") {
    CHECK(OwnedDepthAt(f, {"f:metadata", "f:labels", "f:app"}) == 3);
  }
  SECTION("a field that is not named is not owned") {
    CHECK(OwnedDepthAt(f, {"f:metadata", "f:labels", "f:team"}) == -1);
    CHECK(OwnedDepthAt(f, {"f:metadata", "f:labels"}) == -1);  // structure, not ownership
  }
  SECTION("an atomic leaf owns everything below it") {
    CHECK(OwnedDepthAt(f, {"f:spec", "f:selector", "f:matchLabels", "f:app"}) == 2);
  }
  SECTION("'.' owns the item itself, not its other children") {
    const char* item = R"(k:{"name":"web"})";
    CHECK(OwnedDepthAt(f, {"f:spec", "f:template", "f:spec", "f:containers", item}) == 5);
    CHECK(OwnedDepthAt(f, {"f:spec", "f:template", "f:spec", "f:containers", item,
                           "f:imagePullPolicy"}) == -1);
    CHECK(OwnedDepthAt(f, {"f:spec", "f:template", "f:spec", "f:containers", item, "f:image"}) ==
          6);
  }
  SECTION("an item without '.' is not owned by the entry that set one field of it") {
    CHECK(OwnedDepthAt(
              f, {"f:spec", "f:template", "f:spec", "f:containers", R"(k:{"name":"side"})"}) == -1);
  }
  SECTION("set values") {
    CHECK(OwnedDepthAt(f, {"f:spec", "f:finalizers", R"(v:"kubernetes")"}) == 3);
    CHECK(OwnedDepthAt(f, {"f:spec", "f:finalizers", R"(v:"other")"}) == -1);
  }
}
