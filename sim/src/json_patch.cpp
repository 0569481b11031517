// RFC 6902 JSON Patch and RFC 7386 merge patch with the behaviour of gopkg.in/evanphx/json-patch.v4
// (v4.12), the library the v1.32 API server uses: same results, same error messages.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "plumbline/sim/patch.h"

namespace plumbline::sim {
namespace {

using hashing::Value;

constexpr std::string_view kErrMissing = "missing value";
constexpr std::string_view kErrInvalidIndex = "invalid index referenced";
constexpr std::string_view kErrTestFailed = "test failed";

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// errors.Wrapf(cause, "<what>"): "<what>: <cause>".
std::string Wrap(std::string_view what, std::string_view cause) {
  std::string out(what);
  out.append(": ").append(cause);
  return out;
}

// The JSON type name encoding/json prints in an UnmarshalTypeError.
std::string_view GoJsonTypeName(const Value& v) {
  switch (v.type()) {
    case Value::Type::kObject:
      return "object";
    case Value::Type::kArray:
      return "array";
    case Value::Type::kString:
      return "string";
    case Value::Type::kNumber:
      return "number";
    case Value::Type::kBool:
      return "bool";
    case Value::Type::kNull:
      break;
  }
  return "null";
}

// strconv.Atoi: optional sign, decimal digits, 64-bit range; Go's error text.
Result<std::int64_t> Atoi(std::string_view s) {
  const std::string quoted = "strconv.Atoi: parsing \"" + std::string(s) + "\": ";
  std::string_view digits = s;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
    digits.remove_prefix(1);
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return Invalid(quoted + "invalid syntax");
  }
  std::uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  constexpr auto kMaxPositive =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (ec != std::errc() || end != digits.data() + digits.size() ||
      magnitude > kMaxPositive + (negative ? 1U : 0U)) {
    return Invalid(quoted + "value out of range");
  }
  if (negative) {
    return magnitude == kMaxPositive + 1U ? std::numeric_limits<std::int64_t>::min()
                                          : -static_cast<std::int64_t>(magnitude);
  }
  return static_cast<std::int64_t>(magnitude);
}

std::string InvalidIndex(std::int64_t index) {
  return Wrap("Unable to access invalid index: " + std::to_string(index), kErrInvalidIndex);
}

// decodePatchKey: every "~1" becomes '/', then every "~0" becomes '~' (RFC 6901 section 4: "~01"
// decodes to "~1", not "/").
std::string DecodeKey(std::string_view part) {
  std::string step;
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] == '~' && i + 1 < part.size() && part[i + 1] == '1') {
      step.push_back('/');
      ++i;
    } else {
      step.push_back(part[i]);
    }
  }
  std::string out;
  for (std::size_t i = 0; i < step.size(); ++i) {
    if (step[i] == '~' && i + 1 < step.size() && step[i + 1] == '0') {
      out.push_back('~');
      ++i;
    } else {
      out.push_back(step[i]);
    }
  }
  return out;
}

// findObject: the container (object or array) that holds the last token of `path`, or nullptr when
// the pointer has no '/' or an intermediate step is absent, null or a scalar. Like the library,
// the text before the first '/' is ignored. `key` receives the decoded last token.
Value* FindContainer(Value& doc, std::string_view path, std::string& key) {
  const std::size_t first = path.find('/');
  if (first == std::string_view::npos) {
    return nullptr;
  }
  std::string_view rest = path.substr(first + 1);
  Value* container = &doc;
  while (true) {
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      key = DecodeKey(rest);
      return container;
    }
    const std::string part = DecodeKey(rest.substr(0, slash));
    rest.remove_prefix(slash + 1);
    Value* next = nullptr;
    if (container->is_object()) {
      next = container->Find(part);
    } else {
      const Result<std::int64_t> index = Atoi(part);
      if (!index || *index < 0 || static_cast<std::uint64_t>(*index) >= container->items().size()) {
        return nullptr;
      }
      next = &container->items()[static_cast<std::size_t>(*index)];
    }
    if (next == nullptr || !(next->is_object() || next->is_array())) {
      return nullptr;  // absent, null or a scalar: the library cannot descend
    }
    container = next;
  }
}

