#include "plumbline/hashing/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace plumbline::hashing {

Value Value::Bool(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.text_ = std::move(s);
  return v;
}

Value Value::Int(std::int64_t i) {
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = std::to_string(i);
  return v;
}

Value Value::Uint(std::uint64_t u) {
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = std::to_string(u);
  return v;
}

Value Value::Double(double d) {
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = CanonicalNumberText(d);
  return v;
}

Result<Value> Value::NumberFromText(std::string_view text) {
  std::string_view t = text;
  if (!t.empty() && t.front() == '+') {
    t.remove_prefix(1);
  }
  if (t.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "empty number");
  }
  const char* first = t.data();
  const char* last = t.data() + t.size();
  std::int64_t i = 0;
  if (auto [p, ec] = std::from_chars(first, last, i); ec == std::errc() && p == last) {
    return Int(i);
  }
  std::uint64_t u = 0;
  if (auto [p, ec] = std::from_chars(first, last, u); ec == std::errc() && p == last) {
    return Uint(u);
  }
  double d = 0;
  auto [p, ec] = std::from_chars(first, last, d);
  if (ec != std::errc() || p != last || !std::isfinite(d)) {
    return MakeError(ErrorCode::kInvalidArgument, "not a finite number: " + std::string(text));
  }
  return Double(d);
}

Value Value::MakeArray(Array items) {
  Value v;
  v.type_ = Type::kArray;
  v.array_ = std::move(items);
  return v;
}

Value Value::MakeObject(Object members) {
  Value v;
  v.type_ = Type::kObject;
  v.object_ = std::move(members);
  return v;
}

const Value* Value::Find(std::string_view key) const {
  if (type_ != Type::kObject) {
    return nullptr;
  }
  for (const auto& [k, v] : object_) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

Value* Value::Find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));  // NOLINT
}

Value& Value::Set(std::string_view key, Value value) {
  if (type_ == Type::kNull) {
    type_ = Type::kObject;
  }
  if (Value* existing = Find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  object_.emplace_back(std::string(key), std::move(value));
  return object_.back().second;
}

bool Value::Erase(std::string_view key) {
  auto it =
      std::find_if(object_.begin(), object_.end(), [&](const Member& m) { return m.first == key; });
  if (it == object_.end()) {
    return false;
  }
  object_.erase(it);
  return true;
}

std::string_view Value::GetString(std::string_view key) const {
  const Value* v = Find(key);
  return v != nullptr && v->is_string() ? std::string_view(v->text_) : std::string_view();
}

bool Value::IsEmpty() const {
  switch (type_) {
    case Type::kNull:
      return true;
    case Type::kString:
      return text_.empty();
    case Type::kArray:
      return array_.empty();
    case Type::kObject:
      return object_.empty();
    default:
      return false;
  }
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_) {
    return false;
  }
  switch (a.type_) {
    case Value::Type::kNull:
      return true;
    case Value::Type::kBool:
      return a.bool_ == b.bool_;
    case Value::Type::kNumber:
    case Value::Type::kString:
      return a.text_ == b.text_;
    case Value::Type::kArray:
      return a.array_ == b.array_;
    case Value::Type::kObject:
      if (a.object_.size() != b.object_.size()) {
        return false;
      }
      for (const auto& [k, v] : a.object_) {
        const Value* other = b.Find(k);
        if (other == nullptr || !(*other == v)) {
          return false;
        }
      }
      return true;
  }
  return false;
}

void Value::SortKeysRecursive() {
  if (type_ == Type::kObject) {
    std::sort(object_.begin(), object_.end(),
              [](const Member& x, const Member& y) { return x.first < y.first; });
    for (auto& m : object_) {
      m.second.SortKeysRecursive();
    }
  } else if (type_ == Type::kArray) {
    for (auto& item : array_) {
      item.SortKeysRecursive();
    }
  }
}

std::string CanonicalNumberText(double d) {
  constexpr double kExactIntegerLimit = 9007199254740992.0;  // 2^53
  if (d == 0) {
    return "0";  // also folds -0
  }
  if (std::trunc(d) == d && std::fabs(d) < kExactIntegerLimit) {
    return std::to_string(static_cast<std::int64_t>(d));
  }
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  (void)ec;
  return std::string(buf, p);
}

void AppendJsonPointerToken(std::string& pointer, std::string_view token) {
  pointer.push_back('/');
  for (char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer.push_back(c);
    }
  }
}

