// Value: the engine's JSON document tree, used for Git objects, policy files and everything that
// needs a full document (diffs, patches). The agent's hot path does not build Values; it walks
// simdjson's DOM directly (live_digest.h). A Value is a plain value type: copyable, movable, no
// shared state; any thread may use its own Values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/common/text.h"

namespace plumbline::hashing {

class Value {
 public:
  enum class Type : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, Value>;
  using Array = std::vector<Value>;
  using Object = std::vector<Member>;  // insertion order; keys unique

  Value() = default;  // null
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value String(std::string s);
  static Value Int(std::int64_t i);
  static Value Uint(std::uint64_t u);
  static Value Double(double d);  // d must be finite
  // Parses a JSON/YAML number literal ("3", "-2.50", "1e3", "0x1F" is not accepted here);
  // stores its canonical text (see CanonicalNumberText).
  static Result<Value> NumberFromText(std::string_view text);
  static Value MakeArray(Array items = {});
  static Value MakeObject(Object members = {});

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_scalar() const { return type_ != Type::kArray && type_ != Type::kObject; }

  bool bool_value() const { return bool_; }
  // Canonical decimal text of a number (kNumber) or the string (kString).
  const std::string& text() const { return text_; }

  Array& items() { return array_; }
  const Array& items() const { return array_; }
  Object& members() { return object_; }
  const Object& members() const { return object_; }

  // Object access. Find returns nullptr when absent or when this is not an object.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // Replaces the value of key or appends it. Turns a null into an object first.
  Value& Set(std::string_view key, Value value);
  bool Erase(std::string_view key);
  // String member or empty.
  std::string_view GetString(std::string_view key) const;

  // Null, {}, [] and "" count as "absent" under the drift policy (section 3).
  bool IsEmpty() const;

  // Exact structural equality (object member order ignored).
  friend bool operator==(const Value& a, const Value& b);

  // Sorts object keys bytewise, recursively; arrays keep their order.
  void SortKeysRecursive();

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  Array array_;
  Object object_;
};

// Canonical text of a number: integers (and integral doubles below 2^53) in plain decimal,
// everything else in the shortest round-trip form of std::to_chars. 3, 3.0 and 3e0 all give "3".
std::string CanonicalNumberText(double d);

// JSON string quoting lives in common/ (one implementation for every library).
using ::plumbline::AppendJsonString;

// RFC 6901: appends "/" and `token` with "~" and "/" escaped as "~0" and "~1".
void AppendJsonPointerToken(std::string& pointer, std::string_view token);
// Splits an RFC 6901 pointer into unescaped tokens ("" gives none).
std::vector<std::string> SplitJsonPointer(std::string_view pointer);
// The value an RFC 6901 pointer names in `root`, or nullptr (array indexes are decimal).
const Value* FindByPointer(const Value& root, std::string_view pointer);

// Compact JSON; object members in their stored order.
std::string ToJson(const Value& v);
void AppendJson(std::string& out, const Value& v);

// Multi-line, YAML-like rendering for human-readable diffs: sorted keys, two-space indent.
std::string ToDisplayText(const Value& v);

}  // namespace plumbline::hashing