// An array index for get/set/remove: negative indices count from the end.
Result<std::size_t> ExistingIndex(const Value& array, std::string_view key) {
  const Result<std::int64_t> parsed = Atoi(key);
  if (!parsed) {
    return parsed.error();
  }
  const auto size = static_cast<std::int64_t>(array.items().size());
  std::int64_t index = *parsed;
  if (index >= size || index < -size) {
    return Invalid(InvalidIndex(index));
  }
  if (index < 0) {
    index += size;
  }
  return static_cast<std::size_t>(index);
}

// container.get: the value, or nullptr for an absent member (not an error for objects).
Result<const Value*> Get(Value& container, std::string_view key) {
  if (container.is_object()) {
    return static_cast<const Value*>(container.Find(key));
  }
  const Result<std::size_t> index = ExistingIndex(container, key);
  if (!index) {
    return index.error();
  }
  return static_cast<const Value*>(&container.items()[*index]);
}

Status Add(Value& container, std::string_view key, Value value) {
  if (container.is_object()) {
    container.Set(key, std::move(value));
    return Status::Ok();
  }
  Value::Array& items = container.items();
  if (key == "-") {
    items.push_back(std::move(value));
    return Status::Ok();
  }
  const Result<std::int64_t> parsed = Atoi(key);
  if (!parsed) {
    return Invalid(Wrap("value was not a proper array index: '" + std::string(key) + "'",
                        parsed.error().message));
  }
  const auto size = static_cast<std::int64_t>(items.size()) + 1;
  std::int64_t index = *parsed;
  if (index >= size || index < -size) {
    return Invalid(InvalidIndex(index));
  }
  if (index < 0) {
    index += size;
  }
  items.insert(items.begin() + index, std::move(value));
  return Status::Ok();
}

Status Remove(Value& container, std::string_view key) {
  if (container.is_object()) {
    if (!container.Erase(key)) {
      return Invalid(Wrap("Unable to remove nonexistent key: " + std::string(key), kErrMissing));
    }
    return Status::Ok();
  }
  const Result<std::size_t> index = ExistingIndex(container, key);
  if (!index) {
    return index.error();
  }
  Value::Array& items = container.items();
  items.erase(items.begin() + static_cast<std::ptrdiff_t>(*index));
  return Status::Ok();
}

void Set(Value& container, std::string_view key, Value value, std::size_t index) {
  if (container.is_object()) {
    container.Set(key, std::move(value));
  } else {
    container.items()[index] = std::move(value);
  }
}

// One decoded operation. Members are borrowed from the patch.
struct Operation {
  std::string_view kind = "unknown";
  const Value* path = nullptr;   // nullptr: absent or null
  const Value* from = nullptr;   // nullptr: absent or null
  const Value* value = nullptr;  // nullptr: absent
};

Operation Decode(const Value& op) {
  Operation out;
  if (const Value* kind = op.Find("op"); kind != nullptr && kind->is_string()) {
    out.kind = kind->text();
  }
  if (const Value* path = op.Find("path"); path != nullptr && !path->is_null()) {
    out.path = path;
  }
  if (const Value* from = op.Find("from"); from != nullptr && !from->is_null()) {
    out.from = from;
  }
  out.value = op.Find("value");
  return out;
}

// Operation.Path / Operation.From: the pointer text or the library's error.
Result<std::string> PointerText(const Value* pointer, std::string_view missing) {
  if (pointer == nullptr) {
    return Invalid(Wrap(missing, kErrMissing));
  }
  if (!pointer->is_string()) {
    return Invalid("json: cannot unmarshal " + std::string(GoJsonTypeName(*pointer)) +
                   " into Go value of type string");
  }
  return pointer->text();
}

Result<std::string> PathOf(const Operation& op) {
  return PointerText(op.path, "operation missing path field");
}

Result<std::string> FromOf(const Operation& op) {
  return PointerText(op.from, "operation, missing from field");
}

Value OperationValue(const Operation& op) { return op.value != nullptr ? *op.value : Value(); }

Status DoAdd(Value& doc, const Operation& op) {
  const Result<std::string> path = PathOf(op);
  if (!path) {
    return Invalid(Wrap("add operation failed to decode path", kErrMissing));
  }
  std::string key;
  Value* container = FindContainer(doc, *path, key);
  if (container == nullptr) {
    return Invalid(
        Wrap("add operation does not apply: doc is missing path: \"" + *path + "\"", kErrMissing));
  }
  if (Status st = Add(*container, key, OperationValue(op)); !st) {
    return Invalid(Wrap("error in add for path: '" + *path + "'", st.error().message));
  }
  return Status::Ok();
}