std::vector<std::string> SplitJsonPointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) {
    return tokens;
  }
  std::size_t start = 1;
  while (start <= pointer.size()) {
    std::size_t slash = pointer.find('/', start);
    if (slash == std::string_view::npos) {
      slash = pointer.size();
    }
    std::string token;
    for (std::size_t i = start; i < slash; ++i) {
      if (pointer[i] == '~' && i + 1 < slash) {
        token.push_back(pointer[i + 1] == '1' ? '/' : '~');
        ++i;
      } else {
        token.push_back(pointer[i]);
      }
    }
    tokens.push_back(std::move(token));
    start = slash + 1;
  }
  return tokens;
}

const Value* FindByPointer(const Value& root, std::string_view pointer) {
  const Value* node = &root;
  for (const std::string& token : SplitJsonPointer(pointer)) {
    if (node->is_object()) {
      node = node->Find(token);
    } else if (node->is_array()) {
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      if (ec != std::errc() || end != token.data() + token.size() || token.empty() ||
          index >= node->items().size()) {
        return nullptr;
      }
      node = &node->items()[index];
    } else {
      return nullptr;
    }
    if (node == nullptr) {
      return nullptr;
    }
  }
  return node;
}

void AppendJson(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      out += "null";
      break;
    case Value::Type::kBool:
      out += v.bool_value() ? "true" : "false";
      break;
    case Value::Type::kNumber:
      out += v.text();
      break;
    case Value::Type::kString:
      AppendJsonString(out, v.text());
      break;
    case Value::Type::kArray: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        AppendJson(out, item);
      }
      out.push_back(']');
      break;
    }
    case Value::Type::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto& [k, child] : v.members()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        AppendJsonString(out, k);
        out.push_back(':');
        AppendJson(out, child);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string ToJson(const Value& v) {
  std::string out;
  AppendJson(out, v);
  return out;
}

namespace {

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) {
    return true;
  }
  // Characters that start a YAML structure, or sequences that break a plain scalar.
  static constexpr std::string_view kSpecialFirst = "-?:,[]{}#&*!|>'\"%@` ";
  if (kSpecialFirst.find(s.front()) != std::string_view::npos || s.back() == ' ' ||
      s.back() == ':' || s.find(": ") != std::string_view::npos ||
      s.find(" #") != std::string_view::npos || s.find_first_of("\n\t") != std::string_view::npos) {
    return true;
  }
  static constexpr std::string_view kReserved[] = {"true", "false", "yes", "no",   "on",
                                                   "off",  "null",  "~",   "True", "False",
                                                   "Yes",  "No",    "On",  "Off",  "Null"};
  for (auto r : kReserved) {
    if (s == r) {
      return true;
    }
  }
  // Anything that looks numeric would read back as a number.
  return s.find_first_not_of("0123456789.+-eE") == std::string_view::npos;
}

void AppendScalarDisplay(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      out += "null";
      break;
    case Value::Type::kBool:
      out += v.bool_value() ? "true" : "false";
      break;
    case Value::Type::kNumber:
      out += v.text();
      break;
    case Value::Type::kString:
      if (NeedsQuotes(v.text())) {
        AppendJsonString(out, v.text());
      } else {
        out += v.text();
      }
      break;
    case Value::Type::kArray:
      out += "[]";
      break;
    case Value::Type::kObject:
      out += "{}";
      break;
  }
}

bool IsInline(const Value& v) { return v.is_scalar() || v.IsEmpty(); }

void AppendDisplay(std::string& out, const Value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    std::vector<const Value::Member*> sorted;
    sorted.reserve(v.members().size());
    for (const auto& m : v.members()) {
      sorted.push_back(&m);
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* m : sorted) {
      out += pad;
      if (NeedsQuotes(m->first)) {
        AppendJsonString(out, m->first);
      } else {
        out += m->first;
      }
      out += ':';
      if (IsInline(m->second)) {
        out += ' ';
        AppendScalarDisplay(out, m->second);
        out += '\n';
      } else {
        out += '\n';
        AppendDisplay(out, m->second, m->second.is_array() ? indent : indent + 2);
      }
    }
  } else if (v.is_array()) {
    for (const auto& item : v.items()) {
      out += pad;
      out += "- ";
      if (IsInline(item)) {
        AppendScalarDisplay(out, item);
        out += '\n';
      } else {
        // Render the nested block, then fold its first line onto the "- " marker.
        std::string nested;
        AppendDisplay(nested, item, indent + 2);
        out += nested.substr(static_cast<std::size_t>(indent) + 2);
      }
    }
  } else {
    out += pad;
    AppendScalarDisplay(out, v);
    out += '\n';
  }
}

}  // namespace

std::string ToDisplayText(const Value& v) {
  std::string out;
  AppendDisplay(out, v, 0);
  return out;
}

}  // namespace plumbline::hashing