Status DoRemove(Value& doc, const Operation& op) {
  const Result<std::string> path = PathOf(op);
  if (!path) {
    return Invalid(Wrap("remove operation failed to decode path", kErrMissing));
  }
  std::string key;
  Value* container = FindContainer(doc, *path, key);
  if (container == nullptr) {
    return Invalid(Wrap("remove operation does not apply: doc is missing path: \"" + *path + "\"",
                        kErrMissing));
  }
  if (Status st = Remove(*container, key); !st) {
    return Invalid(Wrap("error in remove for path: '" + *path + "'", st.error().message));
  }
  return Status::Ok();
}

Status DoReplace(Value& doc, const Operation& op) {
  const Result<std::string> path = PathOf(op);
  if (!path) {
    return Invalid(Wrap("replace operation failed to decode path", path.error().message));
  }
  std::string key;
  Value* container = FindContainer(doc, *path, key);
  if (container == nullptr) {
    return Invalid(
        Wrap("replace operation does not apply: doc is missing path: " + *path, kErrMissing));
  }
  std::size_t index = 0;
  if (container->is_array()) {
    const Result<std::size_t> existing = ExistingIndex(*container, key);
    if (!existing) {
      return Invalid(
          Wrap("replace operation does not apply: doc is missing key: " + *path, kErrMissing));
    }
    index = *existing;
  }
  // An absent object member is not an error for the library: replace then adds it.
  Set(*container, key, OperationValue(op), index);
  return Status::Ok();
}

Status DoMove(Value& doc, const Operation& op) {
  const Result<std::string> from = FromOf(op);
  if (!from) {
    return Invalid(Wrap("move operation failed to decode from", from.error().message));
  }
  std::string key;
  Value* container = FindContainer(doc, *from, key);
  if (container == nullptr) {
    return Invalid(
        Wrap("move operation does not apply: doc is missing from path: " + *from, kErrMissing));
  }
  const Result<const Value*> found = Get(*container, key);
  if (!found) {
    return Invalid(Wrap("error in move for path: '" + key + "'", found.error().message));
  }
  Value moved = *found != nullptr ? **found : Value();
  if (Status st = Remove(*container, key); !st) {
    return Invalid(Wrap("error in move for path: '" + key + "'", st.error().message));
  }
  const Result<std::string> path = PathOf(op);
  if (!path) {
    return Invalid(Wrap("move operation failed to decode path", path.error().message));
  }
  container = FindContainer(doc, *path, key);
  if (container == nullptr) {
    return Invalid(Wrap("move operation does not apply: doc is missing destination path: " + *path,
                        kErrMissing));
  }
  if (Status st = Add(*container, key, std::move(moved)); !st) {
    return Invalid(Wrap("error in move for path: '" + *path + "'", st.error().message));
  }
  return Status::Ok();
}

Status DoTest(Value& doc, const Operation& op) {
  const Result<std::string> path = PathOf(op);
  if (!path) {
    return Invalid(Wrap("test operation failed to decode path", path.error().message));
  }
  std::string key;
  Value* container = FindContainer(doc, *path, key);
  if (container == nullptr) {
    return Invalid(Wrap("test operation does not apply: is missing path: " + *path, kErrMissing));
  }
  const Result<const Value*> found = Get(*container, key);
  if (!found) {
    return Invalid(Wrap("error in test for path: '" + *path + "'", found.error().message));
  }
  const Value* actual = *found;
  const bool actual_nil = actual == nullptr || actual->is_null();
  bool ok = false;
  if (actual_nil) {
    ok = op.value != nullptr && op.value->is_null();
  } else {
    ok = op.value != nullptr && !op.value->is_null() && *actual == *op.value;
  }
  if (!ok) {
    return Invalid(Wrap("testing value " + *path + " failed", kErrTestFailed));
  }
  return Status::Ok();
}

Status DoCopy(Value& doc, const Operation& op) {
  const Result<std::string> from = FromOf(op);
  if (!from) {
    return Invalid(Wrap("copy operation failed to decode from", from.error().message));
  }
  std::string key;
  Value* container = FindContainer(doc, *from, key);
  if (container == nullptr) {
    return Invalid(
        Wrap("copy operation does not apply: doc is missing from path: " + *from, kErrMissing));
  }
  const Result<const Value*> found = Get(*container, key);
  if (!found) {
    return Invalid(Wrap("error in copy for from: '" + *from + "'", found.error().message));
  }
  // An absent member copies as null (the library deep-copies a nil node).
  Value copied = *found != nullptr ? **found : Value();
  const Result<std::string> path = PathOf(op);
  if (!path) {
    return Invalid(Wrap("copy operation failed to decode path", kErrMissing));
  }
  container = FindContainer(doc, *path, key);
  if (container == nullptr) {
    return Invalid(Wrap("copy operation does not apply: doc is missing destination path: " + *path,
                        kErrMissing));
  }
  if (Status st = Add(*container, key, std::move(copied)); !st) {
    return Invalid(Wrap("error while adding value during copy", st.error().message));
  }
  return Status::Ok();
}

// mergeDocs' pruneNulls: drops null members of objects, recursively, also inside arrays; null
// array elements stay.
void PruneNulls(Value& v) {
  if (v.is_object()) {
    Value::Object& members = v.members();
    std::erase_if(members, [](const Value::Member& m) { return m.second.is_null(); });
    for (auto& [key, member] : members) {
      PruneNulls(member);
    }
  } else if (v.is_array()) {
    for (Value& item : v.items()) {
      PruneNulls(item);
    }
  }
}

Value Pruned(Value v) {
  PruneNulls(v);
  return v;
}

void MergeDocs(Value& doc, const Value& patch) {
  for (const auto& [key, value] : patch.members()) {
    if (value.is_null()) {
      doc.Erase(key);
      continue;
    }
    Value* current = doc.Find(key);
    if (current == nullptr || current->is_null()) {
      doc.Set(key, Pruned(value));
    } else if (!current->is_object()) {
      *current = Pruned(value);
    } else if (!value.is_object()) {
      *current = value;  // the library does not prune here
    } else {
      MergeDocs(*current, value);
    }
  }
}

}  // namespace

Status ValidateJsonPatch(const Value& patch) {
  if (patch.is_null()) {
    return Status::Ok();
  }
  if (!patch.is_array()) {
    return Invalid("json: cannot unmarshal " + std::string(GoJsonTypeName(patch)) +
                   " into Go value of type jsonpatch.Patch");
  }
  for (const Value& op : patch.items()) {
    if (!op.is_object() && !op.is_null()) {
      return Invalid("json: cannot unmarshal " + std::string(GoJsonTypeName(op)) +
                     " into Go value of type jsonpatch.Operation");
    }
  }
  if (patch.items().size() > kMaxJsonPatchOperations) {
    return MakeError(ErrorCode::kLimitExceeded,
                     "The allowed maximum operations in a JSON patch is " +
                         std::to_string(kMaxJsonPatchOperations) + ", got " +
                         std::to_string(patch.items().size()));
  }
  return Status::Ok();
}

Result<Value> ApplyJsonPatch(const Value& doc, const Value& patch) {
  PLUMBLINE_RETURN_IF_ERROR(ValidateJsonPatch(patch));
  if (!doc.is_object() && !doc.is_array()) {
    return Invalid("json: cannot unmarshal " + std::string(GoJsonTypeName(doc)) +
                   " into Go value of type jsonpatch.partialDoc");
  }
  Value result = doc;
  if (patch.is_null()) {
    return result;
  }
  for (const Value& item : patch.items()) {
    const Operation op = Decode(item);
    Status st;
    if (op.kind == "add") {
      st = DoAdd(result, op);
    } else if (op.kind == "remove") {
      st = DoRemove(result, op);
    } else if (op.kind == "replace") {
      st = DoReplace(result, op);
    } else if (op.kind == "move") {
      st = DoMove(result, op);
    } else if (op.kind == "test") {
      st = DoTest(result, op);
    } else if (op.kind == "copy") {
      st = DoCopy(result, op);
    } else {
      st = Invalid("Unexpected kind: " + std::string(op.kind));
    }
    if (!st) {
      return st.error();
    }
  }
  return result;
}

Value ApplyMergePatch(const Value& doc, const Value& patch) {
  if (!patch.is_object()) {
    return patch;
  }
  Value result = doc.is_object() ? doc : Value::MakeObject();
  MergeDocs(result, patch);
  return result;
}

}  // namespace plumbline::sim
